#include "sampling/sampler.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <limits>

#include "base/check.h"

namespace radixlm {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Candidate order: descending by logit, the lower id first on ties. A strict
// total order (no NaN in w), so the kept sets do not depend on the standard
// library's algorithms.
struct Higher {
  const float* w;
  bool operator()(int32_t a, int32_t b) const {
    return w[a] > w[b] || (w[a] == w[b] && a < b);
  }
};

// Returns exp(d) for d <= 0, flushing to 0 below -80 (a weight under 2e-35
// of the max's): libm's underflow path (errno, denormals) is many times
// slower, and low temperatures send most of a vocabulary there. Written
// without a branch, which would be mispredicted on shuffled logits.
inline float ExpGap(float d) {
  const float e = std::exp(std::max(d, -80.0f));
  return d < -80.0f ? 0.0f : e;
}

// out[i] = logits[i] with NaN -> -inf (never drawn) and +inf -> FLT_MAX (so
// softmax stays finite). Branch-free, so the compiler vectorizes it.
void Sanitize(float* out, const float* logits, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    float x = logits[i];
    x = x == x ? x : kNegInf;
    x = x > FLT_MAX ? FLT_MAX : x;
    out[i] = x;
  }
}

// Sets *ids to the (up to) k ids of w[0, n) with w > -inf that rank first
// in Higher order, sorted in that order. One pass with a size-k heap whose
// top is the worst kept id; most tokens are rejected by one compare.
void SelectTopK(const float* w, size_t n, size_t k, std::vector<int32_t>* ids) {
  const Higher higher{w};
  ids->clear();
  size_t i = 0;
  for (; i < n && ids->size() < k; ++i) {
    if (w[i] > kNegInf) ids->push_back(static_cast<int32_t>(i));
  }
  if (ids->empty()) return;
  std::make_heap(ids->begin(), ids->end(), higher);
  float floor = w[ids->front()];
  for (; i < n; ++i) {
    // Ids come in increasing order, so a tie loses to every kept id.
    if (w[i] <= floor) continue;
    std::pop_heap(ids->begin(), ids->end(), higher);
    ids->back() = static_cast<int32_t>(i);
    std::push_heap(ids->begin(), ids->end(), higher);
    floor = w[ids->front()];
  }
  std::sort_heap(ids->begin(), ids->end(), higher);
}

// Top-p over ids[0, m) (candidates with w > -inf, any order; max_logit is
// their max): returns keep and reorders ids so that ids[0, keep) is the
// shortest Higher-order prefix whose temperature-1 mass reaches top_p.
//
// Instead of sorting, candidates go into kBuckets buckets by their gap below
// the max (gaps past kMaxGap share the last bucket; their mass is below
// float precision). The buckets above the one where the running mass crosses
// top_p are kept whole; only that bucket is sorted. The reordering is done
// by hand so that the order, and with it the draw, is the same with every
// standard library.
size_t TopP(const float* w, float max_logit, double top_p, int32_t* ids, size_t m) {
  constexpr size_t kBuckets = 1024;
  constexpr double kMaxGap = 64.0;
  constexpr double kScale = kBuckets / kMaxGap;
  auto bucket = [w, max_logit](int32_t id) {
    // gap >= 0; written so that it compiles to minsd and a signed convert,
    // without branches that shuffled logits would mispredict.
    double x = (double(max_logit) - double(w[id])) * kScale;
    x = x < double(kBuckets - 1) ? x : double(kBuckets - 1);
    return static_cast<size_t>(static_cast<int32_t>(x));
  };
  std::array<double, kBuckets> mass{};
  double total = 0.0;
  for (size_t i = 0; i < m; ++i) {
    const double p = ExpGap(w[ids[i]] - max_logit);
    mass[bucket(ids[i])] += p;
    total += p;
  }
  const double target = top_p * total;
  double cum = 0.0;
  size_t cut = 0;  // the bucket where the running mass reaches target
  while (cut + 1 < kBuckets && cum + mass[cut] < target) cum += mass[cut++];

  // Partition: buckets before `cut`, then bucket `cut`, then the rest.
  // Branch-free Lomuto: ids[0, lo) pass, ids[lo, i) fail; swapping always
  // keeps that true whether or not ids[i] passes.
  auto partition = [ids, m](size_t lo, auto pass) {
    for (size_t i = lo; i < m; ++i) {
      const int32_t id = ids[i];
      const bool ok = pass(id);
      ids[i] = ids[lo];
      ids[lo] = id;
      lo += ok;
    }
    return lo;
  };
  const size_t lo = partition(0, [&](int32_t id) { return bucket(id) < cut; });
  const size_t hi = partition(lo, [&](int32_t id) { return bucket(id) == cut; });
  std::sort(ids + lo, ids + hi, Higher{w});
  for (size_t i = lo; i < hi; ++i) {
    cum += ExpGap(w[ids[i]] - max_logit);
    if (cum >= target) return i + 1;
  }
  return std::max<size_t>(hi, 1);  // rounding: the mass fell just short
}

}  // namespace

int32_t Argmax(const float* logits, int32_t n) {
  // Two passes: the max, kept in 8 independent lanes so the compiler can use
  // SIMD max (NaN never wins the compare), then its first index. All
  // -inf/NaN gives 0.
  float lanes[8];
  std::fill(lanes, lanes + 8, kNegInf);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      lanes[j] = logits[i + j] > lanes[j] ? logits[i + j] : lanes[j];
    }
  }
  float best = kNegInf;
  for (; i < n; ++i) best = logits[i] > best ? logits[i] : best;
  for (int j = 0; j < 8; ++j) best = lanes[j] > best ? lanes[j] : best;
  if (best == kNegInf) return 0;
  for (i = 0; i < n; ++i) {
    if (logits[i] == best) return i;
  }
  return 0;
}

Sampler::Sampler(const SamplingParams& params, int32_t vocab_size)
    : params_(params), vocab_size_(vocab_size), rng_(params.seed) {
  RLM_CHECK(vocab_size > 0);
  work_.resize(static_cast<size_t>(vocab_size));
  ids_.reserve(static_cast<size_t>(vocab_size));
}

void Sampler::Accept(int32_t token) {
  const int32_t window = params_.repeat_last_n;
  if (window == 0) return;
  ++counts_[token];
  // An unbounded window only needs the counts.
  if (window < 0) return;
  recent_.push_back(token);
  if (recent_.size() > static_cast<size_t>(window)) {
    const int32_t old = recent_.front();
    recent_.pop_front();
    auto it = counts_.find(old);
    RLM_CHECK(it != counts_.end() && it->second > 0);
    if (--it->second == 0) counts_.erase(it);
  }
}

void Sampler::Reset() {
  recent_.clear();
  counts_.clear();
  rng_.seed(params_.seed);
}

bool Sampler::PenaltiesActive() const {
  if (params_.repeat_last_n == 0 || counts_.empty()) return false;
  return params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f ||
         params_.presence_penalty != 0.0f;
}

void Sampler::ApplyPenalties(float* logits) const {
  if (!PenaltiesActive()) return;
  const float repeat = params_.repeat_penalty;
  for (const auto& [token, count] : counts_) {
    if (token < 0 || token >= vocab_size_ || count <= 0) continue;
    float l = logits[token];
    if (repeat != 1.0f) l = l > 0.0f ? l / repeat : l * repeat;
    l -= static_cast<float>(count) * params_.frequency_penalty +
         params_.presence_penalty;
    logits[token] = l;
  }
}

double Sampler::NextUniform() {
  // The top 53 bits fill a double's mantissa exactly.
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

int32_t Sampler::Sample(const float* logits) {
  const size_t n = static_cast<size_t>(vocab_size_);
  float* w = work_.data();

  // Greedy: penalties (if any), then argmax.
  if (params_.temperature <= 0.0f) {
    if (!PenaltiesActive()) return Argmax(logits, vocab_size_);
    std::copy(logits, logits + n, w);
    ApplyPenalties(w);
    return Argmax(w, vocab_size_);
  }

  // 1. Sanitize, then penalties.
  Sanitize(w, logits, n);
  ApplyPenalties(w);

  // 2. Candidates, the tokens with a nonzero probability; top-k keeps the k
  //    best of them (sorted, so the max comes first).
  const bool top_k = params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n;
  if (top_k) {
    SelectTopK(w, n, static_cast<size_t>(params_.top_k), &ids_);
  } else {
    ids_.clear();
    for (size_t i = 0; i < n; ++i) {
      if (w[i] > kNegInf) ids_.push_back(static_cast<int32_t>(i));
    }
  }
  if (ids_.empty()) return 0;  // every logit is NaN or -inf
  size_t m = ids_.size();  // candidates still in the running: ids_[0, m)
  float max_logit = w[ids_[0]];
  if (!top_k) {
    for (size_t i = 0; i < m; ++i) max_logit = std::max(max_logit, w[ids_[i]]);
  }

  // 3. Top-p on the temperature-1 distribution of the survivors: keep the
  //    shortest prefix of the sorted candidates whose mass reaches top_p.
  if (params_.top_p < 1.0f) {
    m = TopP(w, max_logit, params_.top_p, ids_.data(), m);
  }

  // 4. Min-p: keep p >= min_p * p_max, i.e. logit >= max + log(min_p).
  if (params_.min_p > 0.0f) {
    const double min_p = std::min(double(params_.min_p), 1.0);
    const double threshold = double(max_logit) + std::log(min_p);
    size_t kept = 0;
    for (size_t i = 0; i < m; ++i) {
      if (double(w[ids_[i]]) >= threshold) ids_[kept++] = ids_[i];
    }
    RLM_CHECK(kept > 0);  // the max logit is always a survivor and passes
    m = kept;
  }

  // 5. Temperature and softmax; the weights overwrite the logits in work_.
  //    The max gets weight 1 even when 1/T overflows (0 * inf is NaN).
  const float inv_t = 1.0f / params_.temperature;
  double total = 0.0;
  for (size_t i = 0; i < m; ++i) {
    const int32_t id = ids_[i];
    const float d = w[id] - max_logit;
    const float p = d < 0.0f ? ExpGap(d * inv_t) : 1.0f;
    w[id] = p;
    total += p;
  }

  // 6. Draw by walking the cumulative weights.
  const double r = NextUniform() * total;
  double cum = 0.0;
  int32_t last_nonzero = ids_[0];
  for (size_t i = 0; i < m; ++i) {
    const int32_t id = ids_[i];
    if (w[id] <= 0.0f) continue;
    cum += w[id];
    last_nonzero = id;
    if (r < cum) return id;
  }
  return last_nonzero;
}

}  // namespace radixlm
