// TensorView: a non-owning view of a 2-D weight matrix in its stored type.
#ifndef RADIXLM_KERNELS_TENSOR_VIEW_H_
#define RADIXLM_KERNELS_TENSOR_VIEW_H_

#include <cstddef>

#include "base/dtype.h"

namespace radixlm {

// Row-major [rows][cols]; each row is DTypeRowBytes(type, cols) bytes and
// rows are contiguous. For block types cols % 32 == 0.
//
// MLX affine types (kMlxAffine4/8) also carry per-group scales and biases:
// scales and biases are [rows][cols / group_size] of scale_type (kF16,
// kBF16 or kF32), row-major; REQUIRES cols % group_size == 0 and
// group_size % 32 == 0. Other types leave these fields at their defaults.
struct TensorView {
  DType type = DType::kF32;
  size_t rows = 0;
  size_t cols = 0;
  const void* data = nullptr;
  const void* scales = nullptr;     // MLX affine only
  const void* biases = nullptr;     // MLX affine only
  DType scale_type = DType::kF16;   // MLX affine only
  size_t group_size = 0;            // MLX affine only
  // Optional copy of the weights in 8-row panels for matrix-vector
  // products (PackedPanelBytes() in gemm_int8.h; q4_0), owned by whoever
  // owns the weights (the Model). nullptr: use `data` only.
  const void* packed = nullptr;

  size_t row_bytes() const { return DTypeRowBytes(type, cols); }
  const void* row(size_t r) const {
    return static_cast<const char*>(data) + r * row_bytes();
  }
};

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_TENSOR_VIEW_H_
