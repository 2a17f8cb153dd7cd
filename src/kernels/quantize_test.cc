// Quantizers: GGML's rounding rules on hand-made blocks, and quantize ->
// dequantize round trips within the error each format allows.
#include "kernels/quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/half.h"
#include "kernels/matmul.h"
#include "kernels/test_util.h"

namespace radixlm {
namespace {

using test::RandomFloats;

std::vector<float> Dequantize(DType type, const void* data, size_t n) {
  std::vector<float> out(n);
  scalar::DequantizeRow(out.data(), TensorView{type, 1, n, data}, 0);
  return out;
}

TEST(QuantizeTest, Q8_0RoundsHalfAwayFromZero) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // amax = 127 -> d = 1
  x[1] = 2.5f;    // roundf: 3 (nearest-even would give 2)
  x[2] = -2.5f;
  x[3] = 0.49f;
  x[4] = -127.0f;
  BlockQ8_0 b;
  QuantizeRowQ8_0(&b, x.data(), 32);
  EXPECT_EQ(F16ToF32(b.d), 1.0f);
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[2], -3);
  EXPECT_EQ(b.qs[3], 0);
  EXPECT_EQ(b.qs[4], -127);
}

TEST(QuantizeTest, Q4_0FollowsGgmlReference) {
  std::vector<float> x(32, 0.0f);
  x[0] = -8.0f;  // largest magnitude, negative: d = -8 / -8 = 1
  x[1] = 7.0f;   // 7 + 8.5 = 15.5 -> 15
  x[2] = 7.9f;   // 16.4 -> 16 -> clamped to 15
  x[3] = 0.5f;   // 9.0 -> 9
  x[4] = -0.6f;  // 7.9 -> 7
  x[16] = 3.0f;  // high nibble of qs[0]: 11.5 -> 11
  BlockQ4_0 b;
  QuantizeRowQ4_0(&b, x.data(), 32);
  EXPECT_EQ(F16ToF32(b.d), 1.0f);
  EXPECT_EQ(b.qs[0] & 0x0F, 0);
  EXPECT_EQ(b.qs[0] >> 4, 11);
  EXPECT_EQ(b.qs[1] & 0x0F, 15);
  EXPECT_EQ(b.qs[2] & 0x0F, 15);
  EXPECT_EQ(b.qs[3] & 0x0F, 9);
  EXPECT_EQ(b.qs[4] & 0x0F, 7);
  EXPECT_EQ(b.qs[5] & 0x0F, 8);  // zero

  // Positive max: d is negative, the max maps to nibble 0.
  for (float& f : x) f = -f;
  QuantizeRowQ4_0(&b, x.data(), 32);
  EXPECT_EQ(F16ToF32(b.d), -1.0f);
  EXPECT_EQ(b.qs[0] & 0x0F, 0);
}

TEST(QuantizeTest, AllZeroBlocks) {
  const std::vector<float> x(64, 0.0f);
  BlockQ8_0 q8[2];
  BlockQ4_0 q4[2];
  QuantizeRowQ8_0(q8, x.data(), 64);
  QuantizeRowQ4_0(q4, x.data(), 64);
  for (float v : Dequantize(DType::kQ8_0, q8, 64)) EXPECT_EQ(v, 0.0f);
  for (float v : Dequantize(DType::kQ4_0, q4, 64)) EXPECT_EQ(v, 0.0f);
}

// Round trip error per element. Q8_0: half a step, d/2 with d = amax/127,
// plus the f16 rounding of d (relative 2^-11) times |q| <= 127: bound
// d * (0.5 + 127 * 2^-11) < 0.57 d. Q4_0: half a step |d|/2 except on the
// side opposite the max, where q = 16 clamps to 15 (error up to |d|), plus
// 8 * |d| * 2^-11 for the f16 scale: bound 1.01 |d|.
TEST(QuantizeTest, RoundTripWithinOneStep) {
  for (size_t n : {32, 96, 4096}) {
    const auto x = RandomFloats(n, static_cast<uint32_t>(n), -3.0f, 3.0f);
    std::vector<BlockQ8_0> q8(n / 32);
    std::vector<BlockQ4_0> q4(n / 32);
    QuantizeRowQ8_0(q8.data(), x.data(), n);
    QuantizeRowQ4_0(q4.data(), x.data(), n);
    const auto y8 = Dequantize(DType::kQ8_0, q8.data(), n);
    const auto y4 = Dequantize(DType::kQ4_0, q4.data(), n);
    for (size_t b = 0; b < n / 32; ++b) {
      float amax = 0.0f;
      for (size_t j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[b * 32 + j]));
      const float d8 = amax / 127.0f;
      const float d4 = amax / 8.0f;
      for (size_t j = 0; j < 32; ++j) {
        const size_t i = b * 32 + j;
        ASSERT_LE(std::fabs(y8[i] - x[i]), 0.57f * d8) << "q8_0 i=" << i;
        ASSERT_LE(std::fabs(y4[i] - x[i]), 1.01f * d4) << "q4_0 i=" << i;
      }
    }
  }
}

// Q4_1 and the k-quants: relative RMS error of the round trip on uniform
// [-1, 1) data. A b-bit uniform quantizer over the range has RMS error
// step/sqrt(12), step = range/(2^b - 1), i.e. 0.066, 0.032, 0.016 of RMS(x)
// (0.577) for 4, 5, 6 bits; the fitted scales do at least that well, and
// the bounds leave ~20% margin. Also checks every value is finite and the
// max error stays within 1.5 steps of the group's range.
TEST(QuantizeTest, NewTypesRoundTrip) {
  struct Case {
    DType type;
    double max_rel_rms;
    double step;  // of the [-1, 1) range
  };
  for (const Case& c : {Case{DType::kQ4_1, 0.08, 2.0 / 15}, Case{DType::kQ4_K, 0.08, 2.0 / 15},
                        Case{DType::kQ5_K, 0.04, 2.0 / 31}, Case{DType::kQ6_K, 0.02, 2.0 / 63}}) {
    const size_t n = 4096;
    const auto x = RandomFloats(n, 5);
    std::vector<uint8_t> q(DTypeRowBytes(c.type, n));
    ConvertRow(q.data(), c.type, x.data(), n);
    const auto y = Dequantize(c.type, q.data(), n);
    double err2 = 0, x2 = 0, max_err = 0;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(std::isfinite(y[i])) << DTypeName(c.type) << " i=" << i;
      err2 += (y[i] - x[i]) * (y[i] - x[i]);
      x2 += x[i] * x[i];
      max_err = std::max(max_err, std::fabs(static_cast<double>(y[i]) - x[i]));
    }
    EXPECT_LT(std::sqrt(err2 / x2), c.max_rel_rms) << DTypeName(c.type);
    EXPECT_LT(max_err, 1.5 * c.step) << DTypeName(c.type);
  }
}

// All-zero input gives all-zero k-quant output (the zero-scale branches).
TEST(QuantizeTest, NewTypesZero) {
  const std::vector<float> x(512, 0.0f);
  for (DType t : {DType::kQ4_1, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    std::vector<uint8_t> q(DTypeRowBytes(t, 512));
    ConvertRow(q.data(), t, x.data(), 512);
    for (float v : Dequantize(t, q.data(), 512)) ASSERT_EQ(v, 0.0f) << DTypeName(t);
  }
}

TEST(QuantizeTest, ConvertRowFloatTypes) {
  const auto x = RandomFloats(100, 11, -1e3f, 1e3f);
  std::vector<uint16_t> h(100), bf(100);
  ConvertRow(h.data(), DType::kF16, x.data(), 100);
  ConvertRow(bf.data(), DType::kBF16, x.data(), 100);
  std::vector<float> f(100);
  ConvertRow(f.data(), DType::kF32, x.data(), 100);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(h[i], F32ToF16(x[i]));
    EXPECT_EQ(bf[i], F32ToBF16(x[i]));
    EXPECT_EQ(f[i], x[i]);
    // Relative round trip error: 2^-11 for f16, 2^-8 for bf16.
    EXPECT_NEAR(F16ToF32(h[i]), x[i], std::fabs(x[i]) * 0.00049f);
    EXPECT_NEAR(BF16ToF32(bf[i]), x[i], std::fabs(x[i]) * 0.0040f);
  }
}

}  // namespace
}  // namespace radixlm
