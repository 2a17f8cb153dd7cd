// GemmInt8: the matrix-matrix product for prefill and batched decode over
// quantized weights (q8_0, q4_0, q4_1, q4_K, q5_K, q6_K), on x86 with AVX2
// or better. Used by MatMul when a call has enough batch rows to amortize
// repacking the weights; see gemm_int8.cc for the layout and the kernel.
#ifndef RADIXLM_KERNELS_GEMM_INT8_H_
#define RADIXLM_KERNELS_GEMM_INT8_H_

#include <cstddef>

#include "base/thread_pool.h"
#include "kernels/tensor_view.h"

namespace radixlm {

// Batch rows from which MatMul takes GemmInt8.
constexpr size_t kGemmInt8MinBatch = 8;

// out[b][r] = sum_c w[r][c] * x[b][c], with x rounded to int8 per block of
// GemmInt8XBlock(w.type) columns (dx = amax/127, nearest-even, as MatMul's
// quantized path per 32). Returns false, computing nothing, when this CPU
// or w.type has no such kernel; the caller then uses MatMul's own kernels.
// Same contract as MatMul otherwise.
bool GemmInt8(float* out, size_t out_stride, const TensorView& w, const float* x,
              size_t n_batch, ThreadPool* pool);

// The columns GemmInt8 rounds x over for weights of this type on this CPU:
// 32, or 256 for the k-quants (one dx per super-block, so their integer
// sub-scales apply before the f32 work; llama.cpp's Q8_K does the same);
// 0 when GemmInt8 has no kernel for it here.
size_t GemmInt8XBlock(DType type);

// Decode (few batch rows) over weights repacked once, at load time, into
// 8-row panels: one 256-bit vector holds 4 consecutive bytes of each of 8
// rows, so a vpmaddubsw yields 8 rows' partial sums and the scales of 8
// rows are one vector (no horizontal sums, no per-row scalar scale work).
//
// Bytes of w's panel copy; 0 when w.type has no panel layout (q4_0 has).
size_t PackedPanelBytes(const TensorView& w);
// Writes w's panels to dst (PackedPanelBytes(w) bytes).
void PackPanels(const TensorView& w, void* dst);
// The columns PackedMatVec rounds x over for this type here: 32, or 256
// for q4_K (as GemmInt8XBlock); 0 when it has no kernel for the type.
size_t PackedMatVecXBlock(DType type);
// out[b][r] for b < n_batch from w.packed (REQUIRES w.packed written by
// PackPanels for this w). Returns false, computing nothing, when this CPU has
// no such kernel (the caller then uses the row kernels on w.data).
bool PackedMatVec(float* out, size_t out_stride, const TensorView& w, const float* x,
                  size_t n_batch, ThreadPool* pool);

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_GEMM_INT8_H_
