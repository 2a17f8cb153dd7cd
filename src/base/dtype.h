// DType: element types of stored tensors, with their block layout.
// Ids are GGML's type ids so GGUF files map onto them directly.
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

// Returns true for the types this build can compute with.
bool IsSupportedDType(uint32_t ggml_type);
// "f32", "f16", "bf16", "q8_0", "q4_0", or "type<N>".
const char* DTypeName(DType t);
// Elements per block (1 for plain float types).
size_t DTypeBlockSize(DType t);
// Bytes per block.
size_t DTypeBlockBytes(DType t);
// Bytes of a row of n elements. REQUIRES: n % DTypeBlockSize(t) == 0.
inline size_t DTypeRowBytes(DType t, size_t n) {
  return n / DTypeBlockSize(t) * DTypeBlockBytes(t);
}

}  // namespace radixlm

#endif  // RADIXLM_BASE_DTYPE_H_
