// Matrix products over MLX affine-quantized weights (DType::kMlxAffine4 and
// kMlxAffine8, see base/dtype.h and kernels/tensor_view.h), computed in the
// stored form, never expanded: with g = c / group_size,
//   w[r][c] = s[r][g] * q[r][c] + b[r][g]
//   out[b][r] = sum_g s[r][g] * (q[r][g] · x[b][g]) + b[r][g] * sum(x[b][g])
// The codes are widened to f32 in registers and multiplied with f32 FMA;
// the per-group sums of x are computed once per call. SIMD through Highway
// runtime dispatch; multi-threaded over output rows. MatMul and
// DequantizeRow (kernels/matmul.h) route these types here.
#ifndef RADIXLM_KERNELS_MATMUL_AFFINE_H_
#define RADIXLM_KERNELS_MATMUL_AFFINE_H_

#include <cstddef>
#include <cstdint>

#include "base/thread_pool.h"
#include "kernels/tensor_view.h"

namespace radixlm {

// As MatMul (kernels/matmul.h). REQUIRES: IsMlxAffine(w.type), w.scales and
// w.biases set, w.cols % w.group_size == 0, w.group_size % 32 == 0.
void AffineMatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
                  size_t n_batch, ThreadPool* pool);

// out[c] = s * q + b for row `row` (a multiply, then an add: two roundings).
void AffineDequantizeRow(float* out, const TensorView& w, size_t row);

// Quantizes x[0..n) with MLX's affine rule, per group of group_size:
// scale = (max - min) / (2^bits - 1), bias = min, q = round((x - bias) /
// scale) clamped to [0, 2^bits - 1] (a constant group gets scale 0 and
// q = 0). The scale and bias are rounded to scale_type (kF16, kBF16 or
// kF32) and written to scales[n / group_size], biases[n / group_size];
// codes are packed into words[n * bits / 32]. REQUIRES: bits 4 or 8,
// n % group_size == 0, group_size % 32 == 0. For tests and tools.
void QuantizeAffineRow(uint32_t* words, void* scales, void* biases, DType scale_type,
                       const float* x, size_t n, size_t group_size, int bits);

namespace scalar {
// Plain reference versions, for tests: dequantize (multiply, then add, as
// AffineDequantizeRow), then a double-accumulated dot product.
void AffineMatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
                  size_t n_batch);
void AffineDequantizeRow(float* out, const TensorView& w, size_t row);
}  // namespace scalar

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_MATMUL_AFFINE_H_
