// GemmInt8: quantized weights x int8 activations, for many batch rows.
//
// Why a second kernel: MatMul's row-by-row tile (matmul.cc) converts every
// 32-weight group's integer dot product to f32 and scales it, per weight
// row and per batch row: about six instructions per 32 multiply-adds. This
// one repacks the weights so that one 256-bit vector holds 4 consecutive
// weights of 8 rows, against 4 activations of one batch row broadcast to
// all lanes. vpmaddubsw then yields partial sums of 8 rows at once, sums
// stay in int16 lanes across the group where the weights' range allows
// (Q4: all 8 steps of a 32-group), one vpmaddwd widens them to int32, and
// the f32 scaling happens once per group per 8 rows.
//
// Layout (a "panel" = 8 weight rows, repacked once per call, per thread):
//   q[g][s][r*4 + k]  u8: weight 4s+k of group g of row r
//   a[g][r]           f32: the group's scale
//   off[g][r]         f32: the group's offset: w = a * q + off (Q4_0: -8d;
//                     Q4_1: m)
// x rows are rounded to int8 per 32-group by MatMul's own rounding (dx =
// amax/127, nearest-even), with the group sums dx*sum(q) for the offsets.
// Weights are unsigned (u8 x i8 in vpmaddubsw). The k-quants round x per
// 256 instead, so that their integer sub-scales apply before any f32 work
// (GemmK, below); Q8_0, whose weights are signed, has its own int16
// kernel (GemmQ8, below).
//
// Work split: threads take ranges of 16-row blocks (two panels; GemmK 24
// rows, three); a block is repacked into the thread's scratch (L1/L2-sized:
// 2 x 256 bytes per group) and then swept over all batch rows in register
// tiles (16 rows x 3 batch rows; GemmK 24 x 4), so each weight byte is read
// from memory once per call.
#include <algorithm>
#include <cstring>
#include <vector>

#include "base/check.h"
#include "base/half.h"
#include "kernels/gemm_int8.h"
#include "kernels/kquant_scales.h"
#include "kernels/matmul.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemm_int8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace radixlm {
namespace HWY_NAMESPACE {

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2

constexpr size_t kPanelRows = 8;
constexpr size_t kBlockPanels = 2;  // panels per thread work item (16 rows)
constexpr size_t kTileBatch = 3;    // batch rows per register tile

HWY_INLINE __m256i Load256(const void* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
HWY_INLINE float Half(uint16_t h) { return _cvtsh_ss(h); }

// 16 nibbles -> 32 bytes: low nibbles (weights 0..15), then high (16..31).
HWY_INLINE __m256i Nibbles(const uint8_t* qs) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}


// One 32-weight group of one row, as Gemm wants it: w = a * q + off.
struct GroupCode {
  __m256i q;  // 32 weights, u8
  float a;    // scale
  float off;  // offset
};

// A type for Gemm (per-32 scales): kAccSteps (vpmaddubsw steps summed in
// int16 before vpmaddwd: 2 * steps * qmax * 127 <= 32767), Decode(row, g).
struct Q4_0G {
  using Block = BlockQ4_0;
  static constexpr size_t kAccSteps = 8;
  static HWY_INLINE GroupCode Decode(const Block* row, size_t g) {
    const float d = Half(row[g].d);
    return GroupCode{Nibbles(row[g].qs), d, -8.0f * d};
  }
};

struct Q4_1G {
  using Block = BlockQ4_1;
  static constexpr size_t kAccSteps = 8;
  static HWY_INLINE GroupCode Decode(const Block* row, size_t g) {
    return GroupCode{Nibbles(row[g].qs), Half(row[g].d), Half(row[g].m)};
  }
};

// A k-quant super-block's integer sub-scales, for GemmK: per 16-weight
// half h, ls[h] multiplies its int16 sums and m[k] (per 16 weights, or per
// 32 unless kMinPer16) its offset: w = d * ls * q + od * m.
struct SuperCode {
  int16_t ls[16], m[16];
  float d, od;
};

// Q4_K and Q5_K: a 6-bit scale and min per 32 weights.
HWY_INLINE SuperCode SuperK4(const uint8_t* scales, uint16_t d, uint16_t dmin) {
  SuperCode c{};
  for (size_t t = 0; t < 8; ++t) {
    int sc, mn;
    ScaleMinK4(t, scales, &sc, &mn);
    c.ls[2 * t] = c.ls[2 * t + 1] = static_cast<int16_t>(sc);
    c.m[t] = static_cast<int16_t>(mn);
  }
  c.d = Half(d);
  c.od = -Half(dmin);
  return c;
}

// A type for GemmK: kAccSteps as above (a multiple of 4 steps shares one
// sub-scale), kMinPer16, Super(block) and Quants(row, g): group g's 32
// weights as u8.
struct Q4_KG {
  using Block = BlockQ4_K;
  static constexpr bool kMinPer16 = false;
  static constexpr size_t kAccSteps = 8;
  static HWY_INLINE SuperCode Super(const Block& b) { return SuperK4(b.scales, b.d, b.dmin); }
  static HWY_INLINE __m256i Quants(const Block* row, size_t g) {
    const size_t t = g % 8;
    __m256i v = Load256(row[g / 8].qs + 32 * (t / 2));
    if (t & 1) v = _mm256_srli_epi16(v, 4);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
  }
};

struct Q5_KG {
  using Block = BlockQ5_K;
  static constexpr bool kMinPer16 = false;
  static constexpr size_t kAccSteps = 4;
  static HWY_INLINE SuperCode Super(const Block& b) { return SuperK4(b.scales, b.d, b.dmin); }
  static HWY_INLINE __m256i Quants(const Block* row, size_t g) {
    const Block& b = row[g / 8];
    const size_t t = g % 8;
    __m256i v = Load256(b.qs + 32 * (t / 2));
    if (t & 1) v = _mm256_srli_epi16(v, 4);
    v = _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
    const __m256i bit = _mm256_set1_epi8(static_cast<char>(1u << t));
    const __m256i hi = _mm256_cmpeq_epi8(_mm256_and_si256(Load256(b.qh), bit), bit);
    return _mm256_or_si256(v, _mm256_and_si256(hi, _mm256_set1_epi8(16)));
  }
};

// Group t of a Q6_K super-block: half h = t/4, u = t%4; q6 in [0, 63],
// w = d * sc * (q6 - 32) with one int8 sc per 16 weights.
struct Q6_KG {
  using Block = BlockQ6_K;
  static constexpr bool kMinPer16 = true;
  static constexpr size_t kAccSteps = 2;
  static HWY_INLINE SuperCode Super(const Block& b) {
    SuperCode c{};
    for (size_t h = 0; h < 16; ++h) c.ls[h] = c.m[h] = b.scales[h];
    c.d = Half(b.d);
    c.od = -32.0f * c.d;
    return c;
  }
  static HWY_INLINE __m256i Quants(const Block* row, size_t g) {
    const Block& b = row[g / 8];
    const size_t t = g % 8, h = t / 4, u = t % 4;
    __m256i lo = Load256(b.ql + 64 * h + 32 * (u & 1));
    if (u >= 2) lo = _mm256_srli_epi16(lo, 4);
    lo = _mm256_and_si256(lo, _mm256_set1_epi8(0x0F));
    __m256i hi = _mm256_srl_epi16(Load256(b.qh + 32 * h), _mm_cvtsi32_si128(static_cast<int>(2 * u)));
    hi = _mm256_slli_epi16(_mm256_and_si256(hi, _mm256_set1_epi8(3)), 4);
    return _mm256_or_si256(lo, hi);
  }
};

HWY_INLINE void KeepInRegister(__m256i& v) { asm volatile("" : "+x"(v)); }

// Asks for the `bytes` kPrefetchBytes past p (the same panel stream, a few
// blocks ahead of the one being read) to be brought into cache, one request
// per line. Decode reads each weight once, and the kernels' own loads alone
// keep too few misses in flight to draw the bandwidth a core can: on the
// 2-core Zen 3 this took q4_K decode from 13 to 24 GB/s and q4_0 from 24 to
// 30 (kernels_bench BM_Decode; 16 KiB ahead measured best of 4-48 KiB).
constexpr size_t kPrefetchBytes = 16384;
HWY_INLINE void PrefetchAhead(const uint8_t* p, size_t bytes) {
  p += kPrefetchBytes;
  for (size_t i = 0; i < bytes; i += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
  }
}

// Stores a panel's 8 results at o: all of them, or the first n_valid.
HWY_INLINE void StoreRows(float* o, __m256 v, size_t n_valid) {
  if (n_valid >= kPanelRows) {
    _mm256_storeu_ps(o, v);
    return;
  }
  alignas(32) float tmp[8];
  _mm256_store_ps(tmp, v);
  for (size_t r = 0; r < n_valid; ++r) o[r] = tmp[r];
}

// Stores a tile of kP consecutive panels (from panel p0) x kB batch rows
// (from b0) of a matrix with `rows` rows.
template <size_t kP, size_t kB>
HWY_INLINE void StoreTile(const __m256 (&acc)[kP][kB], float* out, size_t out_stride, size_t b0,
                          size_t p0, size_t rows) {
  for (size_t p = 0; p < kP; ++p) {
    const size_t r0 = (p0 + p) * kPanelRows;
    for (size_t j = 0; j < kB; ++j) {
      StoreRows(out + (b0 + j) * out_stride + r0, acc[p][j], rows - r0);
    }
  }
}

// A panel's repacked groups (pointers into a thread's scratch).
struct Panel {
  const uint8_t* q;    // [groups][8][32]
  const float* a;      // [groups][8]
  const float* off;    // [groups][8]
  size_t rows;         // valid rows (<= 8)
};

struct PanelScratch {
  std::vector<uint8_t> q;
  std::vector<float> a, off;
};

// Transposes 8 rows of 8 dwords: out[s] holds dword s of rows 0..7.
HWY_INLINE void Transpose8x8(const __m256i in[8], __m256i out[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_epi32(in[2 * i], in[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(in[2 * i], in[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    u[4 * i + 0] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int s = 0; s < 4; ++s) {
    out[s] = _mm256_permute2x128_si256(u[s], u[s + 4], 0x20);
    out[s + 4] = _mm256_permute2x128_si256(u[s], u[s + 4], 0x31);
  }
}

// Repacks rows [r0, r0 + n) (n <= 8) of w into a panel.
template <class T>
HWY_NOINLINE Panel PackPanel(const TensorView& w, size_t r0, size_t n, PanelScratch* s) {
  using Block = typename T::Block;
  const size_t groups = w.cols / 32;
  s->q.resize(groups * 256);
  s->a.resize(groups * 8);
  s->off.resize(groups * 8);
  const Block* rows[kPanelRows];
  for (size_t r = 0; r < kPanelRows; ++r) rows[r] = static_cast<const Block*>(w.row(r0 + (r < n ? r : 0)));
  for (size_t g = 0; g < groups; ++g) {
    __m256i in[8], out[8];
    for (size_t r = 0; r < kPanelRows; ++r) {
      const GroupCode c = r < n ? T::Decode(rows[r], g) : GroupCode{_mm256_setzero_si256(), 0.0f, 0.0f};
      in[r] = c.q;
      s->a[g * 8 + r] = c.a;
      s->off[g * 8 + r] = c.off;
    }
    Transpose8x8(in, out);
    for (int k = 0; k < 8; ++k) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(s->q.data() + g * 256 + k * 32), out[k]);
    }
  }
  return Panel{s->q.data(), s->a.data(), s->off.data(), n};
}

// x rounded to int8 per 32-group: q [n][cols], d [n][groups] = amax/127,
// hs [n][groups][2] = d * sum of q over each half group.
struct XQuant {
  const int8_t* q;
  const float* d;
  const float* hs;
  size_t cols;
  const int8_t* row(size_t b) const { return q + b * cols; }
};

// Adds one 32-group of kP panels x kB batch rows to acc32[p][j]: w[p] the
// panel's group (8 steps of 32 bytes), x[j] the row's 32 bytes. Steps sum
// in int16 lanes kAccSteps at a time, then widen by vpmaddwd with
// mul(p, s), the int16 multipliers for the steps that end at s (1, or
// sub-scales).
template <size_t kAccSteps, size_t kP, size_t kB, class Mul>
HWY_INLINE void AddGroup(const uint8_t* const (&w)[kP], const int8_t* const (&x)[kB],
                         const Mul& mul, __m256i (&acc32)[kP][kB]) {
  __m256i acc16[kP][kB];
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) acc16[p][j] = _mm256_setzero_si256();
  }
  HWY_UNROLL(8)
  for (size_t s = 0; s < 8; ++s) {
    __m256i wv[kP];
    for (size_t p = 0; p < kP; ++p) wv[p] = Load256(w[p] + s * 32);
    for (size_t j = 0; j < kB; ++j) {
      int32_t x4;
      std::memcpy(&x4, x[j] + 4 * s, 4);
      const __m256i xb = _mm256_set1_epi32(x4);
      for (size_t p = 0; p < kP; ++p) {
        acc16[p][j] = _mm256_add_epi16(acc16[p][j], _mm256_maddubs_epi16(wv[p], xb));
        // Keeps the accumulator in its register: without this GCC
        // reassociates the int16 sums of the unrolled steps into a tree
        // and spills every partial product.
        KeepInRegister(acc16[p][j]);
      }
    }
    if ((s + 1) % kAccSteps == 0) {
      for (size_t p = 0; p < kP; ++p) {
        const __m256i m = mul(p, s);
        for (size_t j = 0; j < kB; ++j) {
          acc32[p][j] = _mm256_add_epi32(acc32[p][j], _mm256_madd_epi16(acc16[p][j], m));
          acc16[p][j] = _mm256_setzero_si256();
        }
      }
    }
  }
}

// out rows [b0, b0 + kB) x panels' rows: kP panels x kB batch rows.
template <class T, size_t kP, size_t kB>
HWY_INLINE void Tile(const Panel* panels, const XQuant& x, size_t b0, float* out,
                     size_t out_stride, size_t r0) {
  const size_t groups = x.cols / 32;
  const int8_t* xr[kB];
  for (size_t j = 0; j < kB; ++j) xr[j] = x.row(b0 + j);
  __m256 accf[kP][kB];
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) accf[p][j] = _mm256_setzero_ps();
  }
  const __m256i ones = _mm256_set1_epi16(1);
  for (size_t g = 0; g < groups; ++g) {
    __m256i acc32[kP][kB];
    const uint8_t* w[kP];
    const int8_t* xg[kB];
    for (size_t p = 0; p < kP; ++p) {
      w[p] = panels[p].q + g * 256;
      for (size_t j = 0; j < kB; ++j) acc32[p][j] = _mm256_setzero_si256();
    }
    for (size_t j = 0; j < kB; ++j) xg[j] = xr[j] + g * 32;
    AddGroup<T::kAccSteps>(w, xg, [&](size_t, size_t) HWY_ATTR { return ones; }, acc32);
    for (size_t p = 0; p < kP; ++p) {
      const __m256 a = _mm256_loadu_ps(panels[p].a + g * 8);
      const __m256 off = _mm256_loadu_ps(panels[p].off + g * 8);
      for (size_t j = 0; j < kB; ++j) {
        const size_t b = b0 + j;
        const __m256 scale = _mm256_mul_ps(a, _mm256_broadcast_ss(x.d + b * groups + g));
        accf[p][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc32[p][j]), scale, accf[p][j]);
        const float* hs = x.hs + (b * groups + g) * 2;
        accf[p][j] = _mm256_fmadd_ps(off, _mm256_set1_ps(hs[0] + hs[1]), accf[p][j]);
      }
    }
  }
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) {
      StoreRows(out + (b0 + j) * out_stride + r0 + p * kPanelRows, accf[p][j], panels[p].rows);
    }
  }
}

template <class T, size_t kP>
HWY_NOINLINE void SweepBatch(const Panel* panels, const XQuant& x, size_t n_batch, float* out,
                             size_t out_stride, size_t r0) {
  size_t b0 = 0;
  for (; b0 + kTileBatch <= n_batch; b0 += kTileBatch) {
    Tile<T, kP, kTileBatch>(panels, x, b0, out, out_stride, r0);
  }
  for (; b0 < n_batch; ++b0) Tile<T, kP, 1>(panels, x, b0, out, out_stride, r0);
}

// Rounds the batch's x rows (QuantizeActivations) into buffers owned by
// the calling thread, reused across calls; rows split over pool if given.
XQuant QuantizeBatch(const float* x, size_t n_batch, size_t cols, ThreadPool* pool) {
  const size_t groups = cols / 32;
  thread_local std::vector<int8_t> xq;
  thread_local std::vector<float> xd, xhs;
  xq.resize(n_batch * cols);
  xd.resize(n_batch * groups);
  xhs.resize(n_batch * groups * 2);
  int8_t* q = xq.data();
  float* d = xd.data();
  float* hs = xhs.data();
  auto quantize = [&](size_t begin, size_t end, size_t) {
    for (size_t b = begin; b < end; ++b) {
      QuantizeActivations(x + b * cols, cols, q + b * cols, d + b * groups, nullptr,
                          hs + b * groups * 2);
    }
  };
  if (pool != nullptr && n_batch > 1) {
    pool->ParallelFor(n_batch, 1, quantize);
  } else {
    quantize(0, n_batch, 0);
  }
  return XQuant{q, d, hs, cols};
}

// Splits w's panels into blocks of up to kPanels over pool's threads;
// per block, pack(r, n, &scratch[i]) repacks rows [r, r + n) into each
// panel (scratch: the thread's, reused across calls), then sweep(panels,
// np, r0) computes the block's rows from r0 for every batch row.
template <class PanelT, class Scratch, size_t kPanels = kBlockPanels, class Pack, class Sweep>
void ForEachPanelBlock(const TensorView& w, ThreadPool* pool, const Pack& pack,
                       const Sweep& sweep) {
  const size_t n_panels = (w.rows + kPanelRows - 1) / kPanelRows;
  auto work = [&](size_t begin, size_t end, size_t) HWY_ATTR {
    thread_local Scratch scratch[kPanels];
    for (size_t p0 = begin; p0 < end; p0 += kPanels) {
      const size_t np = std::min(kPanels, end - p0);
      PanelT panels[kPanels];
      for (size_t i = 0; i < np; ++i) {
        const size_t r = (p0 + i) * kPanelRows;
        panels[i] = pack(r, std::min(kPanelRows, w.rows - r), &scratch[i]);
      }
      sweep(panels, np, p0 * kPanelRows);
    }
  };
  if (pool != nullptr && n_panels > kPanels) {
    pool->ParallelFor(n_panels, kPanels, work);
  } else {
    work(0, n_panels, 0);
  }
}

template <class T>
void Gemm(float* out, size_t out_stride, const TensorView& w, const float* x, size_t n_batch,
          ThreadPool* pool) {
  const XQuant xv = QuantizeBatch(x, n_batch, w.cols, pool);
  ForEachPanelBlock<Panel, PanelScratch>(
      w, pool,
      [&](size_t r, size_t n, PanelScratch* s) HWY_ATTR { return PackPanel<T>(w, r, n, s); },
      [&](const Panel* panels, size_t np, size_t r0) HWY_ATTR {
        if (np == 2) {
          SweepBatch<T, 2>(panels, xv, n_batch, out, out_stride, r0);
        } else {
          SweepBatch<T, 1>(panels, xv, n_batch, out, out_stride, r0);
        }
      });
}

// ------------------------------------ k-quants for many rows: per-256 x
//
// Q4_K, Q5_K and Q6_K scale their weights per 256-weight super-block: one
// f16 d (and dmin) and small integer sub-scales (6-bit per 32, int8 per
// 16). With x rounded per 256 too (one dx per super-block, as llama.cpp's
// Q8_K), the sub-scales apply in the integer domain: the vpmaddwd that
// widens a half group's int16 sums multiplies them by its sub-scale
// instead of by 1, int32 sums run over the whole super-block, and the f32
// work (converts, scales, offsets) is done once per 256 weights instead of
// once per 32. With SuperCode's ls, m, d, od and x's per-16 (or per-32)
// sums of q, bs:
//   out = dx * (d * sum_h ls_h * sum_{i in h} q_i x_i + od * sum_k m_k bs_k)
//
// Panel (per call, per thread): q as Panel's; ls[sb][h][r*2 + k] = ls_h of
// row r (both lanes), m[sb][k/2][r*2 + k%2] = m_k of row r; d, od [sb][r].
struct PanelK {
  const uint8_t* q;   // [groups][8][32]
  const int16_t* ls;  // [supers][16][16]
  const int16_t* m;   // [supers][8][16]
  const float* d;     // [supers][8]
  const float* od;    // [supers][8]
  size_t rows;
};

struct PanelKScratch {
  std::vector<uint8_t> q;
  std::vector<int16_t> ls, m;
  std::vector<float> d, od;
};

template <class T>
HWY_NOINLINE PanelK PackPanelK(const TensorView& w, size_t r0, size_t n, PanelKScratch* s) {
  using Block = typename T::Block;
  const size_t supers = w.cols / 256;
  s->q.resize(supers * 2048);
  s->ls.resize(supers * 256);
  s->m.resize(supers * 128);
  s->d.resize(supers * 8);
  s->od.resize(supers * 8);
  const Block* rows[kPanelRows];
  for (size_t r = 0; r < kPanelRows; ++r) {
    rows[r] = static_cast<const Block*>(w.row(r0 + (r < n ? r : 0)));
  }
  for (size_t sb = 0; sb < supers; ++sb) {
    // Per row, as dwords: ls_h in both int16 halves (16), and the int16
    // pairs of m (8); transposed, dword j of every row side by side.
    __m256i ls_lo[8], ls_hi[8], m[8], out[8];
    for (size_t r = 0; r < kPanelRows; ++r) {
      const SuperCode c = r < n ? T::Super(rows[r][sb]) : SuperCode{};
      alignas(32) uint32_t dup[16];
      for (size_t h = 0; h < 16; ++h) {
        const uint32_t v = static_cast<uint16_t>(c.ls[h]);
        dup[h] = v | (v << 16);
      }
      ls_lo[r] = Load256(dup);
      ls_hi[r] = Load256(dup + 8);
      m[r] = Load256(c.m);
      s->d[sb * 8 + r] = c.d;
      s->od[sb * 8 + r] = c.od;
    }
    int16_t* ls = s->ls.data() + sb * 256;
    Transpose8x8(ls_lo, out);
    for (int k = 0; k < 8; ++k) _mm256_storeu_si256(reinterpret_cast<__m256i*>(ls + 16 * k), out[k]);
    Transpose8x8(ls_hi, out);
    for (int k = 0; k < 8; ++k) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(ls + 128 + 16 * k), out[k]);
    }
    Transpose8x8(m, out);
    for (int k = 0; k < 8; ++k) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(s->m.data() + sb * 128 + 16 * k), out[k]);
    }
    for (size_t t = 0; t < 8; ++t) {
      const size_t g = sb * 8 + t;
      __m256i in[8], out[8];
      for (size_t r = 0; r < kPanelRows; ++r) {
        in[r] = r < n ? T::Quants(rows[r], g) : _mm256_setzero_si256();
      }
      Transpose8x8(in, out);
      for (int k = 0; k < 8; ++k) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(s->q.data() + g * 256 + k * 32), out[k]);
      }
    }
  }
  return PanelK{s->q.data(), s->ls.data(), s->m.data(), s->d.data(), s->od.data(), n};
}

// x rounded to int8 per 256: q [n][cols], d [n][supers] = amax/127,
// bs16 [n][cols/16] and bs32 [n][cols/32]: sums of q.
struct XQuantK {
  const int8_t* q;
  const float* d;
  const int16_t* bs16;
  const int16_t* bs32;
  size_t cols;
  const int8_t* row(size_t b) const { return q + b * cols; }
};

HWY_INLINE int32_t SumI32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// One row: dx = amax/127 per 256, q = nearest-even(x * (1/dx)) (the float
// operations of QuantizeActivations, over 256 instead of 32).
HWY_INLINE void QuantizeRow256(const float* x, size_t cols, int8_t* q, float* d, int16_t* bs16,
                               int16_t* bs32) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  for (size_t sb = 0; sb < cols / 256; ++sb) {
    const float* xb = x + sb * 256;
    __m256 vmax = _mm256_setzero_ps();
    for (size_t c = 0; c < 256; c += 8) {
      vmax = _mm256_max_ps(vmax, _mm256_and_ps(_mm256_loadu_ps(xb + c), abs_mask));
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float dx = _mm_cvtss_f32(m) / 127.0f;
    const __m256 id = _mm256_set1_ps(dx != 0.0f ? 1.0f / dx : 0.0f);
    d[sb] = dx;
    for (size_t h = 0; h < 16; ++h) {
      const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xb + 16 * h), id));
      const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xb + 16 * h + 8), id));
      const int32_t sum = SumI32(_mm256_add_epi32(i0, i1));
      bs16[sb * 16 + h] = static_cast<int16_t>(sum);
      if (h % 2 == 0) {
        bs32[sb * 8 + h / 2] = static_cast<int16_t>(sum);
      } else {
        bs32[sb * 8 + h / 2] = static_cast<int16_t>(bs32[sb * 8 + h / 2] + sum);
      }
      const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), 0xD8);
      const __m128i b8 = _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + sb * 256 + 16 * h), b8);
    }
  }
}

XQuantK QuantizeBatchK(const float* x, size_t n_batch, size_t cols, ThreadPool* pool) {
  thread_local std::vector<int8_t> xq;
  thread_local std::vector<float> xd;
  thread_local std::vector<int16_t> x16, x32;
  xq.resize(n_batch * cols);
  xd.resize(n_batch * cols / 256);
  x16.resize(n_batch * cols / 16);
  x32.resize(n_batch * cols / 32);
  // Pointers, not the thread_local vectors: the pool's threads have their own.
  int8_t* q = xq.data();
  float* d = xd.data();
  int16_t* bs16 = x16.data();
  int16_t* bs32 = x32.data();
  auto quantize = [&](size_t begin, size_t end, size_t) HWY_ATTR {
    for (size_t b = begin; b < end; ++b) {
      QuantizeRow256(x + b * cols, cols, q + b * cols, d + b * cols / 256, bs16 + b * cols / 16,
                     bs32 + b * cols / 32);
    }
  };
  if (pool != nullptr && n_batch > 1) {
    pool->ParallelFor(n_batch, 1, quantize);
  } else {
    quantize(0, n_batch, 0);
  }
  return XQuantK{q, d, bs16, bs32, cols};
}

// out rows [b0, b0 + kB) x panels' rows: kP panels x kB batch rows.
template <class T, size_t kP, size_t kB>
HWY_INLINE void TileK(const PanelK* panels, const XQuantK& x, size_t b0, float* out,
                      size_t out_stride, size_t r0) {
  const size_t supers = x.cols / 256;
  constexpr size_t kMinPairs = T::kMinPer16 ? 8 : 4;
  const int8_t* xr[kB];
  const int16_t* bs[kB];
  for (size_t j = 0; j < kB; ++j) {
    xr[j] = x.row(b0 + j);
    bs[j] = T::kMinPer16 ? x.bs16 + (b0 + j) * (x.cols / 16) : x.bs32 + (b0 + j) * (x.cols / 32);
  }
  __m256 accf[kP][kB];
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) accf[p][j] = _mm256_setzero_ps();
  }
  for (size_t sb = 0; sb < supers; ++sb) {
    __m256i acc32[kP][kB];
    for (size_t p = 0; p < kP; ++p) {
      for (size_t j = 0; j < kB; ++j) acc32[p][j] = _mm256_setzero_si256();
    }
    for (size_t t = 0; t < 8; ++t) {
      const size_t g = sb * 8 + t;
      const uint8_t* w[kP];
      const int8_t* xg[kB];
      for (size_t p = 0; p < kP; ++p) w[p] = panels[p].q + g * 256;
      for (size_t j = 0; j < kB; ++j) xg[j] = xr[j] + g * 32;
      // The sub-scale of the half group (16 weights) the steps end in.
      AddGroup<T::kAccSteps>(
          w, xg,
          [&](size_t p, size_t s) HWY_ATTR { return Load256(panels[p].ls + (2 * g + s / 4) * 16); },
          acc32);
    }
    for (size_t p = 0; p < kP; ++p) {
      const __m256 d = _mm256_loadu_ps(panels[p].d + sb * 8);
      const __m256 od = _mm256_loadu_ps(panels[p].od + sb * 8);
      for (size_t j = 0; j < kB; ++j) {
        __m256i m32 = _mm256_setzero_si256();
        for (size_t k = 0; k < kMinPairs; ++k) {
          int32_t pair;
          std::memcpy(&pair, bs[j] + sb * 2 * kMinPairs + 2 * k, 4);
          m32 = _mm256_add_epi32(
              m32, _mm256_madd_epi16(Load256(panels[p].m + sb * 128 + 16 * k), _mm256_set1_epi32(pair)));
        }
        const __m256 sum = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc32[p][j]), d,
                                           _mm256_mul_ps(_mm256_cvtepi32_ps(m32), od));
        accf[p][j] = _mm256_fmadd_ps(sum, _mm256_broadcast_ss(x.d + (b0 + j) * supers + sb), accf[p][j]);
      }
    }
  }
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) {
      StoreRows(out + (b0 + j) * out_stride + r0 + p * kPanelRows, accf[p][j], panels[p].rows);
    }
  }
}

// TileK's shape: 3 panels (24 weight rows, one thread work item) x 4 batch
// rows; 12 int16 sums, 3 weight vectors and a broadcast fill the
// registers. q4_K 5632x2048 batch 512, 1 thread (kernels_bench, 2
// alternating runs): 2x3 190, 2x4 191-194 (2x5, 2x6 the same), 3x3 196,
// 3x4 211, 4x3 182 GFLOP/s. Q4_0's Tile gains nothing from 3 panels.
constexpr size_t kBlockPanelsK = 3;
constexpr size_t kTileBatchK = 4;

template <class T, size_t kP>
HWY_NOINLINE void SweepBatchK(const PanelK* panels, const XQuantK& x, size_t n_batch, float* out,
                              size_t out_stride, size_t r0) {
  size_t b0 = 0;
  for (; b0 + kTileBatchK <= n_batch; b0 += kTileBatchK) {
    TileK<T, kP, kTileBatchK>(panels, x, b0, out, out_stride, r0);
  }
  for (; b0 < n_batch; ++b0) TileK<T, kP, 1>(panels, x, b0, out, out_stride, r0);
}

template <class T>
void GemmK(float* out, size_t out_stride, const TensorView& w, const float* x, size_t n_batch,
           ThreadPool* pool) {
  const XQuantK xv = QuantizeBatchK(x, n_batch, w.cols, pool);
  ForEachPanelBlock<PanelK, PanelKScratch, kBlockPanelsK>(
      w, pool,
      [&](size_t r, size_t n, PanelKScratch* s) HWY_ATTR { return PackPanelK<T>(w, r, n, s); },
      [&](const PanelK* panels, size_t np, size_t r0) HWY_ATTR {
        if (np == 3) {
          SweepBatchK<T, 3>(panels, xv, n_batch, out, out_stride, r0);
        } else if (np == 2) {
          SweepBatchK<T, 2>(panels, xv, n_batch, out, out_stride, r0);
        } else {
          SweepBatchK<T, 1>(panels, xv, n_batch, out, out_stride, r0);
        }
      });
}

// ----------------------------------------- q8_0 for many rows: int16 lanes
//
// Q8_0's weights are signed and reach +-127, so vpmaddubsw (u8 x i8) needs
// the sign trick, and its pair sums (up to 2 * 127 * 127) must be widened
// every step: vpsignb + vpmaddubsw + vpmaddwd per 32 multiply-adds, the
// first and last on the same two pipes on Zen 3 as vpmaddubsw. Widened to
// int16 instead, the weights and x go straight into vpmaddwd (16
// multiply-adds, summed pairwise into int32) and vpaddd, which runs on the
// other pipes: TinyLlama Q8_0 pp512 1.19x (median of 3 alternating runs of
// `radixlm bench -p 512 -n 0 -t 2`, 2-vCPU Zen 3), kernels_bench q8_0
// 5632x2048 batch 512 about 1.1x.
//
// Panel (per call, per thread, like Panel): q16[g][s][r*2 + k] = weight
// 2s+k of group g of row r (s < 16), int16; a[g][r] = the group's scale.
struct Panel16 {
  const int16_t* q;  // [groups][16][16]
  const float* a;    // [groups][8]
  size_t rows;       // valid rows (<= 8)
};

struct Panel16Scratch {
  std::vector<int16_t> q;
  std::vector<float> a;
};

HWY_NOINLINE Panel16 PackPanelQ8(const TensorView& w, size_t r0, size_t n, Panel16Scratch* s) {
  const size_t groups = w.cols / 32;
  s->q.resize(groups * 256 + 32);  // + room to align to 64 bytes
  int16_t* q = s->q.data() + (-reinterpret_cast<uintptr_t>(s->q.data()) & 63) / 2;
  s->a.resize(groups * 8);
  const BlockQ8_0* rows[kPanelRows];
  for (size_t r = 0; r < kPanelRows; ++r) {
    rows[r] = static_cast<const BlockQ8_0*>(w.row(r0 + (r < n ? r : 0)));
  }
  for (size_t g = 0; g < groups; ++g) {
    __m256i lo[8], hi[8], out[8];
    for (size_t r = 0; r < kPanelRows; ++r) {
      const __m256i v = r < n ? Load256(rows[r][g].qs) : _mm256_setzero_si256();
      lo[r] = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(v));
      hi[r] = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1));
      s->a[g * 8 + r] = r < n ? Half(rows[r][g].d) : 0.0f;
    }
    Transpose8x8(lo, out);
    for (int k = 0; k < 8; ++k) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(q + g * 256 + k * 16), out[k]);
    }
    Transpose8x8(hi, out);
    for (int k = 0; k < 8; ++k) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(q + g * 256 + 128 + k * 16), out[k]);
    }
  }
  return Panel16{q, s->a.data(), n};
}

// Any tile of kP panels x kB rows (the edges: a last odd panel, the batch's
// last rows). x16: the rounded x as int16, [n][cols].
template <size_t kP, size_t kB>
HWY_INLINE void Tile16(const Panel16* panels, const int16_t* x16, size_t x16_stride,
                       const XQuant& x, size_t b0, float* out, size_t out_stride, size_t r0) {
  const size_t groups = x.cols / 32;
  __m256 accf[kP][kB];
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) accf[p][j] = _mm256_setzero_ps();
  }
  for (size_t g = 0; g < groups; ++g) {
    __m256i acc[kP][kB];
    for (size_t p = 0; p < kP; ++p) {
      for (size_t j = 0; j < kB; ++j) acc[p][j] = _mm256_setzero_si256();
    }
    for (size_t s = 0; s < 16; ++s) {
      for (size_t j = 0; j < kB; ++j) {
        int32_t x2;
        std::memcpy(&x2, x16 + (b0 + j) * x16_stride + g * 32 + 2 * s, 4);
        const __m256i xb = _mm256_set1_epi32(x2);
        for (size_t p = 0; p < kP; ++p) {
          acc[p][j] = _mm256_add_epi32(
              acc[p][j], _mm256_madd_epi16(Load256(panels[p].q + g * 256 + s * 16), xb));
        }
      }
    }
    for (size_t p = 0; p < kP; ++p) {
      const __m256 a = _mm256_loadu_ps(panels[p].a + g * 8);
      for (size_t j = 0; j < kB; ++j) {
        const __m256 scale = _mm256_mul_ps(a, _mm256_broadcast_ss(x.d + (b0 + j) * groups + g));
        accf[p][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[p][j]), scale, accf[p][j]);
      }
    }
  }
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) {
      StoreRows(out + (b0 + j) * out_stride + r0 + p * kPanelRows, accf[p][j], panels[p].rows);
    }
  }
}

// The main tile, 2 panels x 3 rows, in assembly: 6 int32 sums, 6 f32 sums,
// 2 weight vectors, a broadcast and a product take all 16 ymm registers,
// and GCC's allocation of Tile16's intrinsics at this size spills in the
// inner loop (Tile16<2, 3> in its place: TinyLlama Q8_0 pp512 0.81x). One asm statement is one group: 16 steps of 2 loads, 3
// broadcasts, 6 vpmaddwd and 6 vpaddd, then f[p][j] += cvt(sum) * (a[p] *
// dx[j]). Operands: w0/w1 the panels' group, x0 row b0's group in x16 (rows
// b0+1, b0+2 at xs, 2 * xs), a0/a1 the panels' scales, s0 row b0's dx
// (next rows at st, 2 * st).
#define RLM_Q16_STEP(W, X)                       \
  "vmovdqa " W "(%[w0]), %[wa]\n\t"              \
  "vmovdqa " W "(%[w1]), %[wb]\n\t"              \
  "vpbroadcastd " X "(%[x0]), %[xb]\n\t"         \
  "vpmaddwd %[xb], %[wa], %[t]\n\t"              \
  "vpaddd %[t], %[a00], %[a00]\n\t"              \
  "vpmaddwd %[xb], %[wb], %[t]\n\t"              \
  "vpaddd %[t], %[a10], %[a10]\n\t"              \
  "vpbroadcastd " X "(%[x0],%[xs],1), %[xb]\n\t" \
  "vpmaddwd %[xb], %[wa], %[t]\n\t"              \
  "vpaddd %[t], %[a01], %[a01]\n\t"              \
  "vpmaddwd %[xb], %[wb], %[t]\n\t"              \
  "vpaddd %[t], %[a11], %[a11]\n\t"              \
  "vpbroadcastd " X "(%[x0],%[xs],2), %[xb]\n\t" \
  "vpmaddwd %[xb], %[wa], %[t]\n\t"              \
  "vpaddd %[t], %[a02], %[a02]\n\t"              \
  "vpmaddwd %[xb], %[wb], %[t]\n\t"              \
  "vpaddd %[t], %[a12], %[a12]\n\t"
#define RLM_Q16_SCALE(S, A, F)                                       \
  "vcvtdq2ps %[" A "], %[" A "]\n\tvbroadcastss " S ", %[xb]\n\t" \
  "vmulps %[xb], %[wa], %[t]\n\tvfmadd231ps %[t], %[" A "], %[" F "]\n\t"
#define RLM_Q16_PANEL(P)                                \
  "vmovups (%[a" P "]), %[wa]\n\t"                      \
  RLM_Q16_SCALE("(%[s0])", "a" P "0", "f" P "0")         \
  RLM_Q16_SCALE("(%[s0],%[st],1)", "a" P "1", "f" P "1") \
  RLM_Q16_SCALE("(%[s0],%[st],2)", "a" P "2", "f" P "2")

HWY_NOINLINE void Tile16Asm(const Panel16* panels, const int16_t* x16, size_t x16_stride,
                            const XQuant& x, size_t b0, float* out, size_t out_stride,
                            size_t r0) {
  const size_t groups = x.cols / 32;
  __m256 f00 = _mm256_setzero_ps(), f01 = f00, f02 = f00, f10 = f00, f11 = f00, f12 = f00;
  const int16_t* x0 = x16 + b0 * x16_stride;
  const float* s0 = x.d + b0 * groups;
  const size_t xs = x16_stride * sizeof(int16_t), st = groups * sizeof(float);
  for (size_t g = 0; g < groups; ++g) {
    __m256i a00, a01, a02, a10, a11, a12, wa, wb, xb, t;
    asm("vpxor %[a00], %[a00], %[a00]\n\tvpxor %[a01], %[a01], %[a01]\n\t"
        "vpxor %[a02], %[a02], %[a02]\n\tvpxor %[a10], %[a10], %[a10]\n\t"
        "vpxor %[a11], %[a11], %[a11]\n\tvpxor %[a12], %[a12], %[a12]\n\t"
        RLM_Q16_STEP("0", "0") RLM_Q16_STEP("32", "4") RLM_Q16_STEP("64", "8")
        RLM_Q16_STEP("96", "12") RLM_Q16_STEP("128", "16") RLM_Q16_STEP("160", "20")
        RLM_Q16_STEP("192", "24") RLM_Q16_STEP("224", "28") RLM_Q16_STEP("256", "32")
        RLM_Q16_STEP("288", "36") RLM_Q16_STEP("320", "40") RLM_Q16_STEP("352", "44")
        RLM_Q16_STEP("384", "48") RLM_Q16_STEP("416", "52") RLM_Q16_STEP("448", "56")
        RLM_Q16_STEP("480", "60")
        RLM_Q16_PANEL("0") RLM_Q16_PANEL("1")
        : [a00] "=&x"(a00), [a01] "=&x"(a01), [a02] "=&x"(a02), [a10] "=&x"(a10),
          [a11] "=&x"(a11), [a12] "=&x"(a12), [f00] "+x"(f00), [f01] "+x"(f01), [f02] "+x"(f02),
          [f10] "+x"(f10), [f11] "+x"(f11), [f12] "+x"(f12), [wa] "=&x"(wa), [wb] "=&x"(wb),
          [xb] "=&x"(xb), [t] "=&x"(t)
        : [w0] "r"(panels[0].q + g * 256), [w1] "r"(panels[1].q + g * 256),
          [x0] "r"(x0 + g * 32), [xs] "r"(xs), [a0] "r"(panels[0].a + g * 8),
          [a1] "r"(panels[1].a + g * 8), [s0] "r"(s0 + g), [st] "r"(st)
        : "memory");
  }
  const __m256 acc[2][3] = {{f00, f01, f02}, {f10, f11, f12}};
  for (size_t p = 0; p < 2; ++p) {
    for (size_t j = 0; j < 3; ++j) {
      StoreRows(out + (b0 + j) * out_stride + r0 + p * kPanelRows, acc[p][j], panels[p].rows);
    }
  }
}
#undef RLM_Q16_STEP
#undef RLM_Q16_SCALE
#undef RLM_Q16_PANEL

void GemmQ8(float* out, size_t out_stride, const TensorView& w, const float* x, size_t n_batch,
            ThreadPool* pool) {
  const XQuant xv = QuantizeBatch(x, n_batch, w.cols, pool);
  // x widened to int16, rows split over the pool as QuantizeBatch's.
  thread_local std::vector<int16_t> x16v;
  const size_t x16_stride = w.cols;
  x16v.resize(n_batch * x16_stride);
  int16_t* x16 = x16v.data();
  auto widen = [&](size_t begin, size_t end, size_t) HWY_ATTR {
    for (size_t b = begin; b < end; ++b) {
      for (size_t c = 0; c < w.cols; c += 16) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xv.row(b) + c));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(x16 + b * x16_stride + c),
                            _mm256_cvtepi8_epi16(q));
      }
    }
  };
  if (pool != nullptr && n_batch > 1) {
    pool->ParallelFor(n_batch, 1, widen);
  } else {
    widen(0, n_batch, 0);
  }
  ForEachPanelBlock<Panel16, Panel16Scratch>(
      w, pool,
      [&](size_t r, size_t n, Panel16Scratch* s) HWY_ATTR { return PackPanelQ8(w, r, n, s); },
      [&](const Panel16* panels, size_t np, size_t r0) HWY_ATTR {
        size_t b0 = 0;
        if (np == 2) {
          for (; b0 + 3 <= n_batch; b0 += 3) {
            Tile16Asm(panels, x16, x16_stride, xv, b0, out, out_stride, r0);
          }
          for (; b0 < n_batch; ++b0) {
            Tile16<2, 1>(panels, x16, x16_stride, xv, b0, out, out_stride, r0);
          }
        } else {
          for (; b0 < n_batch; ++b0) {
            Tile16<1, 1>(panels, x16, x16_stride, xv, b0, out, out_stride, r0);
          }
        }
      });
}

// ------------------------------------------------- q4_0 panels for decode
//
// Panel layout, per 8-row panel and 32-group g (144 bytes, as 8 blocks):
//   v[s], s < 4: 32 bytes; bytes 4r..4r+3 = qs[4s..4s+3] of row r's block g
//                (low nibbles: weights 4s+k; high nibbles: 16+4s+k)
//   d[8]:        f16 scales of the 8 rows' blocks
// Rows past the matrix's end are zero (d = 0).
constexpr size_t kQ4PanelGroupBytes = 144;

// out rows of kP panels x kB batch rows; x as QuantizeActivations gives it.
template <size_t kP, size_t kB>
HWY_INLINE void PackedQ4Tile(const uint8_t* panels, size_t groups, const XQuant& x, size_t b0,
                             size_t p0, size_t rows, float* out, size_t out_stride) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[kP][kB];
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) acc[p][j] = _mm256_setzero_ps();
  }
  for (size_t g = 0; g < groups; ++g) {
    for (size_t p = 0; p < kP; ++p) {
      PrefetchAhead(panels + ((p0 + p) * groups + g) * kQ4PanelGroupBytes, kQ4PanelGroupBytes);
    }
    __m256i acc16[kP][kB];
    for (size_t p = 0; p < kP; ++p) {
      for (size_t j = 0; j < kB; ++j) acc16[p][j] = _mm256_setzero_si256();
    }
    HWY_UNROLL(4)
    for (size_t s = 0; s < 4; ++s) {
      __m256i lo[kP], hi[kP];
      for (size_t p = 0; p < kP; ++p) {
        const __m256i v = Load256(panels + ((p0 + p) * groups + g) * kQ4PanelGroupBytes + 32 * s);
        lo[p] = _mm256_and_si256(v, m4);
        hi[p] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
      }
      for (size_t j = 0; j < kB; ++j) {
        const int8_t* xg = x.row(b0 + j) + g * 32;
        int32_t x_lo, x_hi;
        std::memcpy(&x_lo, xg + 4 * s, 4);
        std::memcpy(&x_hi, xg + 16 + 4 * s, 4);
        const __m256i bl = _mm256_set1_epi32(x_lo);
        const __m256i bh = _mm256_set1_epi32(x_hi);
        for (size_t p = 0; p < kP; ++p) {
          acc16[p][j] = _mm256_add_epi16(acc16[p][j], _mm256_maddubs_epi16(lo[p], bl));
          acc16[p][j] = _mm256_add_epi16(acc16[p][j], _mm256_maddubs_epi16(hi[p], bh));
          KeepInRegister(acc16[p][j]);
        }
      }
    }
    // sum_k d (n_k - 8) dx q_k = d * (dx * isum - 8 * dx * sum(q)).
    for (size_t p = 0; p < kP; ++p) {
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
          panels + ((p0 + p) * groups + g) * kQ4PanelGroupBytes + 128)));
      for (size_t j = 0; j < kB; ++j) {
        const size_t b = b0 + j;
        const float* hs = x.hs + (b * x.cols / 32 + g) * 2;
        const __m256 isum = _mm256_cvtepi32_ps(_mm256_madd_epi16(acc16[p][j], ones));
        const __m256 t = _mm256_fmsub_ps(isum, _mm256_broadcast_ss(x.d + b * (x.cols / 32) + g),
                                         _mm256_set1_ps(8.0f * (hs[0] + hs[1])));
        acc[p][j] = _mm256_fmadd_ps(t, d, acc[p][j]);
      }
    }
  }
  StoreTile<kP, kB>(acc, out, out_stride, b0, p0, rows);
}

// q8_0 panels, per 8-row panel and 32-group g (272 bytes, as 8 blocks):
//   v[s], s < 8: bytes 4r..4r+3 = qs[4s..4s+3] of row r's block g (i8)
//   d[8]: f16 scales. The sign trick (|w| x sign(w)*x) per step.
constexpr size_t kQ8PanelGroupBytes = 272;

template <size_t kP, size_t kB>
HWY_INLINE void PackedQ8Tile(const uint8_t* panels, size_t groups, const XQuant& x, size_t b0,
                             size_t p0, size_t rows, float* out, size_t out_stride) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[kP][kB];
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) acc[p][j] = _mm256_setzero_ps();
  }
  for (size_t g = 0; g < groups; ++g) {
    for (size_t p = 0; p < kP; ++p) {
      PrefetchAhead(panels + ((p0 + p) * groups + g) * kQ8PanelGroupBytes, kQ8PanelGroupBytes);
    }
    __m256i acc32[kP][kB];
    for (size_t p = 0; p < kP; ++p) {
      for (size_t j = 0; j < kB; ++j) acc32[p][j] = _mm256_setzero_si256();
    }
    HWY_UNROLL(8)
    for (size_t s = 0; s < 8; ++s) {
      __m256i v[kP], va[kP];
      for (size_t p = 0; p < kP; ++p) {
        v[p] = Load256(panels + ((p0 + p) * groups + g) * kQ8PanelGroupBytes + 32 * s);
        va[p] = _mm256_abs_epi8(v[p]);
      }
      for (size_t j = 0; j < kB; ++j) {
        int32_t x4;
        std::memcpy(&x4, x.row(b0 + j) + g * 32 + 4 * s, 4);
        const __m256i xb = _mm256_set1_epi32(x4);
        for (size_t p = 0; p < kP; ++p) {
          const __m256i m = _mm256_maddubs_epi16(va[p], _mm256_sign_epi8(xb, v[p]));
          acc32[p][j] = _mm256_add_epi32(acc32[p][j], _mm256_madd_epi16(m, ones));
          KeepInRegister(acc32[p][j]);
        }
      }
    }
    for (size_t p = 0; p < kP; ++p) {
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
          panels + ((p0 + p) * groups + g) * kQ8PanelGroupBytes + 256)));
      for (size_t j = 0; j < kB; ++j) {
        const __m256 scale =
            _mm256_mul_ps(d, _mm256_broadcast_ss(x.d + (b0 + j) * (x.cols / 32) + g));
        acc[p][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc32[p][j]), scale, acc[p][j]);
      }
    }
  }
  StoreTile<kP, kB>(acc, out, out_stride, b0, p0, rows);
}

// q4_K panels, per 8-row panel and 256-weight super-block (1184 bytes):
//   v[p][s], p < 4, s < 8: bytes 4r..4r+3 = qs[32p + 4s ..] of row r (low
//              nibbles: group 2p, weights 4s+k; high nibbles: group 2p+1)
//   sc[t][r], mn[t][r]: the 6-bit scale and min of group t of row r (bytes)
//   d[r], dmin[r]: f16
// w = d * sc * q - dmin * mn per group, as in the block.
constexpr size_t kQ4KPanelBlockBytes = 1184;

// x rounded per 256 (as GemmK): a group's int16 sums widen with its scale
// as the vpmaddwd multiplier into int32 sums over the super-block, and
// the mins' integer sums against x's per-32 sums are 4 vpmaddwd, so the
// f32 work is once per super-block, not per group.
template <size_t kP, size_t kB>
HWY_INLINE void PackedQ4KTile(const uint8_t* panels, size_t blocks, const XQuantK& x, size_t b0,
                              size_t p0, size_t rows, float* out, size_t out_stride) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  // vpshufb on the 8 scale bytes (in both halves): byte r -> int16 lanes
  // 2r and 2r + 1 (rows 0-3 in the low half, 4-7 in the high).
  const __m256i dup = _mm256_setr_epi8(0, -1, 0, -1, 1, -1, 1, -1, 2, -1, 2, -1, 3, -1, 3, -1,
                                       4, -1, 4, -1, 5, -1, 5, -1, 6, -1, 6, -1, 7, -1, 7, -1);
  __m256 acc[kP][kB];
  for (size_t p = 0; p < kP; ++p) {
    for (size_t j = 0; j < kB; ++j) acc[p][j] = _mm256_setzero_ps();
  }
  for (size_t blk = 0; blk < blocks; ++blk) {
    const uint8_t* base[kP];
    for (size_t p = 0; p < kP; ++p) {
      base[p] = panels + ((p0 + p) * blocks + blk) * kQ4KPanelBlockBytes;
    }
    __m256i acc32[kP][kB];
    for (size_t p = 0; p < kP; ++p) {
      for (size_t j = 0; j < kB; ++j) acc32[p][j] = _mm256_setzero_si256();
    }
    for (size_t pair = 0; pair < 4; ++pair) {
      // The block ahead a quarter at a time: 19 requests at once stall
      // on the misses in flight.
      for (size_t p = 0; p < kP; ++p) PrefetchAhead(base[p] + 320 * pair, 320);
      __m256i lo16[kP][kB], hi16[kP][kB];
      for (size_t p = 0; p < kP; ++p) {
        for (size_t j = 0; j < kB; ++j) {
          lo16[p][j] = _mm256_setzero_si256();
          hi16[p][j] = _mm256_setzero_si256();
        }
      }
      HWY_UNROLL(8)
      for (size_t s = 0; s < 8; ++s) {
        __m256i lo[kP], hi[kP];
        for (size_t p = 0; p < kP; ++p) {
          const __m256i v = Load256(base[p] + 256 * pair + 32 * s);
          lo[p] = _mm256_and_si256(v, m4);
          hi[p] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
        }
        for (size_t j = 0; j < kB; ++j) {
          const int8_t* xg = x.row(b0 + j) + blk * 256 + 64 * pair + 4 * s;
          int32_t x_lo, x_hi;
          std::memcpy(&x_lo, xg, 4);
          std::memcpy(&x_hi, xg + 32, 4);
          const __m256i bl = _mm256_set1_epi32(x_lo);
          const __m256i bh = _mm256_set1_epi32(x_hi);
          for (size_t p = 0; p < kP; ++p) {
            lo16[p][j] = _mm256_add_epi16(lo16[p][j], _mm256_maddubs_epi16(lo[p], bl));
            hi16[p][j] = _mm256_add_epi16(hi16[p][j], _mm256_maddubs_epi16(hi[p], bh));
            KeepInRegister(lo16[p][j]);
            KeepInRegister(hi16[p][j]);
          }
        }
      }
      // Groups 2 * pair (low nibbles) and 2 * pair + 1 (high).
      for (size_t p = 0; p < kP; ++p) {
        int64_t sc8[2];
        std::memcpy(sc8, base[p] + 1024 + 16 * pair, 16);
        const __m256i sc_lo = _mm256_shuffle_epi8(_mm256_set1_epi64x(sc8[0]), dup);
        const __m256i sc_hi = _mm256_shuffle_epi8(_mm256_set1_epi64x(sc8[1]), dup);
        for (size_t j = 0; j < kB; ++j) {
          acc32[p][j] = _mm256_add_epi32(acc32[p][j], _mm256_madd_epi16(lo16[p][j], sc_lo));
          acc32[p][j] = _mm256_add_epi32(acc32[p][j], _mm256_madd_epi16(hi16[p][j], sc_hi));
        }
      }
    }
    // out += dx * (d * acc32 - dmin * sum_t mn_t * bs32_t); the mins of
    // groups 2k, 2k+1 interleaved into int16 pairs per row.
    for (size_t p = 0; p < kP; ++p) {
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base[p] + 1152)));
      const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base[p] + 1168)));
      __m256i mn[4];
      for (size_t k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base[p] + 1088 + 16 * k));
        mn[k] = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(v, _mm_srli_si128(v, 8)));
      }
      for (size_t j = 0; j < kB; ++j) {
        const int16_t* bs = x.bs32 + (b0 + j) * (x.cols / 32) + blk * 8;
        __m256i m32 = _mm256_setzero_si256();
        for (size_t k = 0; k < 4; ++k) {
          int32_t pair;
          std::memcpy(&pair, bs + 2 * k, 4);
          m32 = _mm256_add_epi32(m32, _mm256_madd_epi16(mn[k], _mm256_set1_epi32(pair)));
        }
        const __m256 sum = _mm256_fmsub_ps(_mm256_cvtepi32_ps(acc32[p][j]), d,
                                           _mm256_mul_ps(_mm256_cvtepi32_ps(m32), dmin));
        acc[p][j] = _mm256_fmadd_ps(
            sum, _mm256_broadcast_ss(x.d + (b0 + j) * (x.cols / 256) + blk), acc[p][j]);
      }
    }
  }
  StoreTile<kP, kB>(acc, out, out_stride, b0, p0, rows);
}

template <size_t kP>
HWY_NOINLINE void PackedQ4KRows(const uint8_t* panels, size_t blocks, const XQuantK& x,
                                size_t n_batch, size_t p0, size_t rows, float* out,
                                size_t out_stride) {
  for (size_t b0 = 0; b0 < n_batch; ++b0) {
    PackedQ4KTile<kP, 1>(panels, blocks, x, b0, p0, rows, out, out_stride);
  }
}

// q6_K panels, per 8-row panel and 256-weight super-block (1680 bytes):
//   ql[c][s], c < 4, s < 8: bytes 4r..4r+3 = ql[32c + 4s ..] of row r
//   qh[h][s], h < 2, s < 8: bytes 4r..4r+3 = qh[32h + 4s ..] of row r
//   sc[i][r], i < 16: the int8 scale of 16-weight part i of row r
//   d[r]: f16
// Group t = 4h + u: low 4 bits from ql chunk 2h + (u & 1) (low nibbles for
// u < 2, high for u >= 2), high 2 bits (qh >> 2u) & 3; w = d * sc * (q - 32).
constexpr size_t kQ6KPanelBlockBytes = 1680;

template <size_t kP>
HWY_INLINE void PackedQ6KTile(const uint8_t* panels, size_t blocks, const XQuant& x, size_t b,
                              size_t p0, size_t rows, float* out, size_t out_stride) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m30 = _mm256_set1_epi8(0x30);
  const __m256i ones = _mm256_set1_epi16(1);
  const size_t groups = x.cols / 32;
  __m256 acc[kP];
  for (size_t p = 0; p < kP; ++p) acc[p] = _mm256_setzero_ps();
  for (size_t blk = 0; blk < blocks; ++blk) {
    const uint8_t* base[kP];
    __m256 d[kP];
    for (size_t p = 0; p < kP; ++p) {
      base[p] = panels + ((p0 + p) * blocks + blk) * kQ6KPanelBlockBytes;
      d[p] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base[p] + 1664)));
    }
    const int8_t* xb = x.row(b) + blk * 256;
    for (size_t h = 0; h < 2; ++h) {
      // isum[p][u][half]: int32 per row for group 4h+u, weights 16*half ..
      __m256i isum[kP][4][2];
      for (size_t half = 0; half < 2; ++half) {
        // The block ahead a quarter at a time (see PackedQ4KTile).
        for (size_t p = 0; p < kP; ++p) PrefetchAhead(base[p] + 448 * (2 * h + half), 448);
        __m256i acc16[kP][4];
        for (size_t p = 0; p < kP; ++p) {
          for (size_t u = 0; u < 4; ++u) acc16[p][u] = _mm256_setzero_si256();
        }
        for (size_t s = 4 * half; s < 4 * half + 4; ++s) {
          int32_t x4[4];
          for (size_t u = 0; u < 4; ++u) std::memcpy(&x4[u], xb + 128 * h + 32 * u + 4 * s, 4);
          for (size_t p = 0; p < kP; ++p) {
            const __m256i qh = Load256(base[p] + 1024 + 256 * h + 32 * s);
            const __m256i l0 = Load256(base[p] + 256 * (2 * h) + 32 * s);
            const __m256i l1 = Load256(base[p] + 256 * (2 * h + 1) + 32 * s);
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                                   _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
            q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                   _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                   _mm256_and_si256(qh, m30));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                   _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
            for (size_t u = 0; u < 4; ++u) {
              acc16[p][u] = _mm256_add_epi16(
                  acc16[p][u], _mm256_maddubs_epi16(q[u], _mm256_set1_epi32(x4[u])));
              KeepInRegister(acc16[p][u]);
            }
          }
          // q6 <= 63: two steps (4 products per lane) fit int16.
          if (s % 2 == 1) {
            for (size_t p = 0; p < kP; ++p) {
              for (size_t u = 0; u < 4; ++u) {
                const __m256i w32 = _mm256_madd_epi16(acc16[p][u], ones);
                isum[p][u][half] = s % 4 == 1 ? w32 : _mm256_add_epi32(isum[p][u][half], w32);
                acc16[p][u] = _mm256_setzero_si256();
              }
            }
          }
        }
      }
      // sum = d * sc * dx * (isum - 32 * sum(q_x)) per 16-weight half.
      for (size_t u = 0; u < 4; ++u) {
        const size_t t = 4 * h + u, g = blk * 8 + t;
        const __m256 dx = _mm256_broadcast_ss(x.d + b * groups + g);
        const float* hs = x.hs + (b * groups + g) * 2;
        for (size_t half = 0; half < 2; ++half) {
          const __m256 xs32 = _mm256_set1_ps(32.0f * hs[half]);
          for (size_t p = 0; p < kP; ++p) {
            const __m256 sc = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(
                reinterpret_cast<const __m128i*>(base[p] + 1536 + 8 * (2 * t + half)))));
            const __m256 v = _mm256_fmsub_ps(_mm256_cvtepi32_ps(isum[p][u][half]), dx, xs32);
            acc[p] = _mm256_fmadd_ps(v, _mm256_mul_ps(d[p], sc), acc[p]);
          }
        }
      }
    }
  }
  for (size_t p = 0; p < kP; ++p) {
    const size_t r0 = (p0 + p) * kPanelRows;
    StoreRows(out + b * out_stride + r0, acc[p], rows - r0);
  }
}

template <size_t kP>
HWY_NOINLINE void PackedQ6KRows(const uint8_t* panels, size_t blocks, const XQuant& x,
                                size_t n_batch, size_t p0, size_t rows, float* out,
                                size_t out_stride) {
  for (size_t b = 0; b < n_batch; ++b) PackedQ6KTile<kP>(panels, blocks, x, b, p0, rows, out, out_stride);
}

template <bool kQ8, size_t kP>
HWY_NOINLINE void PackedRows(const uint8_t* panels, size_t groups, const XQuant& x,
                               size_t n_batch, size_t p0, size_t rows, float* out,
                               size_t out_stride) {
  size_t b0 = 0;
  for (; b0 + 2 <= n_batch; b0 += 2) {
    if constexpr (kQ8) {
      PackedQ8Tile<kP, 2>(panels, groups, x, b0, p0, rows, out, out_stride);
    } else {
      PackedQ4Tile<kP, 2>(panels, groups, x, b0, p0, rows, out, out_stride);
    }
  }
  if (b0 < n_batch) {
    if constexpr (kQ8) {
      PackedQ8Tile<kP, 1>(panels, groups, x, b0, p0, rows, out, out_stride);
    } else {
      PackedQ4Tile<kP, 1>(panels, groups, x, b0, p0, rows, out, out_stride);
    }
  }
}

bool PackedMatVecImpl(float* out, size_t out_stride, const TensorView& w, const float* x,
                      size_t n_batch, ThreadPool* pool) {
  if (w.type != DType::kQ4_0 && w.type != DType::kQ8_0 && w.type != DType::kQ4_K &&
      w.type != DType::kQ6_K) {
    return false;
  }
  const size_t cols = w.cols, groups = cols / 32;
  const bool kquant = w.type == DType::kQ4_K;
  const XQuant xv = kquant ? XQuant{} : QuantizeBatch(x, n_batch, cols, nullptr);
  const XQuantK xk = kquant ? QuantizeBatchK(x, n_batch, cols, nullptr) : XQuantK{};
  const uint8_t* panels = static_cast<const uint8_t*>(w.packed);
  const size_t n_panels = (w.rows + kPanelRows - 1) / kPanelRows;
  const bool q8 = w.type == DType::kQ8_0;
  const bool q4k = w.type == DType::kQ4_K;
  const bool q6k = w.type == DType::kQ6_K;
  auto work = [&](size_t begin, size_t end, size_t) HWY_ATTR {
    size_t p = begin;
    if (q6k) {
      for (; p + 2 <= end; p += 2) {
        PackedQ6KRows<2>(panels, cols / 256, xv, n_batch, p, w.rows, out, out_stride);
      }
      if (p < end) PackedQ6KRows<1>(panels, cols / 256, xv, n_batch, p, w.rows, out, out_stride);
      return;
    }
    if (q4k) {
      for (; p + 2 <= end; p += 2) {
        PackedQ4KRows<2>(panels, cols / 256, xk, n_batch, p, w.rows, out, out_stride);
      }
      if (p < end) PackedQ4KRows<1>(panels, cols / 256, xk, n_batch, p, w.rows, out, out_stride);
      return;
    }
    for (; p + 2 <= end; p += 2) {
      if (q8) {
        PackedRows<true, 2>(panels, groups, xv, n_batch, p, w.rows, out, out_stride);
      } else {
        PackedRows<false, 2>(panels, groups, xv, n_batch, p, w.rows, out, out_stride);
      }
    }
    if (p < end) {
      if (q8) {
        PackedRows<true, 1>(panels, groups, xv, n_batch, p, w.rows, out, out_stride);
      } else {
        PackedRows<false, 1>(panels, groups, xv, n_batch, p, w.rows, out, out_stride);
      }
    }
  };
  if (pool != nullptr && n_panels > 4) {
    pool->ParallelFor(n_panels, 2, work);
  } else {
    work(0, n_panels, 0);
  }
  return true;
}

bool GemmInt8Impl(float* out, size_t out_stride, const TensorView& w, const float* x,
                  size_t n_batch, ThreadPool* pool) {
  switch (w.type) {
    case DType::kQ8_0: GemmQ8(out, out_stride, w, x, n_batch, pool); return true;
    case DType::kQ4_0: Gemm<Q4_0G>(out, out_stride, w, x, n_batch, pool); return true;
    case DType::kQ4_1: Gemm<Q4_1G>(out, out_stride, w, x, n_batch, pool); return true;
    case DType::kQ4_K: GemmK<Q4_KG>(out, out_stride, w, x, n_batch, pool); return true;
    case DType::kQ5_K: GemmK<Q5_KG>(out, out_stride, w, x, n_batch, pool); return true;
    case DType::kQ6_K: GemmK<Q6_KG>(out, out_stride, w, x, n_batch, pool); return true;
    default: return false;
  }
}

size_t XBlockImpl(DType type, bool decode) {
  if (decode) {  // PackedMatVec
    switch (type) {
      case DType::kQ8_0: case DType::kQ4_0: case DType::kQ6_K: return 32;
      case DType::kQ4_K: return 256;
      default: return 0;
    }
  }
  switch (type) {
    case DType::kQ8_0: case DType::kQ4_0: case DType::kQ4_1: return 32;
    case DType::kQ4_K: case DType::kQ5_K: case DType::kQ6_K: return 256;
    default: return 0;
  }
}

#else  // no AVX2: MatMul's own kernels serve every batch size

size_t XBlockImpl(DType, bool) { return 0; }
bool GemmInt8Impl(float*, size_t, const TensorView&, const float*, size_t, ThreadPool*) {
  return false;
}
bool PackedMatVecImpl(float*, size_t, const TensorView&, const float*, size_t, ThreadPool*) {
  return false;
}

#endif

}  // namespace HWY_NAMESPACE
}  // namespace radixlm
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace radixlm {

HWY_EXPORT(GemmInt8Impl);
HWY_EXPORT(XBlockImpl);
HWY_EXPORT(PackedMatVecImpl);

namespace {
constexpr size_t kPanelRowsOnce = 8;

// Bytes per panel group: the 8 rows' quantized bytes, then 8 f16 scales.
size_t PanelGroupBytes(DType t) {
  switch (t) {
    case DType::kQ4_0: return 8 * 16 + 16;
    case DType::kQ8_0: return 8 * 32 + 16;
    default: return 0;
  }
}

// A row's block g: its quantized bytes and f16 scale.
void BlockBytes(const TensorView& w, size_t row, size_t g, const uint8_t** qs, size_t* n,
                const uint16_t** d) {
  if (w.type == DType::kQ4_0) {
    const BlockQ4_0& b = static_cast<const BlockQ4_0*>(w.row(row))[g];
    *qs = b.qs;
    *n = 16;
    *d = &b.d;
  } else {
    const BlockQ8_0& b = static_cast<const BlockQ8_0*>(w.row(row))[g];
    *qs = reinterpret_cast<const uint8_t*>(b.qs);
    *n = 32;
    *d = &b.d;
  }
}
}  // namespace

// q4_K panels (see kQ4KPanelBlockBytes above).
constexpr size_t kQ4KBlockBytesOnce = 1184;

void PackQ4KPanels(const TensorView& w, uint8_t* out) {
  const size_t blocks = w.cols / 256;
  const size_t panels = (w.rows + kPanelRowsOnce - 1) / kPanelRowsOnce;
  for (size_t p = 0; p < panels; ++p) {
    for (size_t blk = 0; blk < blocks; ++blk) {
      uint8_t* o = out + (p * blocks + blk) * kQ4KBlockBytesOnce;
      std::memset(o, 0, kQ4KBlockBytesOnce);
      for (size_t r = 0; r < kPanelRowsOnce; ++r) {
        const size_t row = p * kPanelRowsOnce + r;
        if (row >= w.rows) continue;
        const BlockQ4_K& b = static_cast<const BlockQ4_K*>(w.row(row))[blk];
        for (size_t pair = 0; pair < 4; ++pair) {
          for (size_t s = 0; s < 8; ++s) {
            std::memcpy(o + 256 * pair + 32 * s + 4 * r, b.qs + 32 * pair + 4 * s, 4);
          }
        }
        for (size_t t = 0; t < 8; ++t) {
          int sc, mn;
          ScaleMinK4(t, b.scales, &sc, &mn);
          o[1024 + 8 * t + r] = static_cast<uint8_t>(sc);
          o[1088 + 8 * t + r] = static_cast<uint8_t>(mn);
        }
        std::memcpy(o + 1152 + 2 * r, &b.d, 2);
        std::memcpy(o + 1168 + 2 * r, &b.dmin, 2);
      }
    }
  }
}

// q6_K panels (see kQ6KPanelBlockBytes above).
constexpr size_t kQ6KBlockBytesOnce = 1680;

void PackQ6KPanels(const TensorView& w, uint8_t* out) {
  const size_t blocks = w.cols / 256;
  const size_t panels = (w.rows + kPanelRowsOnce - 1) / kPanelRowsOnce;
  for (size_t p = 0; p < panels; ++p) {
    for (size_t blk = 0; blk < blocks; ++blk) {
      uint8_t* o = out + (p * blocks + blk) * kQ6KBlockBytesOnce;
      std::memset(o, 0, kQ6KBlockBytesOnce);
      for (size_t r = 0; r < kPanelRowsOnce; ++r) {
        const size_t row = p * kPanelRowsOnce + r;
        if (row >= w.rows) continue;
        const BlockQ6_K& b = static_cast<const BlockQ6_K*>(w.row(row))[blk];
        for (size_t s = 0; s < 8; ++s) {
          for (size_t c = 0; c < 4; ++c) std::memcpy(o + 256 * c + 32 * s + 4 * r, b.ql + 32 * c + 4 * s, 4);
          for (size_t h = 0; h < 2; ++h) {
            std::memcpy(o + 1024 + 256 * h + 32 * s + 4 * r, b.qh + 32 * h + 4 * s, 4);
          }
        }
        for (size_t i = 0; i < 16; ++i) o[1536 + 8 * i + r] = static_cast<uint8_t>(b.scales[i]);
        std::memcpy(o + 1664 + 2 * r, &b.d, 2);
      }
    }
  }
}

size_t PackedPanelBytes(const TensorView& w) {
  if (w.type == DType::kQ4_K || w.type == DType::kQ6_K) {
    if (w.cols % 256 != 0) return 0;
    return (w.rows + kPanelRowsOnce - 1) / kPanelRowsOnce * (w.cols / 256) *
           (w.type == DType::kQ4_K ? kQ4KBlockBytesOnce : kQ6KBlockBytesOnce);
  }
  const size_t group_bytes = PanelGroupBytes(w.type);
  if (group_bytes == 0 || w.cols % 32 != 0) return 0;
  const size_t panels = (w.rows + kPanelRowsOnce - 1) / kPanelRowsOnce;
  return panels * (w.cols / 32) * group_bytes;
}

void PackPanels(const TensorView& w, void* dst) {
  if (w.type == DType::kQ4_K) return PackQ4KPanels(w, static_cast<uint8_t*>(dst));
  if (w.type == DType::kQ6_K) return PackQ6KPanels(w, static_cast<uint8_t*>(dst));
  const size_t group_bytes = PanelGroupBytes(w.type);
  RLM_CHECK(group_bytes != 0);
  const size_t groups = w.cols / 32;
  const size_t panels = (w.rows + kPanelRowsOnce - 1) / kPanelRowsOnce;
  uint8_t* out = static_cast<uint8_t*>(dst);
  for (size_t p = 0; p < panels; ++p) {
    for (size_t g = 0; g < groups; ++g) {
      uint8_t* o = out + (p * groups + g) * group_bytes;
      std::memset(o, 0, group_bytes);
      for (size_t r = 0; r < kPanelRowsOnce; ++r) {
        const size_t row = p * kPanelRowsOnce + r;
        if (row >= w.rows) continue;
        const uint8_t* qs;
        size_t n;
        const uint16_t* d;
        BlockBytes(w, row, g, &qs, &n, &d);
        // Dword s of every row side by side: 4 bytes of 8 rows per 32.
        for (size_t s = 0; s < n / 4; ++s) std::memcpy(o + 32 * s + 4 * r, qs + 4 * s, 4);
        std::memcpy(o + 8 * n + 2 * r, d, 2);
      }
    }
  }
}

bool PackedMatVec(float* out, size_t out_stride, const TensorView& w, const float* x,
                  size_t n_batch, ThreadPool* pool) {
  if (w.packed == nullptr || w.rows == 0 || n_batch == 0) return false;
  return HWY_DYNAMIC_DISPATCH(PackedMatVecImpl)(out, out_stride, w, x, n_batch, pool);
}

size_t GemmInt8XBlock(DType type) { return HWY_DYNAMIC_DISPATCH(XBlockImpl)(type, false); }
size_t PackedMatVecXBlock(DType type) { return HWY_DYNAMIC_DISPATCH(XBlockImpl)(type, true); }

bool GemmInt8(float* out, size_t out_stride, const TensorView& w, const float* x,
              size_t n_batch, ThreadPool* pool) {
  if (w.rows == 0 || n_batch == 0 || w.cols % DTypeBlockSize(w.type) != 0) return false;
  return HWY_DYNAMIC_DISPATCH(GemmInt8Impl)(out, out_stride, w, x, n_batch, pool);
}

}  // namespace radixlm
#endif  // HWY_ONCE
