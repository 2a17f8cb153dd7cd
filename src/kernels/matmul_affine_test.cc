// AffineMatMul / AffineDequantizeRow (MLX affine 4- and 8-bit) against the
// scalar references, on every compiled Highway target the CPU supports, and
// the quantizer against hand-packed words.
#include "kernels/matmul_affine.h"

#include <cmath>
#include <memory>
#include <vector>

#include "base/half.h"
#include "hwy/tests/hwy_gtest.h"
#include "kernels/matmul.h"
#include "kernels/test_util.h"

namespace radixlm {
namespace {

using test::RandomFloats;

// A [rows][cols] MLX affine matrix made from random floats; owns its bytes.
struct AffineMatrix {
  std::vector<uint32_t> words;
  std::vector<uint16_t> scales16, biases16;
  std::vector<float> scales32, biases32;
  TensorView view;
};

AffineMatrix RandomAffine(int bits, DType scale_type, size_t rows, size_t cols,
                          size_t group_size, uint32_t seed) {
  AffineMatrix m;
  const std::vector<float> f = RandomFloats(rows * cols, seed);
  const size_t n_groups = cols / group_size;
  m.words.resize(rows * cols * bits / 32 + 1);
  m.scales16.resize(rows * n_groups + 1);
  m.biases16.resize(rows * n_groups + 1);
  m.scales32.resize(rows * n_groups + 1);
  m.biases32.resize(rows * n_groups + 1);
  const bool f32 = scale_type == DType::kF32;
  for (size_t r = 0; r < rows; ++r) {
    void* s = f32 ? static_cast<void*>(m.scales32.data() + r * n_groups)
                  : static_cast<void*>(m.scales16.data() + r * n_groups);
    void* b = f32 ? static_cast<void*>(m.biases32.data() + r * n_groups)
                  : static_cast<void*>(m.biases16.data() + r * n_groups);
    QuantizeAffineRow(m.words.data() + r * cols * bits / 32, s, b, scale_type, f.data() + r * cols,
                      cols, group_size, bits);
  }
  m.view.type = bits == 4 ? DType::kMlxAffine4 : DType::kMlxAffine8;
  m.view.rows = rows;
  m.view.cols = cols;
  m.view.data = m.words.data();
  m.view.scales = f32 ? static_cast<const void*>(m.scales32.data()) : m.scales16.data();
  m.view.biases = f32 ? static_cast<const void*>(m.biases32.data()) : m.biases16.data();
  m.view.scale_type = scale_type;
  m.view.group_size = group_size;
  return m;
}

class AffineTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(AffineTest);

// DequantizeRow (SIMD, reached through kernels/matmul.h's router) equals
// the scalar reference bit for bit: both multiply, then add.
TEST_P(AffineTest, DequantizeRowExact) {
  for (int bits : {4, 8}) {
    for (DType st : {DType::kF16, DType::kBF16, DType::kF32}) {
      for (size_t gs : {32, 64, 128}) {
        SCOPED_TRACE(testing::Message() << "bits=" << bits << " " << DTypeName(st) << " gs=" << gs);
        const size_t rows = 5, cols = 256;
        const AffineMatrix m = RandomAffine(bits, st, rows, cols, gs, 11 + bits);
        std::vector<float> got(cols), want(cols);
        for (size_t r = 0; r < rows; ++r) {
          DequantizeRow(got.data(), m.view, r);
          scalar::AffineDequantizeRow(want.data(), m.view, r);
          ASSERT_EQ(got, want) << "row " << r;
          scalar::DequantizeRow(got.data(), m.view, r);
          ASSERT_EQ(got, want) << "scalar router, row " << r;
        }
      }
    }
  }
}

// MatMul against the scalar reference (dequantize, then a double dot
// product). The kernel reassociates: per group s * (q · x) + b * sum(x),
// in f32. Each term of the reference, s*q*x or b*x, is bounded by
// |w_c x_c| + 2|b x_c|, so 1e-5 * sum_c (|w_c x_c| + 2|b_g x_c|) bounds the
// f32 rounding of a few hundred terms with a wide margin (typical ~1e-7).
TEST_P(AffineTest, MatMulMatchesScalar) {
  for (int bits : {4, 8}) {
    for (DType st : {DType::kF16, DType::kBF16}) {
      for (size_t gs : {32, 64}) {
        for (size_t n_batch : {1, 3, 4, 7}) {
          for (size_t threads : {1, 3}) {
            SCOPED_TRACE(testing::Message() << "bits=" << bits << " " << DTypeName(st) << " gs="
                                            << gs << " n_batch=" << n_batch << " threads="
                                            << threads);
            const size_t rows = 67, cols = 320;
            const AffineMatrix m = RandomAffine(bits, st, rows, cols, gs, 3 * bits + gs);
            const std::vector<float> x = RandomFloats(n_batch * cols, 5 + n_batch);
            const size_t stride = rows + 2;
            std::vector<float> out(n_batch * stride, -7.0f), ref(n_batch * stride, -7.0f);
            std::unique_ptr<ThreadPool> pool;
            if (threads > 1) pool = std::make_unique<ThreadPool>(threads);
            MatMul(out.data(), stride, m.view, x.data(), n_batch, pool.get());
            scalar::AffineMatMul(ref.data(), stride, m.view, x.data(), n_batch);
            std::vector<float> wrow(cols);
            for (size_t b = 0; b < n_batch; ++b) {
              for (size_t r = 0; r < rows; ++r) {
                scalar::AffineDequantizeRow(wrow.data(), m.view, r);
                double bound = 0.0;
                for (size_t c = 0; c < cols; ++c) {
                  const double xc = std::fabs(x[b * cols + c]);
                  bound += std::fabs(wrow[c]) * xc + 2.0 * xc;  // |b| <= 1 here
                }
                ASSERT_NEAR(out[b * stride + r], ref[b * stride + r], 1e-5 * bound)
                    << "b=" << b << " r=" << r;
              }
              for (size_t r = rows; r < stride; ++r) ASSERT_EQ(out[b * stride + r], -7.0f);
            }
          }
        }
      }
    }
  }
}

// The packing is MLX's: codes little-endian within each uint32, lowest bits
// first; scale (max - min) / (2^bits - 1), bias min.
TEST(AffineQuantize, PacksLikeMlx) {
  std::vector<float> x(32);
  for (size_t i = 0; i < 32; ++i) x[i] = static_cast<float>(i % 16);  // 0..15, twice
  std::vector<uint32_t> words(4);
  float scale = 0, bias = 0;
  QuantizeAffineRow(words.data(), &scale, &bias, DType::kF32, x.data(), 32, 32, 4);
  EXPECT_EQ(scale, 1.0f);
  EXPECT_EQ(bias, 0.0f);
  EXPECT_EQ(words[0], 0x76543210u);
  EXPECT_EQ(words[1], 0xFEDCBA98u);
  EXPECT_EQ(words[2], 0x76543210u);

  std::vector<uint32_t> w8(8);
  for (size_t i = 0; i < 32; ++i) x[i] = static_cast<float>(i) * 2.0f - 10.0f;  // -10..52
  QuantizeAffineRow(w8.data(), &scale, &bias, DType::kF32, x.data(), 32, 32, 8);
  EXPECT_FLOAT_EQ(scale, 62.0f / 255.0f);
  EXPECT_EQ(bias, -10.0f);
  EXPECT_EQ(w8[0] & 0xFF, 0u);
  EXPECT_EQ(w8[7] >> 24, 255u);
  // Round trip within half a step.
  TensorView v;
  v.type = DType::kMlxAffine8;
  v.rows = 1;
  v.cols = 32;
  v.data = w8.data();
  v.scales = &scale;
  v.biases = &bias;
  v.scale_type = DType::kF32;
  v.group_size = 32;
  std::vector<float> back(32);
  scalar::AffineDequantizeRow(back.data(), v, 0);
  for (size_t i = 0; i < 32; ++i) EXPECT_NEAR(back[i], x[i], scale / 2 + 1e-5f);
}

}  // namespace
}  // namespace radixlm
