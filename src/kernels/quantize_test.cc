// Quantizers: GGML's rounding rules on hand-made blocks, and quantize ->
// dequantize round trips within the error each format allows.
#include "kernels/quantize.h"

#include <gtest/gtest.h>

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
