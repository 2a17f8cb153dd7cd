// MatMul and DequantizeRow against the scalar references, on every compiled
// Highway target the CPU supports (the suite is instantiated per target).
#include "kernels/matmul.h"

#include <cmath>
#include <memory>
#include <vector>

#include "base/half.h"
#include "hwy/tests/hwy_gtest.h"
#include "kernels/gemm_int8.h"
#include "kernels/test_util.h"

namespace radixlm {
namespace {

using test::Matrix;
using test::RandomFloats;
using test::RandomMatrix;

class MatMulTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(MatMulTest);

constexpr DType kAllTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16,
                               DType::kQ8_0, DType::kQ4_0, DType::kQ4_1,
                               DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

bool IsQuantized(DType t) { return IsGgmlQuantized(t); }

// Column counts to test: multiples of the type's block (256 for k-quants).
std::vector<size_t> TestCols(DType t) {
  if (DTypeBlockSize(t) == kQK_K) return {256, 512, 4096};
  return {32, 64, 96, 4096};
}

// The SIMD kernel's view of x for quantized weights: per block of `block`
// columns (32; GemmInt8's k-quant kernel 256), dx = amax/127 and q =
// nearest-even(x * (1/dx)), the same float operations.
void QuantizeLikeKernel(const float* x, size_t n, size_t block, std::vector<float>* xq,
                        std::vector<float>* dx) {
  xq->resize(n);
  dx->resize(n / block);
  for (size_t b = 0; b < n / block; ++b) {
    float amax = 0.0f;
    for (size_t j = 0; j < block; ++j) amax = std::fmax(amax, std::fabs(x[b * block + j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    (*dx)[b] = d;
    for (size_t j = 0; j < block; ++j) {
      (*xq)[b * block + j] = std::nearbyint(x[b * block + j] * id) * d;
    }
  }
}

// Checks MatMul(w, x) against references. Tolerances:
//  - Float weights: the kernel sums in f32 (lane-wise partial sums, FMA), the
//    reference in double; 1e-5 * sum|w*x| covers f32 accumulation over a few
//    hundred terms per lane with a wide margin (typical error is ~1e-7).
//  - Quantized weights: the kernel rounds x to int8 per block. (a) Against a
//    reference that does the same rounding, only accumulation order differs:
//    same 1e-5 * sum|w*x'|. (b) Against the exact scalar::MatMul, the
//    difference is bounded by sum_c |w_c| * dx_block / 2 (half a quantization
//    step of x per element), plus the same accumulation slack.
void CheckMatMul(DType type, size_t rows, size_t cols, size_t n_batch, size_t threads,
                 bool packed = false) {
  SCOPED_TRACE(testing::Message() << DTypeName(type) << " rows=" << rows << " cols=" << cols
                                  << " n_batch=" << n_batch << " threads=" << threads
                                  << " packed=" << packed);
  Matrix m = RandomMatrix(type, rows, cols, static_cast<uint32_t>(rows * 131 + cols));
  std::vector<uint8_t> panels;
  if (packed) {
    panels.resize(PackedPanelBytes(m.view));
    ASSERT_FALSE(panels.empty());
    PackPanels(m.view, panels.data());
    m.view.packed = panels.data();
  }
  const std::vector<float> x = RandomFloats(n_batch * cols, static_cast<uint32_t>(cols + 7));
  const size_t stride = rows + 3;
  std::vector<float> out(n_batch * stride, -7.0f);
  std::vector<float> ref(n_batch * stride, -7.0f);

  std::unique_ptr<ThreadPool> pool;
  if (threads > 1) pool = std::make_unique<ThreadPool>(threads);
  MatMul(out.data(), stride, m.view, x.data(), n_batch, pool.get());
  scalar::MatMul(ref.data(), stride, m.view, x.data(), n_batch);

  std::vector<float> wrow(cols), xq, dx;
  // The x rounding of the path MatMul takes (see MatMul in matmul.cc).
  const size_t path_block = n_batch >= kGemmInt8MinBatch ? GemmInt8XBlock(type)
                            : packed                     ? PackedMatVecXBlock(type)
                                                         : 0;
  const size_t block = path_block != 0 ? path_block : 32;
  for (size_t b = 0; b < n_batch; ++b) {
    const float* xb = x.data() + b * cols;
    if (IsQuantized(type)) QuantizeLikeKernel(xb, cols, block, &xq, &dx);
    for (size_t r = 0; r < rows; ++r) {
      scalar::DequantizeRow(wrow.data(), m.view, r);
      double abs_sum = 0.0, step_bound = 0.0, ref_q = 0.0;
      for (size_t c = 0; c < cols; ++c) {
        abs_sum += std::fabs(static_cast<double>(wrow[c]) * xb[c]);
        if (IsQuantized(type)) {
          ref_q += static_cast<double>(wrow[c]) * xq[c];
          step_bound += std::fabs(wrow[c]) * dx[c / block] * 0.5;
        }
      }
      const float got = out[b * stride + r];
      const double slack = 1e-5 * abs_sum + 1e-6;
      if (IsQuantized(type)) {
        ASSERT_NEAR(got, ref_q, slack) << "vs int8-rounded reference, b=" << b << " r=" << r;
        ASSERT_NEAR(got, ref[b * stride + r], step_bound + slack) << "b=" << b << " r=" << r;
      } else {
        ASSERT_NEAR(got, ref[b * stride + r], slack) << "b=" << b << " r=" << r;
      }
    }
    for (size_t r = rows; r < stride; ++r) ASSERT_EQ(out[b * stride + r], -7.0f);
  }
}

TEST_P(MatMulTest, MatchesScalar) {
  for (DType type : kAllTypes) {
    for (size_t cols : TestCols(type)) {
      const size_t max_rows = cols >= 4096 ? 37 : 70;
      for (size_t rows : {size_t{1}, size_t{5}, max_rows}) {
        for (size_t n_batch : {1, 3, 17}) {
          for (size_t threads : {1, 3}) CheckMatMul(type, rows, cols, n_batch, threads);
        }
      }
    }
  }
}

// Float types allow any column count: exercise the scalar tail.
TEST_P(MatMulTest, FloatOddColumns) {
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16}) {
    for (size_t cols : {1, 7, 33, 100}) {
      for (size_t n_batch : {1, 4}) CheckMatMul(type, 9, cols, n_batch, 1);
    }
  }
}

// Wide rows (past the kernel's chunk grain) split across threads.
TEST_P(MatMulTest, ManyRowsThreaded) {
  for (DType type : kAllTypes) CheckMatMul(type, 203, 256, 5, 3);
}

// Every AVX2 tile shape (4x3, 4x1, 1x3, 1x1) and the generic path, on k-quant
// super-blocks whose groups exercise every sub-position (t = 0..7).
TEST_P(MatMulTest, KQuantTiles) {
  for (DType type : {DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ4_1}) {
    for (size_t n_batch : {1, 2, 3, 4, 7}) CheckMatMul(type, 11, 768, n_batch, 1);
  }
}

// Batches large enough for GemmInt8 (x86 AVX2+; elsewhere MatMul's own
// kernels): every tail of its 3-row batch tiles, panel tails (rows not a
// multiple of 8) and single-panel blocks (rows <= 8), threaded and not.
TEST_P(MatMulTest, GemmBatchShapes) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0, DType::kQ4_1, DType::kQ4_K, DType::kQ5_K,
                     DType::kQ6_K}) {
    for (size_t rows : {size_t{5}, size_t{16}, size_t{37}}) {
      for (size_t n_batch : {8, 10, 11}) {
        for (size_t threads : {1, 3}) CheckMatMul(type, rows, 512, n_batch, threads);
      }
    }
  }
}

// q4_0/q8_0/q4_K/q6_K panels (the decode layout the model packs at load): batch
// rows below GemmInt8's threshold, panel tails, threaded and not.
TEST_P(MatMulTest, PackedPanels) {
  for (DType type : {DType::kQ4_0, DType::kQ8_0, DType::kQ4_K, DType::kQ6_K}) {
    for (size_t rows : {size_t{1}, size_t{8}, size_t{21}, size_t{70}}) {
      for (size_t cols : TestCols(type)) {
        for (size_t n_batch : {1, 2, 3, 7}) {
          for (size_t threads : {1, 3}) CheckMatMul(type, rows, cols, n_batch, threads, true);
        }
      }
    }
  }
  EXPECT_EQ(PackedPanelBytes(RandomMatrix(DType::kQ5_K, 8, 256, 1).view), 0u);
}

TEST_P(MatMulTest, DequantizeRowMatchesScalarExactly) {
  for (DType type : kAllTypes) {
    for (size_t cols : TestCols(type)) {
      const Matrix m = RandomMatrix(type, 3, cols, 99);
      std::vector<float> got(cols), want(cols);
      for (size_t r = 0; r < 3; ++r) {
        DequantizeRow(got.data(), m.view, r);
        scalar::DequantizeRow(want.data(), m.view, r);
        for (size_t c = 0; c < cols; ++c) {
          ASSERT_EQ(got[c], want[c]) << DTypeName(type) << " r=" << r << " c=" << c;
        }
      }
    }
  }
}

// Q6_K at the extremes: q6 = 0 and 63, scales -128 and 127 (the product
// sc * (q - 32) reaches 4096, and vpmaddubsw sees |q - 32| = 32 with x = 127).
TEST_P(MatMulTest, Q6KExtremes) {
  constexpr size_t kCols = 256;
  BlockQ6_K b;
  for (int i = 0; i < 128; ++i) b.ql[i] = static_cast<uint8_t>(i % 3 ? 0xFF : 0x00);
  for (int i = 0; i < 64; ++i) b.qh[i] = static_cast<uint8_t>(i % 2 ? 0xFF : 0x00);
  for (int i = 0; i < 16; ++i) b.scales[i] = static_cast<int8_t>(i % 2 ? -128 : 127);
  b.d = F32ToF16(0.01f);
  std::vector<float> x(kCols);
  for (size_t c = 0; c < kCols; ++c) x[c] = c % 5 ? 1.0f : -1.0f;  // exact in int8
  const TensorView w{DType::kQ6_K, 1, kCols, &b};
  float got = 0.0f, want = 0.0f;
  MatMul(&got, 1, w, x.data(), 1, nullptr);
  scalar::MatMul(&want, 1, w, x.data(), 1);
  EXPECT_NEAR(got, want, 1e-5 * std::fabs(want) + 1e-5);
  // The same through the decode panels and the batched kernel.
  std::vector<uint8_t> panels(PackedPanelBytes(w));
  PackPanels(w, panels.data());
  TensorView wp = w;
  wp.packed = panels.data();
  float got_packed = 0.0f;
  MatMul(&got_packed, 1, wp, x.data(), 1, nullptr);
  EXPECT_NEAR(got_packed, want, 1e-5 * std::fabs(want) + 1e-5);
  constexpr size_t kBatch = 9;
  std::vector<float> xs;
  for (size_t i = 0; i < kBatch; ++i) xs.insert(xs.end(), x.begin(), x.end());
  std::vector<float> outs(kBatch);
  MatMul(outs.data(), 1, w, xs.data(), kBatch, nullptr);
  for (float o : outs) EXPECT_NEAR(o, want, 1e-5 * std::fabs(want) + 1e-5);
}

// Quantized weights at the extremes of their ranges (q = -128 for Q8_0 is
// legal in a file even though the quantizer never writes it).
TEST_P(MatMulTest, QuantizedExtremes) {
  constexpr size_t kCols = 64;
  std::vector<BlockQ8_0> q8(kCols / 32);
  std::vector<BlockQ4_0> q4(kCols / 32);
  for (size_t b = 0; b < kCols / 32; ++b) {
    q8[b].d = F32ToF16(0.5f);
    q4[b].d = F32ToF16(-0.25f);
    for (int j = 0; j < 32; ++j) q8[b].qs[j] = static_cast<int8_t>(j % 2 ? -128 : 127);
    for (int j = 0; j < 16; ++j) q4[b].qs[j] = static_cast<uint8_t>(j % 2 ? 0xF0 : 0x0F);
  }
  std::vector<float> x(kCols);
  for (size_t c = 0; c < kCols; ++c) x[c] = c % 3 ? 1.0f : -1.0f;  // exact in int8
  for (const TensorView& w : {TensorView{DType::kQ8_0, 1, kCols, q8.data()},
                              TensorView{DType::kQ4_0, 1, kCols, q4.data()}}) {
    float got = 0.0f, want = 0.0f;
    MatMul(&got, 1, w, x.data(), 1, nullptr);
    scalar::MatMul(&want, 1, w, x.data(), 1);
    EXPECT_FLOAT_EQ(got, want) << DTypeName(w.type);
    // The same through the batched kernel.
    constexpr size_t kBatch = 8;
    std::vector<float> xs;
    for (size_t i = 0; i < kBatch; ++i) xs.insert(xs.end(), x.begin(), x.end());
    std::vector<float> outs(kBatch);
    MatMul(outs.data(), 1, w, xs.data(), kBatch, nullptr);
    for (float o : outs) EXPECT_FLOAT_EQ(o, want) << DTypeName(w.type) << " batched";
  }
}

}  // namespace
}  // namespace radixlm
