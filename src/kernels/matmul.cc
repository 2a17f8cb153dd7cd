// MatMul and DequantizeRow, SIMD through Highway runtime dispatch (compiled
// once per target by foreach_target.h, the best one picked on first call).
//
// Work split: threads take contiguous ranges of output rows (multiples of
// kGrain). Inside a range, a register tile computes kTileRows weight rows
// against kTileBatch rows of x; the tile walks all batch rows for one group
// of weight rows before moving on, so each weight byte is read from memory
// once per call while the tile's weight rows stay in L1 and x streams from
// L2. At n_batch == 1 this is a plain streaming dot product (bandwidth bound).
//
// Float weights (f32, f16, bf16) are widened to f32 in registers and
// multiplied with FMA in f32.
//
// Quantized weights (q8_0, q4_0, q4_1, q4_K, q5_K, q6_K): each x row is
// first quantized, once per call, into 32-element groups of int8 with an f32
// scale dx = amax/127, rounded to nearest-even. A group's dot product is then
// an exact integer sum, converted to f32 and accumulated as
// acc += (a * dx) * isum (plus off * dx * sum(qx) for types with a min). On
// x86 with AVX2 the integer sum is u8 x i8 -> i16 pairs (vpmaddubsw) -> i32
// (vpmaddwd), with the sign trick for signed weights; other targets widen to
// int16 (vpmaddwd / vmlal). So for quantized weights the activations are
// rounded to 8 bits, as in llama.cpp; the relative error this adds is about
// 1/254 per element, averaging out over a row.
#include <cstring>
#include <vector>

#include "base/check.h"
#include "base/half.h"
#include "kernels/gemm_int8.h"
#include "kernels/matmul.h"
#include "kernels/matmul_affine.h"
#include "kernels/kquant_scales.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace radixlm {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Weight rows per register tile; each kernel sets its x rows per tile
// (kTileBatch) to fit the 16 AVX2 registers.
constexpr size_t kTileRows = 4;
// Output rows per thread chunk are a multiple of this (a cache line of out).
constexpr size_t kGrain = 16;

// ---------------------------------------------------------------- float rows

// Loads N consecutive weights of a row as f32 lanes.
struct F32Row {
  using T = float;
  template <class DF>
  static HWY_INLINE hn::Vec<DF> Load(DF df, const T* p) {
    return hn::LoadU(df, p);
  }
  static HWY_INLINE float At(const T* p) { return *p; }
};

struct F16Row {
  using T = hwy::float16_t;
  template <class DF>
  static HWY_INLINE hn::Vec<DF> Load(DF df, const T* p) {
    return hn::PromoteTo(df, hn::LoadU(hn::Rebind<T, DF>(), p));
  }
  static HWY_INLINE float At(const T* p) {
    uint16_t bits;
    std::memcpy(&bits, p, 2);
    return F16ToF32(bits);
  }
};

// bf16 is the upper half of an f32: widen the bits and shift them up.
struct BF16Row {
  using T = uint16_t;
  template <class DF>
  static HWY_INLINE hn::Vec<DF> Load(DF df, const T* p) {
    const hn::Rebind<uint32_t, DF> du32;
    const auto bits = hn::PromoteTo(du32, hn::LoadU(hn::Rebind<T, DF>(), p));
    return hn::BitCast(df, hn::ShiftLeft<16>(bits));
  }
  static HWY_INLINE float At(const T* p) { return BF16ToF32(*p); }
};

// out[b][r] for a kR x kB tile of float weights.
template <class Row>
struct FloatKernel {
  using T = typename Row::T;
  // 4x3: 12 accumulators, 3 x vectors and 1 weight vector.
  static constexpr size_t kTileBatch = 3;
  const TensorView& w;
  const float* x;
  float* out;
  size_t out_stride;

  template <size_t kR, size_t kB>
  HWY_INLINE void Tile(size_t r0, size_t b0) const {
    const hn::ScalableTag<float> df;
    using V = hn::Vec<decltype(df)>;
    const size_t n = hn::Lanes(df);
    const size_t cols = w.cols;
    const T* wr[kR];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) wr[i] = static_cast<const T*>(w.row(r0 + i));
    const float* xr[kB];
    HWY_UNROLL(16)
    for (size_t j = 0; j < kB; ++j) xr[j] = x + (b0 + j) * cols;

    V acc[kR][kB];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) acc[i][j] = hn::Zero(df);
    }
    // Decode (one batch row per tile) over 16-bit rows: ask for the bytes
    // 32 KiB ahead of each row's reads, one line per 64 bytes read here.
    // Decode streams each weight once, and the loads alone keep too few
    // misses in flight to draw the memory bandwidth (as PrefetchAhead in
    // gemm_int8.cc). F16 decode 1.11x over 16 KiB ahead, which was 1.14x
    // over none (TinyLlama tg32, 3 alternating runs each); 8-64 KiB tried.
    // f32 rows ran 0.92x with it, and prefill tiles read each row many times
    // from cache, where it only costs: neither prefetches.
    const char* next[kR];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) next[i] = static_cast<const char*>(w.row(r0 + i)) + 32768;
    constexpr size_t kLineElems = 64 / sizeof(T);
    size_t c = 0;
    for (; c + n <= cols; c += n) {
      if (sizeof(T) == 2 && kB == 1 && c % kLineElems == 0) {
        HWY_UNROLL(16)
        for (size_t i = 0; i < kR; ++i) hwy::Prefetch(next[i] + c * sizeof(T));
      }
      V xv[kB];
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) xv[j] = hn::LoadU(df, xr[j] + c);
      HWY_UNROLL(16)
      for (size_t i = 0; i < kR; ++i) {
        const V wv = Row::Load(df, wr[i] + c);
        HWY_UNROLL(16)
        for (size_t j = 0; j < kB; ++j) acc[i][j] = hn::MulAdd(wv, xv[j], acc[i][j]);
      }
    }
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) {
        float sum = hn::GetLane(hn::SumOfLanes(df, acc[i][j]));
        for (size_t cc = c; cc < cols; ++cc) sum += Row::At(wr[i] + cc) * xr[j][cc];
        out[(b0 + j) * out_stride + r0 + i] = sum;
      }
    }
  }
};

// ------------------------------------------------------------ quantized rows
//
// Every quantized type is read in groups of 32 weights, w[k] = a * q[k] + off
// with integer q[k] (a and off per group). A type describes its groups:
//   Block, kGroups      block struct; 32-weight groups per block (8 for
//                       k-quants, whose super-blocks hold 256 weights)
//   Scales(row, blk, a, off)  a and off of every group of block blk
//                       (decoded once per block and row); single-group
//                       types also have Scale/Offset(row, g) for
//                       DequantizeRow
//   Group(row, g, q)    the 32 integers q as int16 (scalar; Q6_K folds its
//                       per-16 int8 scales into q, a = d)
//   Avx2(row, g, lane)  x86: the 32 q as bytes, signed (kSigned) or unsigned;
//                       kLaneScale types (Q6_K) set *lane to 16 int16
//                       multipliers applied in vpmaddwd (per-16 scales)
// The offset part, off * sum_k x[k], comes from the per-group sums of the
// quantized x: 8 groups per vector FMA on x86, a scalar sum elsewhere.

// int16 lanes per chunk: 16 on AVX2/AVX3, 8 on 128-bit targets, 1 on
// HWY_SCALAR. A 32-weight group is 32/N chunks.
using D16 = hn::CappedTag<int16_t, 16>;
using V16 = hn::Vec<D16>;
#if HWY_TARGET == HWY_SCALAR
using D32 = hn::Rebind<int32_t, D16>;
#else
using D32 = hn::Repartition<int32_t, D16>;  // pairwise sums: half the lanes
#endif
constexpr size_t kMaxChunks = 32 / hn::MaxLanes(D16());

// x86 targets with AVX2 (AVX2 and the AVX-512 ones) take the u8 x i8 path.
#undef RLM_X86_INT8
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
#define RLM_X86_INT8 1
#else
#define RLM_X86_INT8 0
#endif

// Converts a block's f16 scale; F16C on x86 AVX2 and better.
HWY_INLINE float ScaleToF32(uint16_t h) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  return _cvtsh_ss(h);
#else
  return F16ToF32(h);
#endif
}


// All 8 groups' a = d * sc and off = -dmin * mn of a Q4_K/Q5_K super-block.
template <class Block>
HWY_INLINE void KScales(const Block& b, float* a, float* off) {
  const float d = ScaleToF32(b.d), dmin = ScaleToF32(b.dmin);
  for (size_t t = 0; t < 8; ++t) {
    int sc, mn;
    ScaleMinK4(t, b.scales, &sc, &mn);
    a[t] = d * static_cast<float>(sc);
    off[t] = -(dmin * static_cast<float>(mn));
  }
}

#if RLM_X86_INT8
// 16 nibbles -> 32 bytes: low nibbles (weights 0..15) then high (16..31).
HWY_INLINE __m256i ExpandNibbles(const uint8_t* qs) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}
HWY_INLINE __m256i Load32(const void* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
#endif

struct Q8_0W {
  using Block = BlockQ8_0;
  static constexpr size_t kGroups = 1;
  static constexpr bool kSigned = true, kLaneScale = false, kOffset = false, kVecDecode = true;
  static HWY_INLINE float Scale(const Block* row, size_t g) { return ScaleToF32(row[g].d); }
  static HWY_INLINE float Offset(const Block*, size_t) { return 0.0f; }
  static HWY_INLINE void Scales(const Block* row, size_t blk, float* a, float* off) {
    a[0] = Scale(row, blk);
    off[0] = Offset(row, blk);
  }
  static HWY_INLINE void Group(const Block* row, size_t g, int16_t* q) {
    for (size_t k = 0; k < 32; ++k) q[k] = row[g].qs[k];
  }
  static HWY_INLINE void DecodeV16(D16 d16, const Block* row, size_t g, V16* wv) {
    const hn::Rebind<int8_t, D16> d8;
    const size_t n = hn::Lanes(d16);
    HWY_UNROLL(16)
    for (size_t c = 0; c < 32 / n; ++c) wv[c] = hn::PromoteTo(d16, hn::LoadU(d8, row[g].qs + c * n));
  }
#if RLM_X86_INT8
  static HWY_INLINE __m256i Avx2(const Block* row, size_t g, __m256i*) { return Load32(row[g].qs); }
#endif
};

// Low nibbles of qs[0..16) are weights 0..15, high nibbles weights 16..31;
// w = d * (nibble - 8), read as q = nibble (unsigned: no sign trick) with
// offset -8d.
struct Q4_0W {
  using Block = BlockQ4_0;
  static constexpr size_t kGroups = 1;
  static constexpr bool kSigned = false, kLaneScale = false, kOffset = true, kVecDecode = true;
  static HWY_INLINE float Scale(const Block* row, size_t g) { return ScaleToF32(row[g].d); }
  static HWY_INLINE float Offset(const Block* row, size_t g) {
    return -8.0f * ScaleToF32(row[g].d);
  }
  static HWY_INLINE void Scales(const Block* row, size_t blk, float* a, float* off) {
    a[0] = Scale(row, blk);
    off[0] = -8.0f * a[0];
  }
  static HWY_INLINE void Group(const Block* row, size_t g, int16_t* q) {
    for (size_t k = 0; k < 16; ++k) {
      q[k] = static_cast<int16_t>(row[g].qs[k] & 0x0F);
      q[k + 16] = static_cast<int16_t>(row[g].qs[k] >> 4);
    }
  }
  static HWY_INLINE void DecodeV16(D16 d16, const Block* row, size_t g, V16* wv) {
    const hn::Rebind<uint8_t, D16> du8;
    const hn::Rebind<uint16_t, D16> du16;
    const size_t n = hn::Lanes(d16);
    const V16 mask = hn::Set(d16, 0x0F);
    HWY_UNROLL(16)
    for (size_t c = 0; c < 16 / n; ++c) {
      const V16 v = hn::BitCast(d16, hn::PromoteTo(du16, hn::LoadU(du8, row[g].qs + c * n)));
      wv[c] = hn::And(v, mask);
      wv[c + 16 / n] = hn::ShiftRight<4>(v);
    }
  }
#if RLM_X86_INT8
  static HWY_INLINE __m256i Avx2(const Block* row, size_t g, __m256i*) {
    return ExpandNibbles(row[g].qs);
  }
#endif
};

// As Q4_0 but unsigned nibbles q with w = d * q + m.
struct Q4_1W {
  using Block = BlockQ4_1;
  static constexpr size_t kGroups = 1;
  static constexpr bool kSigned = false, kLaneScale = false, kOffset = true, kVecDecode = false;
  static HWY_INLINE float Scale(const Block* row, size_t g) { return ScaleToF32(row[g].d); }
  static HWY_INLINE float Offset(const Block* row, size_t g) { return ScaleToF32(row[g].m); }
  static HWY_INLINE void Scales(const Block* row, size_t blk, float* a, float* off) {
    a[0] = Scale(row, blk);
    off[0] = Offset(row, blk);
  }
  static HWY_INLINE void Group(const Block* row, size_t g, int16_t* q) {
    for (size_t k = 0; k < 16; ++k) {
      q[k] = row[g].qs[k] & 0x0F;
      q[k + 16] = row[g].qs[k] >> 4;
    }
  }
#if RLM_X86_INT8
  static HWY_INLINE __m256i Avx2(const Block* row, size_t g, __m256i*) {
    return ExpandNibbles(row[g].qs);
  }
#endif
};

// Group t of a Q4_K super-block: nibbles of qs[32(t/2) ..], low for even t.
struct Q4_KW {
  using Block = BlockQ4_K;
  static constexpr size_t kGroups = 8;
  static constexpr bool kSigned = false, kLaneScale = false, kOffset = true, kVecDecode = false;
  static HWY_INLINE void Scales(const Block* row, size_t blk, float* a, float* off) {
    KScales(row[blk], a, off);
  }
  static HWY_INLINE void Group(const Block* row, size_t g, int16_t* q) {
    const size_t t = g % 8;
    const uint8_t* p = row[g / 8].qs + 32 * (t / 2);
    for (size_t k = 0; k < 32; ++k) q[k] = (t & 1) ? p[k] >> 4 : p[k] & 0x0F;
  }
#if RLM_X86_INT8
  static HWY_INLINE __m256i Avx2(const Block* row, size_t g, __m256i*) {
    const size_t t = g % 8;
    __m256i v = Load32(row[g / 8].qs + 32 * (t / 2));
    if (t & 1) v = _mm256_srli_epi16(v, 4);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
  }
#endif
};

// Q4_K plus bit t of qh[k] as bit 4 of q[k].
struct Q5_KW {
  using Block = BlockQ5_K;
  static constexpr size_t kGroups = 8;
  static constexpr bool kSigned = false, kLaneScale = false, kOffset = true, kVecDecode = false;
  static HWY_INLINE void Scales(const Block* row, size_t blk, float* a, float* off) {
    KScales(row[blk], a, off);
  }
  static HWY_INLINE void Group(const Block* row, size_t g, int16_t* q) {
    const size_t t = g % 8;
    const Block& b = row[g / 8];
    const uint8_t* p = b.qs + 32 * (t / 2);
    for (size_t k = 0; k < 32; ++k) {
      const int lo = (t & 1) ? p[k] >> 4 : p[k] & 0x0F;
      q[k] = static_cast<int16_t>(lo | (((b.qh[k] >> t) & 1) << 4));
    }
  }
#if RLM_X86_INT8
  static HWY_INLINE __m256i Avx2(const Block* row, size_t g, __m256i*) {
    const size_t t = g % 8;
    const Block& b = row[g / 8];
    __m256i v = Load32(b.qs + 32 * (t / 2));
    if (t & 1) v = _mm256_srli_epi16(v, 4);
    v = _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
    const __m256i bit = _mm256_set1_epi8(static_cast<char>(1u << t));
    const __m256i hi = _mm256_cmpeq_epi8(_mm256_and_si256(Load32(b.qh), bit), bit);
    return _mm256_or_si256(v, _mm256_and_si256(hi, _mm256_set1_epi8(16)));
  }
#endif
};

// Group t of a Q6_K super-block: half h = t/4, u = t%4 (see dtype.h);
// q[k] = scale[k/16] * (q6 - 32), a = d.
struct Q6_KW {
  using Block = BlockQ6_K;
  static constexpr size_t kGroups = 8;
  static constexpr bool kSigned = true, kLaneScale = true, kOffset = false, kVecDecode = false;
  static HWY_INLINE void Scales(const Block* row, size_t blk, float* a, float* off) {
    const float d = ScaleToF32(row[blk].d);
    for (size_t t = 0; t < 8; ++t) {
      a[t] = d;
      off[t] = 0.0f;
    }
  }
  static HWY_INLINE void Group(const Block* row, size_t g, int16_t* q) {
    const size_t t = g % 8, h = t / 4, u = t % 4;
    const Block& b = row[g / 8];
    const uint8_t* ql = b.ql + 64 * h + 32 * (u & 1);
    const uint8_t* qh = b.qh + 32 * h;
    const int8_t* sc = b.scales + 8 * h + 2 * u;
    for (size_t k = 0; k < 32; ++k) {
      const int lo = u >= 2 ? ql[k] >> 4 : ql[k] & 0x0F;
      const int q6 = lo | (((qh[k] >> (2 * u)) & 3) << 4);
      q[k] = static_cast<int16_t>(sc[k / 16] * (q6 - 32));
    }
  }
#if RLM_X86_INT8
  static HWY_INLINE __m256i Avx2(const Block* row, size_t g, __m256i* lane) {
    const size_t t = g % 8, h = t / 4, u = t % 4;
    const Block& b = row[g / 8];
    __m256i lo = Load32(b.ql + 64 * h + 32 * (u & 1));
    if (u >= 2) lo = _mm256_srli_epi16(lo, 4);
    lo = _mm256_and_si256(lo, _mm256_set1_epi8(0x0F));
    __m256i hi = _mm256_srl_epi16(Load32(b.qh + 32 * h), _mm_cvtsi32_si128(static_cast<int>(2 * u)));
    hi = _mm256_slli_epi16(_mm256_and_si256(hi, _mm256_set1_epi8(3)), 4);
    const int8_t* sc = b.scales + 8 * h + 2 * u;
    *lane = _mm256_set_m128i(_mm_set1_epi16(sc[1]), _mm_set1_epi16(sc[0]));
    return _mm256_sub_epi8(_mm256_or_si256(lo, hi), _mm256_set1_epi8(32));
  }
#endif
};

// The 32 q of group g as int16 chunks wv[0 .. 32/N).
template <class T>
HWY_INLINE void DecodeV16(D16 d16, const typename T::Block* row, size_t g, V16* wv) {
  if constexpr (T::kVecDecode) {
    T::DecodeV16(d16, row, g, wv);
  } else {
    HWY_ALIGN int16_t q[32];
    T::Group(row, g, q);
    const size_t n = hn::Lanes(d16);
    HWY_UNROLL(16)
    for (size_t c = 0; c < 32 / n; ++c) wv[c] = hn::Load(d16, q + c * n);
  }
}

// x quantized per 32-group: q [cols] int8 in [-127, 127], d [cols/32]
// scales dx = amax/127, s [cols/32] = dx * sum of the group's q and, when
// hs is not null, hs [cols/16] = dx * sum of each 16-element half's q.
HWY_NOINLINE void QuantizeX(const float* x, size_t cols, int8_t* q, float* d, float* s,
                            float* hs) {
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  using VF = hn::Vec<decltype(df)>;
  const size_t n = hn::Lanes(df);  // <= 16: a vector never straddles the halves
  for (size_t blk = 0; blk < cols / 32; ++blk) {
    const float* xb = x + blk * 32;
    VF vmax = hn::Zero(df);
    for (size_t c = 0; c < 32; c += n) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, xb + c)));
    const float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
    const float dx = amax / 127.0f;
    const VF id = hn::Set(df, dx != 0.0f ? 1.0f / dx : 0.0f);
    auto vsum0 = hn::Zero(di), vsum1 = hn::Zero(di);
    for (size_t c = 0; c < 32; c += n) {
      const auto qi = hn::NearestInt(hn::Mul(hn::LoadU(df, xb + c), id));
      if (c < 16) {
        vsum0 = hn::Add(vsum0, qi);
      } else {
        vsum1 = hn::Add(vsum1, qi);
      }
      hn::StoreU(hn::DemoteTo(d8, qi), d8, q + blk * 32 + c);
    }
    const int32_t sum0 = hn::GetLane(hn::SumOfLanes(di, vsum0));
    const int32_t sum1 = hn::GetLane(hn::SumOfLanes(di, vsum1));
    d[blk] = dx;
    if (s != nullptr) s[blk] = dx * static_cast<float>(sum0 + sum1);
    if (hs != nullptr) {
      hs[2 * blk] = dx * static_cast<float>(sum0);
      hs[2 * blk + 1] = dx * static_cast<float>(sum1);
    }
  }
}

#if RLM_X86_INT8
HWY_INLINE float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#endif

template <class T>
struct QuantKernel {
  using Block = typename T::Block;
  // 4x3: 12 accumulators; a group's decoded weights and x stream from L1.
  static constexpr size_t kTileBatch = 3;
  const TensorView& w;
  const int8_t* xq;  // [n_batch][cols]
  const float* xd;   // [n_batch][cols/32]
  const float* xs;   // [n_batch][cols/32]
  float* out;
  size_t out_stride;

  template <size_t kR, size_t kB>
  HWY_INLINE void Tile(size_t r0, size_t b0) const {
    const size_t cols = w.cols;
    const size_t n_groups = cols / 32;
    const Block* wr[kR];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) wr[i] = static_cast<const Block*>(w.row(r0 + i));
    const int8_t* xr[kB];
    const float* xdr[kB];
    const float* xsr[kB];
    HWY_UNROLL(16)
    for (size_t j = 0; j < kB; ++j) {
      xr[j] = xq + (b0 + j) * cols;
      xdr[j] = xd + (b0 + j) * n_groups;
      xsr[j] = xs + (b0 + j) * n_groups;
    }
    float sums[kR][kB];
    // The min terms, sum_g off_g * dx_g * sum(q_x over g), in f32.
    float offs[kR][kB];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) offs[i][j] = 0.0f;
    }
#if RLM_X86_INT8
    // u8 x i8 -> pairwise i16 (vpmaddubsw; no saturation: |q| <= 128 and
    // |x| <= 127, or q <= 63), then pairs -> i32 (vpmaddwd, by 1 or by the
    // per-16 scales). Signed weights use the sign trick: |w| x sign(w)*x.
    __m256 acc[kR][kB];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) acc[i][j] = _mm256_setzero_ps();
    }
    const __m256i ones = _mm256_set1_epi16(1);
    // Offsets, 8 groups per vector: off[i][0..8) x the groups' x sums.
    __m256 offv[kR][kB];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) offv[i][j] = _mm256_setzero_ps();
    }
    // Chunks of 8 groups: one k-quant super-block, or 8 single-group blocks.
    float a8[kR][8], off8[kR][8];
    for (size_t g0 = 0; g0 < n_groups; g0 += 8) {
      const size_t ng = std::min<size_t>(8, n_groups - g0);
      HWY_UNROLL(16)
      for (size_t i = 0; i < kR; ++i) {
        if constexpr (T::kGroups == 8) {
          T::Scales(wr[i], g0 / 8, a8[i], off8[i]);
        } else {
          for (size_t t = 0; t < ng; ++t) T::Scales(wr[i], g0 + t, &a8[i][t], &off8[i][t]);
        }
      }
      for (size_t t = 0; t < ng; ++t) {
        const size_t g = g0 + t;
        HWY_UNROLL(16)
        for (size_t i = 0; i < kR; ++i) {
          __m256i lane = ones;
          const __m256i wq = T::Avx2(wr[i], g, &lane);
          const __m256i wu = T::kSigned ? _mm256_sign_epi8(wq, wq) : wq;
          HWY_UNROLL(16)
          for (size_t j = 0; j < kB; ++j) {
            __m256i xv = Load32(xr[j] + g * 32);
            if constexpr (T::kSigned) xv = _mm256_sign_epi8(xv, wq);
            const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(wu, xv), lane);
            acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p),
                                        _mm256_set1_ps(a8[i][t] * xdr[j][g]), acc[i][j]);
          }
        }
      }
      if constexpr (T::kOffset) {
        HWY_UNROLL(16)
        for (size_t i = 0; i < kR; ++i) {
          HWY_UNROLL(16)
          for (size_t j = 0; j < kB; ++j) {
            if (ng == 8) {
              offv[i][j] = _mm256_fmadd_ps(_mm256_loadu_ps(off8[i]), _mm256_loadu_ps(xsr[j] + g0),
                                           offv[i][j]);
            } else {
              for (size_t t = 0; t < ng; ++t) offs[i][j] += off8[i][t] * xsr[j][g0 + t];
            }
          }
        }
      }
    }
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) {
        sums[i][j] = HSum(_mm256_add_ps(acc[i][j], offv[i][j])) + offs[i][j];
      }
    }
#else
    // int16 x int16 -> int32 pairwise (ReorderWidenMulAccumulate).
    const D16 d16;
    const D32 d32;
    const hn::Rebind<int8_t, D16> d8;
    const hn::Rebind<float, D32> df;
    using VF = hn::Vec<decltype(df)>;
    using V32 = hn::Vec<decltype(d32)>;
    const size_t n = hn::Lanes(d16);
    VF acc[kR][kB];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) acc[i][j] = hn::Zero(df);
    }
    // Scales and offsets of a block's groups, decoded once per block and row.
    float a[kR][T::kGroups], off[kR][T::kGroups];
    const size_t n_blocks = n_groups / T::kGroups;
    for (size_t blk = 0; blk < n_blocks; ++blk) {
      HWY_UNROLL(16)
      for (size_t i = 0; i < kR; ++i) T::Scales(wr[i], blk, a[i], off[i]);
      for (size_t t = 0; t < T::kGroups; ++t) {
        const size_t g = blk * T::kGroups + t;
        HWY_UNROLL(16)
        for (size_t i = 0; i < kR; ++i) {
          V16 wv[kMaxChunks];
          DecodeV16<T>(d16, wr[i], g, wv);
          HWY_UNROLL(16)
          for (size_t j = 0; j < kB; ++j) {
            const int8_t* xp = xr[j] + g * 32;
            V32 s0 = hn::Zero(d32);
            V32 s1 = hn::Zero(d32);
            HWY_UNROLL(16)
            for (size_t c = 0; c < 32 / n; ++c) {
              const V16 xv = hn::PromoteTo(d16, hn::LoadU(d8, xp + c * n));
              s0 = hn::ReorderWidenMulAccumulate(d32, wv[c], xv, s0, s1);
            }
            const VF scale = hn::Set(df, a[i][t] * xdr[j][g]);
            acc[i][j] = hn::MulAdd(hn::ConvertTo(df, hn::Add(s0, s1)), scale, acc[i][j]);
            if constexpr (T::kOffset) offs[i][j] += off[i][t] * xsr[j][g];
          }
        }
      }
    }
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) {
        sums[i][j] = hn::GetLane(hn::SumOfLanes(df, acc[i][j])) + offs[i][j];
      }
    }
#endif
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) out[(b0 + j) * out_stride + r0 + i] = sums[i][j];
    }
  }
};

// ------------------------------------------------------------------- driver

template <size_t kR, class K>
HWY_INLINE void RowGroup(const K& k, size_t r0, size_t n_batch) {
  size_t b0 = 0;
  constexpr size_t kB = K::kTileBatch;
  for (; b0 + kB <= n_batch; b0 += kB) k.template Tile<kR, kB>(r0, b0);
  for (; b0 < n_batch; ++b0) k.template Tile<kR, 1>(r0, b0);
}

template <class K>
HWY_NOINLINE void RunRows(const K& k, size_t r_begin, size_t r_end, size_t n_batch) {
  size_t r0 = r_begin;
  for (; r0 + kTileRows <= r_end; r0 += kTileRows) RowGroup<kTileRows>(k, r0, n_batch);
  for (; r0 < r_end; ++r0) RowGroup<1>(k, r0, n_batch);
}

template <class K>
void Run(const K& k, size_t rows, size_t n_batch, ThreadPool* pool) {
  if (pool == nullptr || pool->size() == 1 || rows < 2 * kGrain) {
    RunRows(k, 0, rows, n_batch);
    return;
  }
  pool->ParallelFor(rows, kGrain, [&](size_t begin, size_t end, size_t) HWY_ATTR {
    RunRows(k, begin, end, n_batch);
  });
}

template <class T>
void QuantMatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
                 size_t n_batch, ThreadPool* pool) {
  RLM_CHECK(w.cols % (32 * T::kGroups) == 0);
  const size_t n_groups = w.cols / 32;
  // Owned by the calling thread; reused across calls to avoid allocation.
  thread_local std::vector<int8_t> xq;
  thread_local std::vector<float> xd;
  thread_local std::vector<float> xs;
  xq.resize(n_batch * w.cols);
  xd.resize(n_batch * n_groups);
  xs.resize(n_batch * n_groups);
  int8_t* q = xq.data();
  float* d = xd.data();
  float* s = xs.data();
  auto quantize = [&](size_t begin, size_t end, size_t) HWY_ATTR {
    for (size_t b = begin; b < end; ++b) {
      QuantizeX(x + b * w.cols, w.cols, q + b * w.cols, d + b * n_groups, s + b * n_groups,
                nullptr);
    }
  };
  if (pool != nullptr && n_batch > 1) {
    pool->ParallelFor(n_batch, 1, quantize);
  } else {
    quantize(0, n_batch, 0);
  }
  Run(QuantKernel<T>{w, q, d, s, out, out_stride}, w.rows, n_batch, pool);
}

void MatMulImpl(float* out, size_t out_stride, const TensorView& w, const float* x,
                size_t n_batch, ThreadPool* pool) {
  switch (w.type) {
    case DType::kF32:
      return Run(FloatKernel<F32Row>{w, x, out, out_stride}, w.rows, n_batch, pool);
    case DType::kF16:
      return Run(FloatKernel<F16Row>{w, x, out, out_stride}, w.rows, n_batch, pool);
    case DType::kBF16:
      return Run(FloatKernel<BF16Row>{w, x, out, out_stride}, w.rows, n_batch, pool);
    case DType::kQ8_0:
      return QuantMatMul<Q8_0W>(out, out_stride, w, x, n_batch, pool);
    case DType::kQ4_0:
      return QuantMatMul<Q4_0W>(out, out_stride, w, x, n_batch, pool);
    case DType::kQ4_1:
      return QuantMatMul<Q4_1W>(out, out_stride, w, x, n_batch, pool);
    case DType::kQ4_K:
      return QuantMatMul<Q4_KW>(out, out_stride, w, x, n_batch, pool);
    case DType::kQ5_K:
      return QuantMatMul<Q5_KW>(out, out_stride, w, x, n_batch, pool);
    case DType::kQ6_K:
      return QuantMatMul<Q6_KW>(out, out_stride, w, x, n_batch, pool);
    case DType::kMlxAffine4:
    case DType::kMlxAffine8:
      break;  // routed to AffineMatMul before dispatch
  }
  RLM_CHECK_MSG(false, "MatMul: unknown dtype");
}

// ------------------------------------------------------------ DequantizeRow

template <class Row>
HWY_INLINE void DequantizeFloatRow(float* out, const typename Row::T* p, size_t cols) {
  const hn::ScalableTag<float> df;
  const size_t n = hn::Lanes(df);
  size_t c = 0;
  for (; c + n <= cols; c += n) hn::StoreU(Row::Load(df, p + c), df, out + c);
  for (; c < cols; ++c) out[c] = Row::At(p + c);
}

// Q8_0 and Q4_0 (vector decode, w = a * q + off); the other quantized types dequantize with
// the scalar reference (DequantizeRow reads one embedding row per token).
template <class T>
HWY_INLINE void DequantizeBlockRow(float* out, const typename T::Block* p, size_t cols) {
  const D16 d16;
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int16_t, decltype(df)> d16f;
  const hn::Rebind<int32_t, decltype(df)> d32f;
  const size_t n = hn::Lanes(d16);
  const size_t nf = hn::Lanes(df);
  HWY_ALIGN int16_t q[32];
  for (size_t blk = 0; blk < cols / 32; ++blk) {
    V16 wv[kMaxChunks];
    DecodeV16<T>(d16, p, blk, wv);
    HWY_UNROLL(16)
    for (size_t c = 0; c < 32 / n; ++c) hn::Store(wv[c], d16, q + c * n);
    const auto scale = hn::Set(df, T::Scale(p, blk));
    // Q4_0: d * nibble - 8d, exact (as d * (nibble - 8)) for f16 d.
    const auto off = hn::Set(df, T::kOffset ? T::Offset(p, blk) : 0.0f);
    for (size_t c = 0; c < 32; c += nf) {
      const auto qf = hn::ConvertTo(df, hn::PromoteTo(d32f, hn::Load(d16f, q + c)));
      hn::StoreU(hn::Add(hn::Mul(qf, scale), off), df, out + blk * 32 + c);
    }
  }
}

void DequantizeRowImpl(float* out, const TensorView& w, size_t row) {
  RLM_CHECK(row < w.rows);
  const void* p = w.row(row);
  switch (w.type) {
    case DType::kF32:
      return DequantizeFloatRow<F32Row>(out, static_cast<const float*>(p), w.cols);
    case DType::kF16:
      return DequantizeFloatRow<F16Row>(out, static_cast<const hwy::float16_t*>(p), w.cols);
    case DType::kBF16:
      return DequantizeFloatRow<BF16Row>(out, static_cast<const uint16_t*>(p), w.cols);
    case DType::kQ8_0:
      return DequantizeBlockRow<Q8_0W>(out, static_cast<const BlockQ8_0*>(p), w.cols);
    case DType::kQ4_0:
      return DequantizeBlockRow<Q4_0W>(out, static_cast<const BlockQ4_0*>(p), w.cols);
    case DType::kQ4_1:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return scalar::DequantizeRow(out, w, row);
    case DType::kMlxAffine4:
    case DType::kMlxAffine8:
      break;  // routed to AffineDequantizeRow before dispatch
  }
  RLM_CHECK_MSG(false, "DequantizeRow: unknown dtype");
}

}  // namespace HWY_NAMESPACE
}  // namespace radixlm
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace radixlm {

HWY_EXPORT(MatMulImpl);
HWY_EXPORT(QuantizeX);
HWY_EXPORT(DequantizeRowImpl);

void MatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
            size_t n_batch, ThreadPool* pool) {
  if (IsMlxAffine(w.type)) return AffineMatMul(out, out_stride, w, x, n_batch, pool);
  RLM_CHECK(out_stride >= w.rows);
  if (w.rows == 0 || n_batch == 0) return;
  if (n_batch >= kGemmInt8MinBatch) {
    if (GemmInt8(out, out_stride, w, x, n_batch, pool)) return;
  } else if (w.packed != nullptr && PackedMatVec(out, out_stride, w, x, n_batch, pool)) {
    return;
  }
  HWY_DYNAMIC_DISPATCH(MatMulImpl)(out, out_stride, w, x, n_batch, pool);
}

void QuantizeActivations(const float* x, size_t cols, int8_t* q, float* d, float* s, float* hs) {
  HWY_DYNAMIC_DISPATCH(QuantizeX)(x, cols, q, d, s, hs);
}

void DequantizeRow(float* out, const TensorView& w, size_t row) {
  if (IsMlxAffine(w.type)) return AffineDequantizeRow(out, w, row);
  HWY_DYNAMIC_DISPATCH(DequantizeRowImpl)(out, w, row);
}

}  // namespace radixlm
#endif  // HWY_ONCE
