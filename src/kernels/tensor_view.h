// TensorView: a non-owning view of a 2-D weight matrix in its stored type.
#ifndef RADIXLM_KERNELS_TENSOR_VIEW_H_
#define RADIXLM_KERNELS_TENSOR_VIEW_H_

#include <cstddef>

#include "base/dtype.h"

namespace radixlm {

// Row-major [rows][cols]; each row is DTypeRowBytes(type, cols) bytes and
// rows are contiguous. For block types cols % 32 == 0.
struct TensorView {
  DType type = DType::kF32;
  size_t rows = 0;
  size_t cols = 0;
  const void* data = nullptr;

  size_t row_bytes() const { return DTypeRowBytes(type, cols); }
  const void* row(size_t r) const {
    return static_cast<const char*>(data) + r * row_bytes();
  }
};

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_TENSOR_VIEW_H_
