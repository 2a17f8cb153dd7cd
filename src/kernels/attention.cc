// AttendTile, SIMD through Highway runtime dispatch; see attention.h.
//
// Per tile of up to W = 2N query vectors (two vectors of N f32 lanes; one
// vector, W = N, for tiles of N queries or fewer), with T = the longest
// n_ctx:
//   qt[k][i]     = scale * q_i[k]                  (transposed once)
//   score[t][i]  = sum_k qt[k][i] * key_t[k]       (6 or 8 positions per
//                  pass; each broadcast key element feeds 2 FMAs, or 1)
//   softmax over t, per lane, masked to t < n_ctx_i
//   out_i[k]     = sum_t p[t][i] * value_t[k] / sum_t p[t][i]
//                  (4 or 8 output elements per pass over a block of positions)
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.h"

#include "base/check.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

#ifndef RADIXLM_KERNELS_ATTENTION_CONSTANTS_
#define RADIXLM_KERNELS_ATTENTION_CONSTANTS_
namespace radixlm {
namespace {
// Upper bound of the tile width (2 vectors of f32 lanes) of any target
// (scratch sizing; AttentionTileWidth checks it).
constexpr size_t kMaxTileWidth = 64;
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

// A tile is up to two vectors of query lanes, so each broadcast K/V
// element feeds two FMAs; tiles of one vector's queries or fewer (decode:
// one position's GQA group) take the one-vector kernel.
constexpr size_t kMaxVecs = 2;

size_t TileWidthImpl() { return kMaxVecs * hn::Lanes(DF()); }

// scores[p][lane] (p < kT, lane < W) = sum_k qt[k][lane] * keys[p][k].
template <size_t kVecs, size_t kT>
HWY_INLINE void ScorePass(const float* qt, const float* const* keys, size_t head_dim,
                          float* scores) {
  const DF df;
  const size_t N = hn::Lanes(df), W = kVecs * N;
  VF acc[kT][kVecs];
  for (size_t p = 0; p < kT; ++p) {
    for (size_t v = 0; v < kVecs; ++v) acc[p][v] = hn::Zero(df);
  }
  for (size_t k = 0; k < head_dim; ++k) {
    VF qv[kVecs];
    for (size_t v = 0; v < kVecs; ++v) qv[v] = hn::LoadU(df, qt + k * W + v * N);
    HWY_UNROLL(8)
    for (size_t p = 0; p < kT; ++p) {
      const VF kb = hn::Set(df, keys[p][k]);
      for (size_t v = 0; v < kVecs; ++v) acc[p][v] = hn::MulAdd(qv[v], kb, acc[p][v]);
    }
  }
  for (size_t p = 0; p < kT; ++p) {
    for (size_t v = 0; v < kVecs; ++v) hn::StoreU(acc[p][v], df, scores + p * W + v * N);
  }
}

// sums[c][lane] (c < kC) += sum over t in [t0, t1) of p[t][lane] * value_t[d0 + c].
template <size_t kVecs, size_t kC>
HWY_INLINE void OutputChunk(const float* scores, size_t t0, size_t t1,
                            const float* const* values, size_t d0, float* sums) {
  const DF df;
  const size_t N = hn::Lanes(df), W = kVecs * N;
  VF acc[kC][kVecs];
  for (size_t c = 0; c < kC; ++c) {
    for (size_t v = 0; v < kVecs; ++v) acc[c][v] = hn::LoadU(df, sums + c * W + v * N);
  }
  for (size_t t = t0; t < t1; ++t) {
    VF p[kVecs];
    for (size_t v = 0; v < kVecs; ++v) p[v] = hn::LoadU(df, scores + t * W + v * N);
    const float* val = values[t] + d0;
    HWY_UNROLL(8)
    for (size_t c = 0; c < kC; ++c) {
      const VF vb = hn::Set(df, val[c]);
      for (size_t v = 0; v < kVecs; ++v) acc[c][v] = hn::MulAdd(p[v], vb, acc[c][v]);
    }
  }
  for (size_t c = 0; c < kC; ++c) {
    for (size_t v = 0; v < kVecs; ++v) hn::StoreU(acc[c][v], df, sums + c * W + v * N);
  }
}

// Softmax of one vector of lanes (scores at stride W) over its positions,
// masked to t < lim; returns 1 / sum.
HWY_INLINE VF Softmax(float* scores, size_t T, size_t W, VF lim) {
  const DF df;
  VF mx = hn::Set(df, -std::numeric_limits<float>::infinity());
  for (size_t t = 0; t < T; ++t) {
    const auto valid = hn::Lt(hn::Set(df, static_cast<float>(t)), lim);
    mx = hn::IfThenElse(valid, hn::Max(mx, hn::LoadU(df, scores + t * W)), mx);
  }
  VF sum = hn::Zero(df);
  for (size_t t = 0; t < T; ++t) {
    const auto valid = hn::Lt(hn::Set(df, static_cast<float>(t)), lim);
    const VF s = hn::IfThenElse(valid, hn::LoadU(df, scores + t * W), mx);
    const VF e = hn::IfThenElseZero(valid, hn::Exp(df, hn::Sub(s, mx)));
    hn::StoreU(e, df, scores + t * W);
    sum = hn::Add(sum, e);
  }
  return hn::Div(hn::Set(df, 1.0f), sum);
}

template <size_t kVecs>
void AttendTileV(const AttentionQuery* queries, size_t n, const float* const* keys,
                 const float* const* values, size_t head_dim, float scale, float* scratch) {
  // Positions per score pass and outputs per pass: 8 independent FMA
  // chains or more, with the query (or score) vectors and a broadcast.
  constexpr size_t kT = kVecs == 1 ? 8 : 6, kC = kVecs == 1 ? 8 : 4;
  const DF df;
  const size_t N = hn::Lanes(df), W = kVecs * N;
  size_t T = 0;
  for (size_t i = 0; i < n; ++i) T = std::max(T, queries[i].n_ctx);
  float* qt = scratch;                  // [head_dim][W]
  float* limit = qt + head_dim * W;     // [W]
  float* sums = limit + W;              // [head_dim][W]
  float* scores = sums + head_dim * W;  // [T][W]
  for (size_t k = 0; k < head_dim; ++k) {
    for (size_t i = 0; i < W; ++i) qt[k * W + i] = i < n ? queries[i].q[k] * scale : 0.0f;
  }
  // Unused lanes see every position (with q = 0): no lane is empty.
  for (size_t i = 0; i < W; ++i) limit[i] = static_cast<float>(i < n ? queries[i].n_ctx : T);

  // Scores, kT positions per pass.
  size_t t = 0;
  for (; t + kT <= T; t += kT) ScorePass<kVecs, kT>(qt, keys + t, head_dim, scores + t * W);
  for (; t < T; ++t) ScorePass<kVecs, 1>(qt, keys + t, head_dim, scores + t * W);

  // Softmax per lane over its own positions; masked positions weigh 0.
  VF inv[kVecs];
  for (size_t v = 0; v < kVecs; ++v) {
    inv[v] = Softmax(scores + v * N, T, W, hn::LoadU(df, limit + v * N));
  }

  // Weighted values, kC output elements per pass over a block of
  // kPosBlock positions: the block's value rows stay in L1 across the
  // passes (one pass over all positions per chunk missed L1 on every row).
  for (size_t i = 0; i < head_dim * W; ++i) sums[i] = 0.0f;
  for (size_t t0 = 0; t0 < T; t0 += kPosBlock) {
    const size_t t1 = std::min(T, t0 + kPosBlock);
    size_t d0 = 0;
    for (; d0 + kC <= head_dim; d0 += kC) {
      OutputChunk<kVecs, kC>(scores, t0, t1, values, d0, sums + d0 * W);
    }
    for (; d0 < head_dim; ++d0) OutputChunk<kVecs, 1>(scores, t0, t1, values, d0, sums + d0 * W);
  }
  for (size_t d = 0; d < head_dim; ++d) {
    for (size_t v = 0; v < kVecs; ++v) {
      float* s = sums + d * W + v * N;
      hn::StoreU(hn::Mul(hn::LoadU(df, s), inv[v]), df, s);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t d = 0; d < head_dim; ++d) queries[i].out[d] = sums[d * W + i];
  }
}

void AttendTileImpl(const AttentionQuery* queries, size_t n, const float* const* keys,
                    const float* const* values, size_t head_dim, float scale, float* scratch) {
  if (n <= hn::Lanes(DF())) {
    AttendTileV<1>(queries, n, keys, values, head_dim, scale, scratch);
  } else {
    AttendTileV<kMaxVecs>(queries, n, keys, values, head_dim, scale, scratch);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace radixlm
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace radixlm {

HWY_EXPORT(TileWidthImpl);
HWY_EXPORT(AttendTileImpl);

size_t AttentionTileWidth() {
  const size_t width = HWY_DYNAMIC_DISPATCH(TileWidthImpl)();
  RLM_CHECK(width <= kMaxTileWidth);
  return width;
}

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
