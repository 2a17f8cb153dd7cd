// AffineMatMul and AffineDequantizeRow, SIMD through Highway runtime
// dispatch (compiled once per target by foreach_target.h).
//
// Work split: threads take contiguous ranges of output rows. For one weight
// row, a tile of up to kTileBatch x rows walks the groups: the group's
// codes are decoded once per vector (4-bit: one uint32 word broadcast and
// shifted per lane; 8-bit: bytes widened), multiplied into one f32
// accumulator per x row (q · x), and at the end of the group the partial
// is scaled into the row's accumulator (acc += s * partial) while the bias
// term b * sum(x_g) is added in scalar from the per-group sums of x. Vectors
// are at most 8 lanes so a 4-bit vector never straddles a word.
#include <vector>

#include "base/check.h"
#include "base/half.h"
#include "kernels/matmul_affine.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_affine.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace radixlm {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::CappedTag<float, 8>;
using VF = hn::Vec<DF>;

// x rows per tile: kTileBatch accumulators and partials plus a code vector.
constexpr size_t kTileBatch = 4;
// Output rows per thread chunk are a multiple of this.
constexpr size_t kGrain = 16;

HWY_INLINE float ScaleAt(const void* p, DType type, size_t i) {
  switch (type) {
    case DType::kF16: return F16ToF32(static_cast<const uint16_t*>(p)[i]);
    case DType::kBF16: return BF16ToF32(static_cast<const uint16_t*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

// The codes of weights [c, c + Lanes(df)) of a row as f32. REQUIRES
// c % Lanes(df) == 0.
template <int kBits>
HWY_INLINE VF Codes(DF df, const uint32_t* words, size_t c) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  if constexpr (kBits == 8) {
    const hn::Rebind<uint8_t, DF> d8;
    const auto bytes = hn::LoadU(d8, reinterpret_cast<const uint8_t*>(words) + c);
    return hn::ConvertTo(df, hn::BitCast(di, hn::PromoteTo(du, bytes)));
  } else {
    const auto word = hn::Set(du, words[c / 8]);
    const auto shifts = hn::ShiftLeft<2>(hn::Iota(du, static_cast<uint32_t>(c % 8)));
    const auto q = hn::And(hn::operator>>(word, shifts), hn::Set(du, 0xFu));
    return hn::ConvertTo(df, hn::BitCast(di, q));
  }
}

// out[b][r] for one weight row r and kB x rows starting at b0.
template <int kBits, size_t kB>
HWY_INLINE void RowTile(const TensorView& w, size_t r, const float* x, const float* xsum,
                        size_t b0, float* out, size_t out_stride) {
  const DF df;
  const size_t n = hn::Lanes(df);
  const size_t cols = w.cols, gs = w.group_size, n_groups = cols / gs;
  const uint32_t* words = static_cast<const uint32_t*>(w.row(r));
  const float* xr[kB];
  HWY_UNROLL(8)
  for (size_t j = 0; j < kB; ++j) xr[j] = x + (b0 + j) * cols;

  VF acc[kB];
  float bias_sum[kB];
  HWY_UNROLL(8)
  for (size_t j = 0; j < kB; ++j) {
    acc[j] = hn::Zero(df);
    bias_sum[j] = 0.0f;
  }
  for (size_t g = 0; g < n_groups; ++g) {
    VF part[kB];
    HWY_UNROLL(8)
    for (size_t j = 0; j < kB; ++j) part[j] = hn::Zero(df);
    const size_t c_end = (g + 1) * gs;
    for (size_t c = g * gs; c < c_end; c += n) {
      const VF q = Codes<kBits>(df, words, c);
      HWY_UNROLL(8)
      for (size_t j = 0; j < kB; ++j) part[j] = hn::MulAdd(q, hn::LoadU(df, xr[j] + c), part[j]);
    }
    const float s = ScaleAt(w.scales, w.scale_type, r * n_groups + g);
    const float bias = ScaleAt(w.biases, w.scale_type, r * n_groups + g);
    const VF vs = hn::Set(df, s);
    HWY_UNROLL(8)
    for (size_t j = 0; j < kB; ++j) {
      acc[j] = hn::MulAdd(part[j], vs, acc[j]);
      bias_sum[j] += bias * xsum[(b0 + j) * n_groups + g];
    }
  }
  HWY_UNROLL(8)
  for (size_t j = 0; j < kB; ++j) {
    out[(b0 + j) * out_stride + r] = hn::GetLane(hn::SumOfLanes(df, acc[j])) + bias_sum[j];
  }
}

template <int kBits>
HWY_NOINLINE void Rows(const TensorView& w, const float* x, const float* xsum, size_t n_batch,
                       size_t r_begin, size_t r_end, float* out, size_t out_stride) {
  for (size_t r = r_begin; r < r_end; ++r) {
    size_t b0 = 0;
    for (; b0 + kTileBatch <= n_batch; b0 += kTileBatch) {
      RowTile<kBits, kTileBatch>(w, r, x, xsum, b0, out, out_stride);
    }
    for (; b0 < n_batch; ++b0) RowTile<kBits, 1>(w, r, x, xsum, b0, out, out_stride);
  }
}

void AffineMatMulImpl(float* out, size_t out_stride, const TensorView& w, const float* x,
                      size_t n_batch, ThreadPool* pool) {
  const DF df;
  const size_t n = hn::Lanes(df);
  const size_t gs = w.group_size, n_groups = w.cols / gs;
  // Per-group sums of x, owned by the calling thread and reused.
  thread_local std::vector<float> xsum;
  xsum.resize(n_batch * n_groups);
  for (size_t b = 0; b < n_batch; ++b) {
    for (size_t g = 0; g < n_groups; ++g) {
      const float* xg = x + b * w.cols + g * gs;
      VF s = hn::Zero(df);
      for (size_t c = 0; c < gs; c += n) s = hn::Add(s, hn::LoadU(df, xg + c));
      xsum[b * n_groups + g] = hn::GetLane(hn::SumOfLanes(df, s));
    }
  }
  const float* sums = xsum.data();
  auto run = [&](size_t begin, size_t end, size_t) HWY_ATTR {
    if (w.type == DType::kMlxAffine4) {
      Rows<4>(w, x, sums, n_batch, begin, end, out, out_stride);
    } else {
      Rows<8>(w, x, sums, n_batch, begin, end, out, out_stride);
    }
  };
  if (pool == nullptr || pool->size() == 1 || w.rows < 2 * kGrain) {
    run(0, w.rows, 0);
  } else {
    pool->ParallelFor(w.rows, kGrain, run);
  }
}

template <int kBits>
HWY_INLINE void DequantizeRowT(float* out, const TensorView& w, size_t row) {
  const DF df;
  const size_t n = hn::Lanes(df);
  const size_t gs = w.group_size, n_groups = w.cols / gs;
  const uint32_t* words = static_cast<const uint32_t*>(w.row(row));
  for (size_t g = 0; g < n_groups; ++g) {
    const VF s = hn::Set(df, ScaleAt(w.scales, w.scale_type, row * n_groups + g));
    const VF b = hn::Set(df, ScaleAt(w.biases, w.scale_type, row * n_groups + g));
    for (size_t c = g * gs; c < (g + 1) * gs; c += n) {
      // Multiply, then add (not fused), as the scalar reference.
      hn::StoreU(hn::Add(hn::Mul(Codes<kBits>(df, words, c), s), b), df, out + c);
    }
  }
}

void AffineDequantizeRowImpl(float* out, const TensorView& w, size_t row) {
  if (w.type == DType::kMlxAffine4) return DequantizeRowT<4>(out, w, row);
  return DequantizeRowT<8>(out, w, row);
}

}  // namespace HWY_NAMESPACE
}  // namespace radixlm
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace radixlm {

HWY_EXPORT(AffineMatMulImpl);
HWY_EXPORT(AffineDequantizeRowImpl);

namespace {
void CheckAffine(const TensorView& w) {
  RLM_CHECK(IsMlxAffine(w.type));
  RLM_CHECK(w.scales != nullptr && w.biases != nullptr);
  RLM_CHECK(w.scale_type == DType::kF16 || w.scale_type == DType::kBF16 ||
            w.scale_type == DType::kF32);
  RLM_CHECK(w.group_size > 0 && w.group_size % 32 == 0 && w.cols % w.group_size == 0);
}
}  // namespace

void AffineMatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
                  size_t n_batch, ThreadPool* pool) {
  RLM_CHECK(out_stride >= w.rows);
  CheckAffine(w);
  if (w.rows == 0 || n_batch == 0) return;
  HWY_DYNAMIC_DISPATCH(AffineMatMulImpl)(out, out_stride, w, x, n_batch, pool);
}

void AffineDequantizeRow(float* out, const TensorView& w, size_t row) {
  CheckAffine(w);
  RLM_CHECK(row < w.rows);
  HWY_DYNAMIC_DISPATCH(AffineDequantizeRowImpl)(out, w, row);
}

}  // namespace radixlm
#endif  // HWY_ONCE
