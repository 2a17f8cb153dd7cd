// AttendTile, SIMD through Highway runtime dispatch; see attention.h.
//
// Per tile of N query vectors (N = f32 lanes), with T = the longest n_ctx:
//   qt[k][i]     = scale * q_i[k]                  (transposed once)
//   score[t][i]  = sum_k qt[k][i] * key_t[k]       (4 positions per pass:
//                  one qt load feeds 4 FMAs with broadcast key elements)
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

// out[c] (c < kC) += p * value[c], then stored scaled by inv into stage[c][lane].
template <size_t kC>
HWY_INLINE void OutputChunk(const float* scores, size_t T, const float* const* values,
                            size_t d0, VF inv, float* stage) {
  const DF df;
  const size_t N = hn::Lanes(df);
  VF acc[kC];
  for (size_t c = 0; c < kC; ++c) acc[c] = hn::Zero(df);
  for (size_t t = 0; t < T; ++t) {
    const VF p = hn::LoadU(df, scores + t * N);
    const float* v = values[t] + d0;
    HWY_UNROLL(8)
    for (size_t c = 0; c < kC; ++c) acc[c] = hn::MulAdd(p, hn::Set(df, v[c]), acc[c]);
  }
  for (size_t c = 0; c < kC; ++c) hn::StoreU(hn::Mul(acc[c], inv), df, stage + c * N);
}

void AttendTileImpl(const AttentionQuery* queries, size_t n, const float* const* keys,
                    const float* const* values, size_t head_dim, float scale, float* scratch) {
  const DF df;
  const size_t N = hn::Lanes(df);
  size_t T = 0;
  for (size_t i = 0; i < n; ++i) T = std::max(T, queries[i].n_ctx);
  float* qt = scratch;                 // [head_dim][N]
  float* limit = qt + head_dim * N;    // [N]
  float* stage = limit + N;            // [kOutChunk][N]
  float* scores = stage + kOutChunk * N;  // [T][N]
  for (size_t k = 0; k < head_dim; ++k) {
    for (size_t i = 0; i < N; ++i) qt[k * N + i] = i < n ? queries[i].q[k] * scale : 0.0f;
  }
  // Unused lanes see every position (with q = 0): no lane is empty.
  for (size_t i = 0; i < N; ++i) limit[i] = static_cast<float>(i < n ? queries[i].n_ctx : T);

  // Scores, 4 positions at a time.
  size_t t = 0;
  for (; t + 4 <= T; t += 4) {
    const float* k0 = keys[t];
    const float* k1 = keys[t + 1];
    const float* k2 = keys[t + 2];
    const float* k3 = keys[t + 3];
    VF a0 = hn::Zero(df), a1 = hn::Zero(df), a2 = hn::Zero(df), a3 = hn::Zero(df);
    for (size_t k = 0; k < head_dim; ++k) {
      const VF qv = hn::LoadU(df, qt + k * N);
      a0 = hn::MulAdd(qv, hn::Set(df, k0[k]), a0);
      a1 = hn::MulAdd(qv, hn::Set(df, k1[k]), a1);
      a2 = hn::MulAdd(qv, hn::Set(df, k2[k]), a2);
      a3 = hn::MulAdd(qv, hn::Set(df, k3[k]), a3);
    }
    hn::StoreU(a0, df, scores + t * N);
    hn::StoreU(a1, df, scores + (t + 1) * N);
    hn::StoreU(a2, df, scores + (t + 2) * N);
    hn::StoreU(a3, df, scores + (t + 3) * N);
  }
  for (; t < T; ++t) {
    const float* k0 = keys[t];
    VF a0 = hn::Zero(df);
    for (size_t k = 0; k < head_dim; ++k) {
      a0 = hn::MulAdd(hn::LoadU(df, qt + k * N), hn::Set(df, k0[k]), a0);
    }
    hn::StoreU(a0, df, scores + t * N);
  }

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

  // Weighted values, kOutChunk output elements per pass.
  size_t d0 = 0;
  for (; d0 + kOutChunk <= head_dim; d0 += kOutChunk) {
    OutputChunk<kOutChunk>(scores, T, values, d0, inv, stage);
    for (size_t i = 0; i < n; ++i) {
      for (size_t c = 0; c < kOutChunk; ++c) queries[i].out[d0 + c] = stage[c * N + i];
    }
  }
  for (; d0 < head_dim; ++d0) {
    OutputChunk<1>(scores, T, values, d0, inv, stage);
    for (size_t i = 0; i < n; ++i) queries[i].out[d0] = stage[i];
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
  return (head_dim + 1 + kOutChunk + max_ctx) * kMaxTileWidth;
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
