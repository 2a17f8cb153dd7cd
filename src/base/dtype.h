// DType: element types of stored tensors, with their block layout.
// Ids are GGML's type ids so GGUF files map onto them directly; types GGML
// lacks take ids from 1000 up.
#ifndef RADIXLM_BASE_DTYPE_H_
#define RADIXLM_BASE_DTYPE_H_

#include <cstddef>
#include <cstdint>

namespace radixlm {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kBF16 = 30,
  // MLX affine quantization ("quantization": {group_size, bits} in an MLX
  // config.json): a row is little-endian uint32 words, each holding 8
  // (4-bit) or 4 (8-bit) unsigned codes q, lowest bits first; every
  // TensorView::group_size consecutive weights share a scale s and a bias b
  // (TensorView::scales/biases, of TensorView::scale_type): w = s * q + b.
  kMlxAffine4 = 1004,
  kMlxAffine8 = 1008,
  // GGML's Q4_1 and k-quants (layouts below).
  kQ4_1 = 3,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
};

// Q8_0 block: 32 weights = f16 scale d, then 32 int8 q; w = d * q.
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block is 34 bytes");

// Q4_0 block: 32 weights = f16 scale d, then 16 bytes of nibbles; weight j
// (j < 16) is the low nibble of qs[j], weight j+16 its high nibble;
// w = d * (nibble - 8).
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block is 18 bytes");

// Q4_1 block: 32 weights = f16 scale d, f16 min m, 16 bytes of nibbles
// (weight j < 16 low nibble of qs[j], j+16 high nibble); w = d * q + m.
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_1) == 20, "Q4_1 block is 20 bytes");

// k-quant super-blocks hold 256 weights in 8 groups of 32 (Q6_K: 16 groups
// of 16 for its scales).
constexpr size_t kQK_K = 256;

// Q4_K: f16 d, f16 dmin, 12 bytes of 6-bit (scale, min) pairs for the 8
// groups (GGML's get_scale_min_k4 packing: group j < 4: sc = s[j] & 63,
// mn = s[j+4] & 63; j >= 4: sc = (s[j+4] & 15) | (s[j-4] >> 6) << 4,
// mn = (s[j+4] >> 4) | (s[j] >> 6) << 4), then 128 bytes of nibbles: bytes
// qs[32p .. 32p+32) hold group 2p in the low nibbles and group 2p+1 in the
// high nibbles. w = d * sc * q - dmin * mn, q in [0, 15].
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ4_K) == 144, "Q4_K block is 144 bytes");

// Q5_K: as Q4_K, plus a fifth bit: bit g of qh[l] is bit 4 of element l of
// group g. w = d * sc * q - dmin * mn, q in [0, 31].
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ5_K) == 176, "Q5_K block is 176 bytes");

// Q6_K: per 128-weight half h and element l < 32 of its group t (0..3):
// low 4 bits from ql[64h + 32(t&1) + l] (low nibble for t < 2, high nibble
// for t >= 2), high 2 bits from (qh[32h + l] >> 2t) & 3; int8 scale
// scales[8h + 2t + l/16]; w = d * scale * (q - 32), q in [0, 63].
struct BlockQ6_K {
  uint8_t ql[128];
  uint8_t qh[64];
  int8_t scales[16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210, "Q6_K block is 210 bytes");

// Returns true for the GGML types this build can compute with (MLX affine
// types are not GGML types: false).
bool IsSupportedDType(uint32_t ggml_type);
// "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q4_K", "q5_K", "q6_K",
// "mlx_affine4", "mlx_affine8", or "unknown".
const char* DTypeName(DType t);
// True for kMlxAffine4 and kMlxAffine8.
inline bool IsMlxAffine(DType t) { return t == DType::kMlxAffine4 || t == DType::kMlxAffine8; }
// True for the GGML block-quantized types (q8_0, q4_0, q4_1, k-quants).
bool IsGgmlQuantized(DType t);
// Elements per block (1 for plain float types; 256 for k-quants; codes per uint32 word for
// MLX affine types).
size_t DTypeBlockSize(DType t);
// Bytes per block.
size_t DTypeBlockBytes(DType t);
// Bytes of a row of n elements. REQUIRES: n % DTypeBlockSize(t) == 0.
inline size_t DTypeRowBytes(DType t, size_t n) {
  return n / DTypeBlockSize(t) * DTypeBlockBytes(t);
}

}  // namespace radixlm

#endif  // RADIXLM_BASE_DTYPE_H_
