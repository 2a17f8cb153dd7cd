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
// Quantized weights (q8_0, q4_0): each x row is first quantized, once per
// call, into 32-element blocks of int8-range values (stored as int16 to save
// a widening in the inner loop) with an f32 scale dx = amax/127, rounded to
// nearest-even. A block's dot product is then an exact integer sum (pairwise
// int16 multiply-add into int32: vpmaddwd on x86, vmlal on NEON), converted
// to f32 and accumulated as acc += (dw * dx) * isum. So for quantized weights
// the activations are rounded to 8 bits, as in llama.cpp; the relative error
// this adds is about 1/254 per element, averaging out over a row.
#include <cstring>
#include <vector>

#include "base/check.h"
#include "base/half.h"
#include "kernels/matmul.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
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
    size_t c = 0;
    for (; c + n <= cols; c += n) {
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

// int16 lanes per chunk: 16 on AVX2/AVX3, 8 on 128-bit targets, 1 on
// HWY_SCALAR. A 32-weight block is 32/N chunks.
using D16 = hn::CappedTag<int16_t, 16>;
using V16 = hn::Vec<D16>;
#if HWY_TARGET == HWY_SCALAR
using D32 = hn::Rebind<int32_t, D16>;
#else
using D32 = hn::Repartition<int32_t, D16>;  // pairwise sums: half the lanes
#endif
constexpr size_t kMaxChunks = 32 / hn::MaxLanes(D16());

// Converts a block's f16 scale; F16C on x86 AVX2 and better.
HWY_INLINE float ScaleToF32(uint16_t h) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  return _cvtsh_ss(h);
#else
  return F16ToF32(h);
#endif
}

// Widens a block's 32 weights into int16 chunks wv[0 .. 32/N).
struct Q8Block {
  using Block = BlockQ8_0;
  static HWY_INLINE void Decode(D16 d16, const Block& b, V16* wv) {
    const hn::Rebind<int8_t, D16> d8;
    const size_t n = hn::Lanes(d16);
    HWY_UNROLL(16)
    for (size_t c = 0; c < 32 / n; ++c) wv[c] = hn::PromoteTo(d16, hn::LoadU(d8, b.qs + c * n));
  }
};

// Low nibbles of qs[0..16) are weights 0..15, high nibbles weights 16..31.
struct Q4Block {
  using Block = BlockQ4_0;
  static HWY_INLINE void Decode(D16 d16, const Block& b, V16* wv) {
    const hn::Rebind<uint8_t, D16> du8;
    const hn::Rebind<uint16_t, D16> du16;
    const size_t n = hn::Lanes(d16);
    const V16 mask = hn::Set(d16, 0x0F);
    const V16 eight = hn::Set(d16, 8);
    HWY_UNROLL(16)
    for (size_t c = 0; c < 16 / n; ++c) {
      const V16 v = hn::BitCast(d16, hn::PromoteTo(du16, hn::LoadU(du8, b.qs + c * n)));
      wv[c] = hn::Sub(hn::And(v, mask), eight);
      wv[c + 16 / n] = hn::Sub(hn::ShiftRight<4>(v), eight);
    }
  }
};

// x quantized per 32-block: q [n_batch][cols] int8-range values as int16,
// d [n_batch][cols/32] scales.
HWY_NOINLINE void QuantizeX(const float* x, size_t cols, int16_t* q, float* d) {
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int16_t, decltype(df)> d16;
  using VF = hn::Vec<decltype(df)>;
  const size_t n = hn::Lanes(df);
  for (size_t blk = 0; blk < cols / 32; ++blk) {
    const float* xb = x + blk * 32;
    VF vmax = hn::Zero(df);
    for (size_t c = 0; c < 32; c += n) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, xb + c)));
    const float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
    const float dx = amax / 127.0f;
    const VF id = hn::Set(df, dx != 0.0f ? 1.0f / dx : 0.0f);
    d[blk] = dx;
    for (size_t c = 0; c < 32; c += n) {
      const auto qi = hn::NearestInt(hn::Mul(hn::LoadU(df, xb + c), id));
      hn::StoreU(hn::DemoteTo(d16, qi), d16, q + blk * 32 + c);
    }
  }
}

template <class B>
struct QuantKernel {
  using Block = typename B::Block;
  // 4x3: 12 accumulators; a block's decoded weights and x stream from L1.
  static constexpr size_t kTileBatch = 3;
  const TensorView& w;
  const int16_t* xq;
  const float* xd;
  float* out;
  size_t out_stride;

  template <size_t kR, size_t kB>
  HWY_INLINE void Tile(size_t r0, size_t b0) const {
    const D16 d16;
    const D32 d32;
    const hn::Rebind<float, D32> df;
    using VF = hn::Vec<decltype(df)>;
    using V32 = hn::Vec<decltype(d32)>;
    const size_t n = hn::Lanes(d16);
    const size_t cols = w.cols;
    const size_t n_blocks = cols / 32;
    const Block* wr[kR];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) wr[i] = static_cast<const Block*>(w.row(r0 + i));

    VF acc[kR][kB];
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) acc[i][j] = hn::Zero(df);
    }
    for (size_t blk = 0; blk < n_blocks; ++blk) {
      HWY_UNROLL(16)
      for (size_t i = 0; i < kR; ++i) {
        V16 wv[kMaxChunks];
        B::Decode(d16, wr[i][blk], wv);
        const float dw = ScaleToF32(wr[i][blk].d);
        HWY_UNROLL(16)
        for (size_t j = 0; j < kB; ++j) {
          const int16_t* xp = xq + (b0 + j) * cols + blk * 32;
          V32 s0 = hn::Zero(d32);
          V32 s1 = hn::Zero(d32);
          HWY_UNROLL(16)
          for (size_t c = 0; c < 32 / n; ++c) {
            s0 = hn::ReorderWidenMulAccumulate(d32, wv[c], hn::LoadU(d16, xp + c * n), s0, s1);
          }
          const VF scale = hn::Set(df, dw * xd[(b0 + j) * n_blocks + blk]);
          acc[i][j] = hn::MulAdd(hn::ConvertTo(df, hn::Add(s0, s1)), scale, acc[i][j]);
        }
      }
    }
    HWY_UNROLL(16)
    for (size_t i = 0; i < kR; ++i) {
      HWY_UNROLL(16)
      for (size_t j = 0; j < kB; ++j) {
        out[(b0 + j) * out_stride + r0 + i] = hn::GetLane(hn::SumOfLanes(df, acc[i][j]));
      }
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

template <class B>
void QuantMatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
                 size_t n_batch, ThreadPool* pool) {
  RLM_CHECK(w.cols % 32 == 0);
  const size_t n_blocks = w.cols / 32;
  // Owned by the calling thread; reused across calls to avoid allocation.
  thread_local std::vector<int16_t> xq;
  thread_local std::vector<float> xd;
  xq.resize(n_batch * w.cols);
  xd.resize(n_batch * n_blocks);
  int16_t* q = xq.data();
  float* d = xd.data();
  auto quantize = [&](size_t begin, size_t end, size_t) HWY_ATTR {
    for (size_t b = begin; b < end; ++b) {
      QuantizeX(x + b * w.cols, w.cols, q + b * w.cols, d + b * n_blocks);
    }
  };
  if (pool != nullptr && n_batch > 1) {
    pool->ParallelFor(n_batch, 1, quantize);
  } else {
    quantize(0, n_batch, 0);
  }
  Run(QuantKernel<B>{w, q, d, out, out_stride}, w.rows, n_batch, pool);
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
      return QuantMatMul<Q8Block>(out, out_stride, w, x, n_batch, pool);
    case DType::kQ4_0:
      return QuantMatMul<Q4Block>(out, out_stride, w, x, n_batch, pool);
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

template <class B>
HWY_INLINE void DequantizeBlockRow(float* out, const typename B::Block* p, size_t cols) {
  const D16 d16;
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int16_t, decltype(df)> d16f;
  const hn::Rebind<int32_t, decltype(df)> d32f;
  const size_t n = hn::Lanes(d16);
  const size_t nf = hn::Lanes(df);
  HWY_ALIGN int16_t q[32];
  for (size_t blk = 0; blk < cols / 32; ++blk) {
    V16 wv[kMaxChunks];
    B::Decode(d16, p[blk], wv);
    HWY_UNROLL(16)
    for (size_t c = 0; c < 32 / n; ++c) hn::Store(wv[c], d16, q + c * n);
    const auto scale = hn::Set(df, ScaleToF32(p[blk].d));
    for (size_t c = 0; c < 32; c += nf) {
      const auto qf = hn::ConvertTo(df, hn::PromoteTo(d32f, hn::Load(d16f, q + c)));
      hn::StoreU(hn::Mul(qf, scale), df, out + blk * 32 + c);
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
      return DequantizeBlockRow<Q8Block>(out, static_cast<const BlockQ8_0*>(p), w.cols);
    case DType::kQ4_0:
      return DequantizeBlockRow<Q4Block>(out, static_cast<const BlockQ4_0*>(p), w.cols);
  }
  RLM_CHECK_MSG(false, "DequantizeRow: unknown dtype");
}

}  // namespace HWY_NAMESPACE
}  // namespace radixlm
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace radixlm {

HWY_EXPORT(MatMulImpl);
HWY_EXPORT(DequantizeRowImpl);

void MatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
            size_t n_batch, ThreadPool* pool) {
  RLM_CHECK(out_stride >= w.rows);
  if (w.rows == 0 || n_batch == 0) return;
  HWY_DYNAMIC_DISPATCH(MatMulImpl)(out, out_stride, w, x, n_batch, pool);
}

void DequantizeRow(float* out, const TensorView& w, size_t row) {
  HWY_DYNAMIC_DISPATCH(DequantizeRowImpl)(out, w, row);
}

}  // namespace radixlm
#endif  // HWY_ONCE
