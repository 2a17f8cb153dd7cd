#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <vector>

namespace radixlm {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Params with every filter and penalty off: temperature 1, pure softmax.
SamplingParams Plain() {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_penalty = 1.0f;
  p.presence_penalty = 0.0f;
  p.frequency_penalty = 0.0f;
  return p;
}

std::vector<float> RandomLogits(size_t n, uint64_t seed, float scale = 3.0f) {
  std::mt19937_64 rng(seed);
  std::vector<float> out(n);
  // Raw bits to keep the test data the same everywhere.
  for (float& x : out) x = scale * (float((rng() >> 40) & 0xFFFFFF) / 0x1p24f * 2 - 1);
  return out;
}

// softmax(logits / temperature) in double.
std::vector<double> Softmax(const std::vector<float>& logits, double t = 1.0) {
  const double mx = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp((logits[i] - mx) / t);
  for (double& x : p) x /= sum;
  return p;
}

// Draws `n` samples and returns the count per token.
std::vector<int> Histogram(Sampler* s, const std::vector<float>& logits, int n) {
  std::vector<int> counts(logits.size());
  for (int i = 0; i < n; ++i) {
    const int32_t t = s->Sample(logits.data());
    EXPECT_GE(t, 0);
    EXPECT_LT(t, int32_t(logits.size()));
    ++counts[t];
  }
  return counts;
}

// Pearson's statistic of `counts` against `expected` probabilities. A token
// with expected probability 0 must never be drawn.
double ChiSquare(const std::vector<int>& counts, const std::vector<double>& expected) {
  const double n = std::accumulate(counts.begin(), counts.end(), 0.0);
  double chi = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (expected[i] == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " must be filtered out";
      continue;
    }
    const double e = n * expected[i];
    chi += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi;
}

// The probabilities restricted to `keep`, renormalized.
std::vector<double> Restrict(std::vector<double> p, const std::set<int>& keep) {
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!keep.count(int(i))) p[i] = 0;
    sum += p[i];
  }
  for (double& x : p) x /= sum;
  return p;
}

// log(p) for a distribution, placed at shuffled positions.
std::vector<float> LogitsFor(const std::vector<double>& probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(float(std::log(p)));
  return out;
}

TEST(ArgmaxTest, LargestLowestIndexOnTies) {
  const std::vector<float> a = {1, 3, 2, 3, -1};
  EXPECT_EQ(Argmax(a.data(), 5), 1);
  const std::vector<float> b = {-kInf, -kInf};
  EXPECT_EQ(Argmax(b.data(), 2), 0);
  const std::vector<float> c = {kNaN, -5, kNaN, 7, kNaN};
  EXPECT_EQ(Argmax(c.data(), 5), 3);
  const std::vector<float> d = {kNaN, kNaN};
  EXPECT_EQ(Argmax(d.data(), 2), 0);
  const std::vector<float> e = {1, kInf, kInf};
  EXPECT_EQ(Argmax(e.data(), 3), 1);
}

TEST(SamplerTest, GreedyPicksArgmax) {
  for (float t : {0.0f, -1.0f}) {
    SamplingParams p;  // defaults for the filters, which greedy ignores
    p.temperature = t;
    const std::vector<float> logits = RandomLogits(1000, 7);
    const int32_t want = Argmax(logits.data(), 1000);
    Sampler s(p, 1000);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(s.Sample(logits.data()), want);
  }
}

TEST(SamplerTest, GreedyAppliesPenalties) {
  SamplingParams p = Plain();
  p.temperature = 0;
  p.repeat_penalty = 1.1f;
  const std::vector<float> logits = {5.0f, 4.9f, 1.0f};
  Sampler s(p, 3);
  EXPECT_EQ(s.Sample(logits.data()), 0);
  s.Accept(0);
  EXPECT_EQ(s.Sample(logits.data()), 1);  // 5 / 1.1 < 4.9
  s.Reset();
  EXPECT_EQ(s.Sample(logits.data()), 0);

  SamplingParams q = Plain();
  q.temperature = 0;
  q.presence_penalty = 0.05f;
  q.frequency_penalty = 0.1f;
  Sampler f(q, 3);
  f.Accept(0);
  EXPECT_EQ(f.Sample(logits.data()), 1);  // 5 - 0.15 < 4.9
}

TEST(SamplerTest, ApplyPenaltiesExact) {
  SamplingParams p = Plain();
  p.repeat_penalty = 2.0f;
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  p.repeat_last_n = -1;
  Sampler s(p, 5);
  for (int32_t t : {0, 0, 1, 3}) s.Accept(t);
  std::vector<float> l = {4.0f, -4.0f, 4.0f, 1.0f, 0.0f};
  s.ApplyPenalties(l.data());
  EXPECT_FLOAT_EQ(l[0], 4.0f / 2 - (2 * 0.5f + 0.25f));
  EXPECT_FLOAT_EQ(l[1], -4.0f * 2 - (1 * 0.5f + 0.25f));
  EXPECT_FLOAT_EQ(l[2], 4.0f);
  EXPECT_FLOAT_EQ(l[3], 1.0f / 2 - (1 * 0.5f + 0.25f));
  EXPECT_FLOAT_EQ(l[4], 0.0f);

  // A zero logit of a seen token is multiplied (stays 0), then shifted.
  s.Accept(4);
  std::vector<float> z = {0, 0, 0, 0, 0};
  s.ApplyPenalties(z.data());
  EXPECT_FLOAT_EQ(z[4], -0.75f);
}

TEST(SamplerTest, PenaltyWindow) {
  SamplingParams p = Plain();
  p.repeat_penalty = 2.0f;
  p.frequency_penalty = 1.0f;
  p.repeat_last_n = 3;
  Sampler s(p, 4);
  for (int32_t t : {0, 1, 2, 2}) s.Accept(t);  // 0 has left the window
  std::vector<float> l = {2, 2, 2, 2};
  s.ApplyPenalties(l.data());
  EXPECT_FLOAT_EQ(l[0], 2.0f);
  EXPECT_FLOAT_EQ(l[1], 1.0f - 1);
  EXPECT_FLOAT_EQ(l[2], 1.0f - 2);
  EXPECT_FLOAT_EQ(l[3], 2.0f);

  s.Accept(3);  // window now {2, 2, 3}
  l = {2, 2, 2, 2};
  s.ApplyPenalties(l.data());
  EXPECT_FLOAT_EQ(l[1], 2.0f);
  EXPECT_FLOAT_EQ(l[2], 1.0f - 2);
  EXPECT_FLOAT_EQ(l[3], 1.0f - 1);

  s.Reset();
  l = {2, 2, 2, 2};
  s.ApplyPenalties(l.data());
  EXPECT_EQ(l, std::vector<float>({2, 2, 2, 2}));
}

TEST(SamplerTest, PenaltiesOffWhenWindowZeroOrNeutral) {
  SamplingParams p = Plain();
  p.repeat_penalty = 2.0f;
  p.presence_penalty = 1.0f;
  p.repeat_last_n = 0;
  Sampler s(p, 3);
  s.Accept(1);
  std::vector<float> l = {1, 1, 1};
  s.ApplyPenalties(l.data());
  EXPECT_EQ(l, std::vector<float>({1, 1, 1}));

  Sampler neutral(Plain(), 3);
  neutral.Accept(1);
  neutral.ApplyPenalties(l.data());
  EXPECT_EQ(l, std::vector<float>({1, 1, 1}));
}

TEST(SamplerTest, PenaltiesSkipOutOfRangeTokens) {
  SamplingParams p = Plain();
  p.presence_penalty = 1.0f;
  Sampler s(p, 3);
  s.Accept(-1);
  s.Accept(3);
  s.Accept(1000000);
  s.Accept(2);
  std::vector<float> l = {1, 1, 1};
  s.ApplyPenalties(l.data());
  EXPECT_EQ(l, std::vector<float>({1, 1, 0}));
}

TEST(SamplerTest, SameSeedSameSequence) {
  SamplingParams p;  // defaults: top-k 40, top-p, min-p, temperature 0.8
  const std::vector<float> logits = RandomLogits(5000, 1, 4.0f);
  Sampler a(p, 5000), b(p, 5000);
  std::vector<int32_t> first;
  for (int i = 0; i < 1000; ++i) {
    const int32_t x = a.Sample(logits.data());
    EXPECT_EQ(x, b.Sample(logits.data())) << "draw " << i;
    first.push_back(x);
  }
  // Reset reseeds: the same sequence again.
  a.Reset();
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.Sample(logits.data()), first[i]);

  SamplingParams q = p;
  q.seed = p.seed + 1;
  Sampler c(q, 5000);
  int differ = 0;
  for (int i = 0; i < 1000; ++i) differ += c.Sample(logits.data()) != first[i];
  EXPECT_GT(differ, 500);
  // Not stuck on one token either.
  EXPECT_GT(std::set<int32_t>(first.begin(), first.end()).size(), 10u);
}

// Fixed draws for a fixed seed. mt19937_64 is fully specified by the
// standard and the uniform is built from its raw bits, so these hold with
// every standard library.
TEST(SamplerTest, GoldenSequence) {
  SamplingParams p = Plain();
  p.seed = 42;
  const std::vector<float> logits = {0, 0, 0, 0, 0, 0, 0, 0};  // uniform
  Sampler s(p, 8);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100; ++i) {
    // Uniform over 8 equal weights: token = floor(u * 8).
    const double u = double(rng() >> 11) * 0x1.0p-53;
    ASSERT_EQ(s.Sample(logits.data()), int32_t(u * 8)) << "draw " << i;
  }
}

TEST(SamplerTest, FiltersAtTheirLimitEqualGreedy) {
  for (uint64_t trial = 0; trial < 20; ++trial) {
    const std::vector<float> logits = RandomLogits(3000, 100 + trial);
    const int32_t want = Argmax(logits.data(), 3000);

    SamplingParams k1 = Plain();
    k1.top_k = 1;
    k1.seed = trial;
    SamplingParams p0 = Plain();
    p0.top_p = 1e-6f;
    p0.seed = trial;
    SamplingParams pz = Plain();
    pz.top_p = 0.0f;
    pz.seed = trial;
    SamplingParams m1 = Plain();
    m1.min_p = 1.0f;
    m1.seed = trial;
    for (const SamplingParams& p : {k1, p0, pz, m1}) {
      Sampler s(p, 3000);
      for (int i = 0; i < 20; ++i) ASSERT_EQ(s.Sample(logits.data()), want);
    }
  }
}

TEST(SamplerTest, MinPOneKeepsTiesOnly) {
  SamplingParams p = Plain();
  p.min_p = 1.0f;
  const std::vector<float> logits = {1, 3, 2, 3};
  Sampler s(p, 4);
  const std::vector<int> counts = Histogram(&s, logits, 2000);
  EXPECT_EQ(counts[0] + counts[2], 0);
  EXPECT_GT(counts[1], 800);
  EXPECT_GT(counts[3], 800);
}

// Critical values of chi-square at p = 0.001; with fixed seeds the tests are
// deterministic, the threshold only says how good "matching" must be.
constexpr double kChi7 = 24.32;
constexpr double kChi3 = 16.27;
constexpr double kChi2 = 13.82;
constexpr double kChi1 = 10.83;

TEST(SamplerTest, PlainSamplingMatchesSoftmax) {
  const std::vector<float> logits = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, -3.0f, 1.5f, -0.5f};
  Sampler s(Plain(), 8);
  const std::vector<int> counts = Histogram(&s, logits, 200000);
  EXPECT_LT(ChiSquare(counts, Softmax(logits)), kChi7);
}

TEST(SamplerTest, TemperatureScalesLogits) {
  const std::vector<float> logits = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, -3.0f, 1.5f, -0.5f};
  for (double t : {0.5, 2.0}) {
    SamplingParams p = Plain();
    p.temperature = float(t);
    Sampler s(p, 8);
    const std::vector<int> counts = Histogram(&s, logits, 200000);
    EXPECT_LT(ChiSquare(counts, Softmax(logits, t)), kChi7) << "T=" << t;
    // The wrong temperature is clearly rejected.
    EXPECT_GT(ChiSquare(counts, Softmax(logits)), 1000) << "T=" << t;
  }
}

TEST(SamplerTest, TopKKeepsKBest) {
  const std::vector<float> logits = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, -3.0f, 1.5f, -0.5f};
  SamplingParams p = Plain();
  p.top_k = 3;
  Sampler s(p, 8);
  const std::vector<int> counts = Histogram(&s, logits, 100000);
  EXPECT_LT(ChiSquare(counts, Restrict(Softmax(logits), {2, 4, 6})), kChi2);
}

TEST(SamplerTest, TopPKeepsSmallestPrefix) {
  // Probabilities 0.5, 0.3, 0.15, 0.05 at shuffled positions.
  const std::vector<float> logits = LogitsFor({0.15, 0.5, 0.05, 0.3});
  SamplingParams p = Plain();
  p.top_p = 0.7f;  // 0.5 < 0.7 <= 0.8: keep two
  Sampler s(p, 4);
  std::vector<int> counts = Histogram(&s, logits, 100000);
  EXPECT_LT(ChiSquare(counts, Restrict(Softmax(logits), {1, 3})), kChi1);

  p.top_p = 0.9f;  // 0.8 < 0.9 <= 0.95: keep three
  Sampler s3(p, 4);
  counts = Histogram(&s3, logits, 100000);
  EXPECT_LT(ChiSquare(counts, Restrict(Softmax(logits), {0, 1, 3})), kChi2);
}

TEST(SamplerTest, TopPAfterTopK) {
  // After top-k 3 the masses renormalize to 0.526, 0.316, 0.158; top-p 0.8
  // then keeps two.
  const std::vector<float> logits = LogitsFor({0.15, 0.5, 0.05, 0.3});
  SamplingParams p = Plain();
  p.top_k = 3;
  p.top_p = 0.8f;
  Sampler s(p, 4);
  const std::vector<int> counts = Histogram(&s, logits, 50000);
  EXPECT_LT(ChiSquare(counts, Restrict(Softmax(logits), {1, 3})), kChi1);
}

TEST(SamplerTest, MinPDropsUnlikely) {
  const std::vector<float> logits = LogitsFor({0.15, 0.5, 0.05, 0.3});
  SamplingParams p = Plain();
  p.min_p = 0.2f;  // keep p >= 0.1
  Sampler s(p, 4);
  const std::vector<int> counts = Histogram(&s, logits, 100000);
  EXPECT_LT(ChiSquare(counts, Restrict(Softmax(logits), {0, 1, 3})), kChi2);
}

TEST(SamplerTest, FiltersUseUnscaledProbabilitiesThenTemperature) {
  // Top-p sees temperature-1 probabilities; the temperature reshapes only
  // the survivors.
  const std::vector<float> logits = LogitsFor({0.15, 0.5, 0.05, 0.3});
  SamplingParams p = Plain();
  p.top_p = 0.9f;
  p.temperature = 0.5f;
  Sampler s(p, 4);
  const std::vector<int> counts = Histogram(&s, logits, 100000);
  EXPECT_LT(ChiSquare(counts, Restrict(Softmax(logits, 0.5), {0, 1, 3})), kChi2);
}

TEST(SamplerTest, PenaltiesShiftTheDistribution) {
  const std::vector<float> logits = {1.0f, 1.0f, 0.0f, -1.0f};
  SamplingParams p = Plain();
  p.repeat_penalty = 2.0f;
  p.presence_penalty = 0.5f;
  Sampler s(p, 4);
  s.Accept(0);
  s.Accept(3);
  const std::vector<float> penalized = {0.5f - 0.5f, 1.0f, 0.0f, -2.0f - 0.5f};
  const std::vector<int> counts = Histogram(&s, logits, 100000);
  EXPECT_LT(ChiSquare(counts, Softmax(penalized)), kChi3);
}

TEST(SamplerTest, TinyTemperatureIsGreedy) {
  // 1/T overflows to inf for the smallest T; exp must not produce NaN.
  const std::vector<float> logits = RandomLogits(5000, 11);
  const int32_t want = Argmax(logits.data(), 5000);
  for (float t : {1e-20f, 1e-30f, 1e-45f}) {
    SamplingParams p = Plain();
    p.temperature = t;
    Sampler s(p, 5000);
    for (int i = 0; i < 20; ++i) ASSERT_EQ(s.Sample(logits.data()), want) << t;
  }
}

TEST(SamplerTest, NonFiniteLogits) {
  SamplingParams p;
  p.temperature = 1.0f;
  // NaN and -inf are never drawn.
  const std::vector<float> some = {kNaN, 0.0f, -kInf, 0.0f, kNaN};
  Sampler s(p, 5);
  for (int i = 0; i < 200; ++i) {
    const int32_t t = s.Sample(some.data());
    ASSERT_TRUE(t == 1 || t == 3) << t;
  }
  // Nothing drawable: token 0.
  const std::vector<float> none = {kNaN, -kInf, kNaN};
  Sampler n(p, 3);
  EXPECT_EQ(n.Sample(none.data()), 0);
  // +inf wins over every finite logit, ties shared.
  const std::vector<float> inf = {3.0f, kInf, 1e30f, kInf, kNaN};
  for (SamplingParams q : {Plain(), p}) {
    Sampler s2(q, 5);
    const std::vector<int> counts = Histogram(&s2, inf, 2000);
    EXPECT_EQ(counts[0] + counts[2] + counts[4], 0);
    EXPECT_GT(counts[1], 800);
    EXPECT_GT(counts[3], 800);
  }
  // Greedy too.
  SamplingParams g = Plain();
  g.temperature = 0;
  g.repeat_penalty = 1.5f;
  Sampler sg(g, 5);
  sg.Accept(1);
  EXPECT_EQ(sg.Sample(inf.data()), 1);  // inf / 1.5 is still inf, lowest index
}

TEST(SamplerTest, LargeVocabTopPMatchesReference) {
  // 152k tokens, p ~ exp(-rank / 1000) at shuffled positions: top-p 0.9
  // keeps about 2300 ranks, spread over many of the sampler's buckets.
  constexpr int32_t kVocab = 152064;
  std::vector<int32_t> perm(kVocab);
  std::iota(perm.begin(), perm.end(), 0);
  std::mt19937_64 rng(3);
  for (int32_t i = kVocab - 1; i > 0; --i) std::swap(perm[i], perm[rng() % (i + 1)]);
  std::vector<float> logits(kVocab);
  for (int32_t r = 0; r < kVocab; ++r) logits[perm[r]] = -r / 1000.0f;

  // Reference: the smallest prefix of ranks with mass >= 0.9.
  const std::vector<double> probs = Softmax(logits);
  double cum = 0;
  int32_t keep = 0;
  while (cum < 0.9 * (1 - 1e-12)) cum += probs[perm[keep++]];
  std::vector<int32_t> rank(kVocab);
  for (int32_t r = 0; r < kVocab; ++r) rank[perm[r]] = r;

  SamplingParams p = Plain();
  p.top_p = 0.9f;
  Sampler s(p, kVocab);
  int32_t max_rank = 0;
  int deep = 0;
  for (int i = 0; i < 300; ++i) {
    const int32_t r = rank[s.Sample(logits.data())];
    ASSERT_LT(r, keep + 1);  // one rank of float rounding at the edge
    max_rank = std::max(max_rank, r);
    deep += r >= 1280;
  }
  EXPECT_GT(max_rank, keep - 400);
  // P(rank >= 1280 | kept) = (e^-1.28 - e^-2.3) / 0.9 ~ 0.2.
  EXPECT_GT(deep, 30);
}

TEST(SamplerTest, LargeVocabDefaults) {
  constexpr int32_t kVocab = 152064;
  const std::vector<float> logits = RandomLogits(kVocab, 9, 10.0f);
  std::vector<int32_t> order(kVocab);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + 40, order.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  const std::set<int32_t> top40(order.begin(), order.begin() + 40);
  Sampler s(SamplingParams(), kVocab);
  for (int i = 0; i < 200; ++i) {
    const int32_t t = s.Sample(logits.data());
    ASSERT_TRUE(top40.count(t)) << t;
    s.Accept(t);
  }
}

}  // namespace
}  // namespace radixlm
