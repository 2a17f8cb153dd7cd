// AttendTile, SIMD through Highway runtime dispatch; see attention.h.
//
// Per tile of N query vectors (N = f32 lanes), with T = the longest n_ctx:
//   qt[k][i]     = scale * q_i[k]                  (transposed once)
//   score[t][i]  = sum_k qt[k][i] * key_t[k]       (8 positions per pass:
//                  one qt load feeds 8 FMAs with broadcast key elements)
//   softmax over t, per lane, masked to t < n_ctx_i
//   out_i[k]     = sum_t p[t][i] * value_t[k] / sum_t p[t][i]
//                  (8 output elements per pass over t)
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

#ifndef RADIXLM_KERNELS_ATTENTION_CONSTANTS_
#define RADIXLM_KERNELS_ATTENTION_CONSTANTS_
namespace radixlm {
namespace {
// Upper bound of the f32 lane count of any target (scratch sizing).
constexpr size_t kMaxTileWidth = 64;
// Output elements per pass over the positions.
constexpr size_t kOutChunk = 8;
// Positions per block of output passes (their value rows: 16 KiB at
// head_dim 64).
constexpr size_t kPosBlock = 64;
}  // namespace
}  // namespace radixlm
#endif  // RADIXLM_KERNELS_ATTENTION_CONSTANTS_

HWY_BEFORE_NAMESPACE();
namespace radixlm {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

size_t TileWidthImpl() { return hn::Lanes(DF()); }

// sums[c][lane] (c < kC) += sum over t in [t0, t1) of p[t][lane] * value_t[d0 + c].
template <size_t kC>
HWY_INLINE void OutputChunk(const float* scores, size_t t0, size_t t1,
                            const float* const* values, size_t d0, float* sums) {
  const DF df;
  const size_t N = hn::Lanes(df);
  VF acc[kC];
  for (size_t c = 0; c < kC; ++c) acc[c] = hn::LoadU(df, sums + c * N);
  for (size_t t = t0; t < t1; ++t) {
    const VF p = hn::LoadU(df, scores + t * N);
    const float* v = values[t] + d0;
    HWY_UNROLL(8)
    for (size_t c = 0; c < kC; ++c) acc[c] = hn::MulAdd(p, hn::Set(df, v[c]), acc[c]);
  }
  for (size_t c = 0; c < kC; ++c) hn::StoreU(acc[c], df, sums + c * N);
}

// scores[p][lane] (p < kT) = sum_k qt[k][lane] * keys[p][k].
template <size_t kT>
HWY_INLINE void ScorePass(const float* qt, const float* const* keys, size_t head_dim,
                          float* scores) {
  const DF df;
  const size_t N = hn::Lanes(df);
  VF acc[kT];
  for (size_t p = 0; p < kT; ++p) acc[p] = hn::Zero(df);
  for (size_t k = 0; k < head_dim; ++k) {
    const VF qv = hn::LoadU(df, qt + k * N);
    HWY_UNROLL(8)
    for (size_t p = 0; p < kT; ++p) acc[p] = hn::MulAdd(qv, hn::Set(df, keys[p][k]), acc[p]);
  }
  for (size_t p = 0; p < kT; ++p) hn::StoreU(acc[p], df, scores + p * N);
}

void AttendTileImpl(const AttentionQuery* queries, size_t n, const float* const* keys,
                    const float* const* values, size_t head_dim, float scale, float* scratch) {
  const DF df;
  const size_t N = hn::Lanes(df);
  size_t T = 0;
  for (size_t i = 0; i < n; ++i) T = std::max(T, queries[i].n_ctx);
  float* qt = scratch;                 // [head_dim][N]
  float* limit = qt + head_dim * N;    // [N]
  float* sums = limit + N;             // [head_dim][N]
  float* scores = sums + head_dim * N;  // [T][N]
  for (size_t k = 0; k < head_dim; ++k) {
    for (size_t i = 0; i < N; ++i) qt[k * N + i] = i < n ? queries[i].q[k] * scale : 0.0f;
  }
  // Unused lanes see every position (with q = 0): no lane is empty.
  for (size_t i = 0; i < N; ++i) limit[i] = static_cast<float>(i < n ? queries[i].n_ctx : T);

  // Scores, 8 positions at a time: 8 independent FMA chains keep both FMA
  // pipes busy (4 chains are bound by the FMA latency, 4 cycles on Zen 3).
  size_t t = 0;
  for (; t + 8 <= T; t += 8) ScorePass<8>(qt, keys + t, head_dim, scores + t * N);
  for (; t < T; ++t) ScorePass<1>(qt, keys + t, head_dim, scores + t * N);
  // Softmax per lane over its own positions; masked positions weigh 0.
  const VF lim = hn::LoadU(df, limit);
  VF mx = hn::Set(df, -std::numeric_limits<float>::infinity());
  for (t = 0; t < T; ++t) {
    const auto valid = hn::Lt(hn::Set(df, static_cast<float>(t)), lim);
    mx = hn::IfThenElse(valid, hn::Max(mx, hn::LoadU(df, scores + t * N)), mx);
  }
  VF sum = hn::Zero(df);
  for (t = 0; t < T; ++t) {
    const auto valid = hn::Lt(hn::Set(df, static_cast<float>(t)), lim);
    const VF s = hn::IfThenElse(valid, hn::LoadU(df, scores + t * N), mx);
    const VF e = hn::IfThenElseZero(valid, hn::Exp(df, hn::Sub(s, mx)));
    hn::StoreU(e, df, scores + t * N);
    sum = hn::Add(sum, e);
  }
  const VF inv = hn::Div(hn::Set(df, 1.0f), sum);

  // Weighted values, kOutChunk output elements per pass over a block of
  // kPosBlock positions: the block's value rows stay in L1 across the
  // passes (one pass over all positions per chunk missed L1 on every row).
  for (size_t i = 0; i < head_dim * N; ++i) sums[i] = 0.0f;
  for (size_t t0 = 0; t0 < T; t0 += kPosBlock) {
    const size_t t1 = std::min(T, t0 + kPosBlock);
    size_t d0 = 0;
    for (; d0 + kOutChunk <= head_dim; d0 += kOutChunk) {
      OutputChunk<kOutChunk>(scores, t0, t1, values, d0, sums + d0 * N);
    }
    for (; d0 < head_dim; ++d0) OutputChunk<1>(scores, t0, t1, values, d0, sums + d0 * N);
  }
  for (size_t d = 0; d < head_dim; ++d) {
    hn::StoreU(hn::Mul(hn::LoadU(df, sums + d * N), inv), df, sums + d * N);
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t d = 0; d < head_dim; ++d) queries[i].out[d] = sums[d * N + i];
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace radixlm
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace radixlm {

HWY_EXPORT(TileWidthImpl);
HWY_EXPORT(AttendTileImpl);

size_t AttentionTileWidth() { return HWY_DYNAMIC_DISPATCH(TileWidthImpl)(); }

size_t AttentionScratchFloats(size_t max_ctx, size_t head_dim) {
  return (2 * head_dim + 1 + max_ctx) * kMaxTileWidth;
}

void AttendTile(const AttentionQuery* queries, size_t n, const float* const* keys,
                const float* const* values, size_t head_dim, float scale, float* scratch) {
  HWY_DYNAMIC_DISPATCH(AttendTileImpl)(queries, n, keys, values, head_dim, scale, scratch);
}

namespace scalar {

void AttendTile(const AttentionQuery* queries, size_t n, const float* const* keys,
                const float* const* values, size_t head_dim, float scale) {
  for (size_t i = 0; i < n; ++i) {
    const AttentionQuery& q = queries[i];
    std::vector<double> s(q.n_ctx);
    double mx = -std::numeric_limits<double>::infinity();
    for (size_t t = 0; t < q.n_ctx; ++t) {
      double dot = 0.0;
      for (size_t k = 0; k < head_dim; ++k) dot += static_cast<double>(q.q[k]) * keys[t][k];
      s[t] = dot * scale;
      mx = std::max(mx, s[t]);
    }
    double sum = 0.0;
    for (size_t t = 0; t < q.n_ctx; ++t) {
      s[t] = std::exp(s[t] - mx);
      sum += s[t];
    }
    for (size_t k = 0; k < head_dim; ++k) {
      double o = 0.0;
      for (size_t t = 0; t < q.n_ctx; ++t) o += s[t] * values[t][k];
      q.out[k] = static_cast<float>(o / sum);
    }
  }
}

}  // namespace scalar
}  // namespace radixlm
#endif  // HWY_ONCE
