// Element-wise kernels against their scalar references, on every compiled
// Highway target the CPU supports.
#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "kernels/test_util.h"

namespace radixlm {
namespace {

using test::RandomFloats;

class OpsTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(OpsTest);

constexpr size_t kSizes[] = {1, 3, 7, 8, 31, 32, 64, 96, 100, 4096};

// Relative tolerance for kernels whose result per element is a handful of f32
// roundings (FMA vs separate multiply-add, a reciprocal, Highway's Exp which
// is within ~2 ulp): 2e-6 is ~16 ulp.
constexpr double kRelTol = 2e-6;

void ExpectNearRel(const std::vector<float>& got, const std::vector<float>& want, double rel,
                   double abs_floor, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = rel * std::fabs(want[i]) + abs_floor;
    ASSERT_NEAR(got[i], want[i], tol) << what << " i=" << i << " n=" << got.size();
  }
}

TEST_P(OpsTest, Dot) {
  for (size_t n : kSizes) {
    const auto a = RandomFloats(n, 1), b = RandomFloats(n, 2);
    double abs_sum = 0.0;
    for (size_t i = 0; i < n; ++i) abs_sum += std::fabs(a[i] * b[i]);
    // f32 accumulation in >= 16 lane-wise partial sums: bounded by about
    // (n/16 + 16) roundings of the absolute sum; allow (n/4 + 16).
    const double tol = (n / 4.0 + 16.0) * 6e-8 * abs_sum;
    EXPECT_NEAR(Dot(a.data(), b.data(), n), scalar::Dot(a.data(), b.data(), n), tol) << n;
  }
}

TEST_P(OpsTest, RmsNorm) {
  for (size_t n : kSizes) {
    const auto x = RandomFloats(n, 3, -4.0f, 4.0f), w = RandomFloats(n, 4);
    std::vector<float> got(n), want(n);
    RmsNorm(got.data(), x.data(), w.data(), n, 1e-5f);
    scalar::RmsNorm(want.data(), x.data(), w.data(), n, 1e-5f);
    ExpectNearRel(got, want, kRelTol, 1e-30, "RmsNorm");
    // In place (out aliases x).
    std::vector<float> inplace = x;
    RmsNorm(inplace.data(), inplace.data(), w.data(), n, 1e-5f);
    ExpectNearRel(inplace, want, kRelTol, 1e-30, "RmsNorm in place");
  }
}

TEST_P(OpsTest, Softmax) {
  for (size_t n : kSizes) {
    for (float range : {1.0f, 30.0f}) {
      const auto x = RandomFloats(n, 5, -range, range);
      auto got = x, want = x;
      Softmax(got.data(), n);
      scalar::Softmax(want.data(), n);
      const float max = *std::max_element(x.begin(), x.end());
      for (size_t i = 0; i < n; ++i) {
        // The kernel forms x - max in f32 (the reference in double); exp
        // turns that absolute rounding, |x - max| * 2^-24, into relative
        // error. Values below ~1e-37 are denormal in f32: compare absolutely.
        const double rel = kRelTol + (max - x[i]) * 6e-8;
        ASSERT_NEAR(got[i], want[i], rel * want[i] + 1e-37) << "i=" << i << " n=" << n;
      }
    }
  }
}

TEST_P(OpsTest, SoftmaxWithMaskedEntries) {
  const float kNegInf = -std::numeric_limits<float>::infinity();
  std::vector<float> x = {0.5f, kNegInf, 1.0f, kNegInf, -2.0f, 3.0f, kNegInf, 0.0f, 1.0f};
  auto want = x;
  Softmax(x.data(), x.size());
  scalar::Softmax(want.data(), want.size());
  ExpectNearRel(x, want, kRelTol, 0.0, "Softmax masked");
}

TEST_P(OpsTest, SwiGlu) {
  for (size_t n : kSizes) {
    const auto gate = RandomFloats(n, 6, -20.0f, 20.0f), up = RandomFloats(n, 7);
    std::vector<float> got(n), want(n);
    SwiGlu(got.data(), gate.data(), up.data(), n);
    scalar::SwiGlu(want.data(), gate.data(), up.data(), n);
    ExpectNearRel(got, want, kRelTol, 1e-30, "SwiGlu");
    std::vector<float> inplace = gate;  // out aliases gate
    SwiGlu(inplace.data(), inplace.data(), up.data(), n);
    ExpectNearRel(inplace, want, kRelTol, 1e-30, "SwiGlu in place");
  }
  // Large |gate|: exp must not overflow into NaN.
  const std::vector<float> gate = {-200.0f, -90.0f, 90.0f, 200.0f, 0.0f, -0.0f, 1e-30f, 88.0f};
  const std::vector<float> up(gate.size(), 1.5f);
  std::vector<float> got(gate.size()), want(gate.size());
  SwiGlu(got.data(), gate.data(), up.data(), gate.size());
  scalar::SwiGlu(want.data(), gate.data(), up.data(), gate.size());
  ExpectNearRel(got, want, kRelTol, 1e-30, "SwiGlu extremes");
}

TEST_P(OpsTest, AxpyScaleAdd) {
  for (size_t n : kSizes) {
    const auto x = RandomFloats(n, 8), y = RandomFloats(n, 9);
    // Axpy: the kernel fuses alpha*x + out (one rounding), the reference may
    // round twice: within an ulp of the larger operand.
    auto got = y, want = y;
    Axpy(got.data(), 0.37f, x.data(), n);
    scalar::Axpy(want.data(), 0.37f, x.data(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_NEAR(got[i], want[i], 2.4e-7 * (std::fabs(y[i]) + std::fabs(x[i]))) << i;
    }
    // Scale and Add are one exact-rounded operation per element.
    got = x;
    want = x;
    Scale(got.data(), -1.25f, n);
    scalar::Scale(want.data(), -1.25f, n);
    EXPECT_EQ(got, want);
    got = y;
    want = y;
    Add(got.data(), x.data(), n);
    scalar::Add(want.data(), x.data(), n);
    EXPECT_EQ(got, want);
  }
}

TEST_P(OpsTest, Rope) {
  for (RopeStyle style : {RopeStyle::kInterleaved, RopeStyle::kNeox}) {
    for (size_t head_dim : {2, 6, 16, 64, 128}) {
      const size_t n_heads = 3;
      const size_t half = head_dim / 2;
      std::vector<float> cos_t(half), sin_t(half);
      for (size_t i = 0; i < half; ++i) {
        const double angle = 7.0 * std::pow(10000.0, -2.0 * i / head_dim);
        cos_t[i] = static_cast<float>(std::cos(angle));
        sin_t[i] = static_cast<float>(std::sin(angle));
      }
      auto got = RandomFloats(n_heads * head_dim, 10);
      auto want = got;
      Rope(got.data(), n_heads, head_dim, cos_t.data(), sin_t.data(), style);
      scalar::Rope(want.data(), n_heads, head_dim, cos_t.data(), sin_t.data(), style);
      // FMA vs separate roundings on |x| <= 1 inputs: a few ulp of 1.
      ExpectNearRel(got, want, 0.0, 4.8e-7, style == RopeStyle::kNeox ? "neox" : "interleaved");
    }
  }
}

}  // namespace
}  // namespace radixlm
