// Matrix products over weights kept in their stored type (f32, f16, bf16,
// q8_0, q4_0), dequantized inside the kernel. SIMD through Highway runtime
// dispatch; multi-threaded over output rows.
#ifndef RADIXLM_KERNELS_MATMUL_H_
#define RADIXLM_KERNELS_MATMUL_H_

#include <cstddef>
#include <cstdint>

#include "base/thread_pool.h"
#include "kernels/tensor_view.h"

namespace radixlm {

// out[b][r] = sum_c w[r][c] * x[b][c]   for b < n_batch, r < w.rows.
// x: [n_batch][w.cols] contiguous; out: row b starts at out + b*out_stride,
// REQUIRES out_stride >= w.rows. pool may be nullptr (single thread).
void MatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
            size_t n_batch, ThreadPool* pool);

// The activation rounding of the int8 paths (MatMul's row kernels,
// GemmInt8, the decode panels): per 32-group of x (cols % 32 == 0), dx =
// amax/127 into d[g], q = nearest-even(x/dx) as int8, and, where not null,
// s[g] = dx * sum(q) and hs[2g + h] = dx * sum of half h's q.
void QuantizeActivations(const float* x, size_t cols, int8_t* q, float* d, float* s, float* hs);

// out[c] = w[row][c] (dequantized), c < w.cols.
void DequantizeRow(float* out, const TensorView& w, size_t row);

namespace scalar {
// Plain reference versions, for tests.
void MatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
            size_t n_batch);
void DequantizeRow(float* out, const TensorView& w, size_t row);
}  // namespace scalar

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_MATMUL_H_
