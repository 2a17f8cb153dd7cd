// Row quantizers and converters from f32 into the stored weight types. They
// follow GGML's reference rounding so files written with them match what
// llama.cpp's quantizer produces for the same floats.
#ifndef RADIXLM_KERNELS_QUANTIZE_H_
#define RADIXLM_KERNELS_QUANTIZE_H_

#include <cstddef>
#include <cstdint>

#include "base/dtype.h"

namespace radixlm {

// Quantizes x[n] into n/32 Q8_0 blocks: per block d = amax/127 (stored as
// f16), q[j] = roundf(x[j]/d) (half away from zero). REQUIRES n % 32 == 0.
void QuantizeRowQ8_0(BlockQ8_0* out, const float* x, size_t n);

// Quantizes x[n] into n/32 Q4_0 blocks: per block, max is the element of
// largest magnitude (sign kept), d = max / -8, q[j] = min(15, (int)(x[j]/d +
// 8.5)). REQUIRES n % 32 == 0.
void QuantizeRowQ4_0(BlockQ4_0* out, const float* x, size_t n);

// Quantizes x[n] into n/32 Q4_1 blocks: per block d = (max - min)/15, m =
// min, q[j] = min(15, (int)((x[j] - min)/d + 0.5)). REQUIRES n % 32 == 0.
void QuantizeRowQ4_1(BlockQ4_1* out, const float* x, size_t n);

// K-quant reference quantizers (GGML's quantize_row_q{4,5,6}_K_ref: per-group
// weighted least-squares scale (and min) fits, 6-/8-bit scale quantization,
// nearest-even rounding). REQUIRES n % 256 == 0.
void QuantizeRowQ4_K(BlockQ4_K* out, const float* x, size_t n);
void QuantizeRowQ5_K(BlockQ5_K* out, const float* x, size_t n);
void QuantizeRowQ6_K(BlockQ6_K* out, const float* x, size_t n);

// out[i] = f16(x[i]), round to nearest even.
void ConvertRowF16(uint16_t* out, const float* x, size_t n);

// out[i] = bf16(x[i]), round to nearest even.
void ConvertRowBF16(uint16_t* out, const float* x, size_t n);

// Writes x[n] as DTypeRowBytes(type, n) bytes of `type` to out (a copy for
// kF32). REQUIRES n % DTypeBlockSize(type) == 0.
void ConvertRow(void* out, DType type, const float* x, size_t n);

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_QUANTIZE_H_
