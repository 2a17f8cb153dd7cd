// Reference MatMul: dequantize each weight row, then a double-accumulated dot
// product. Exact up to the final rounding to f32; the SIMD kernels are
// tested against it.
#include <vector>

#include "base/check.h"
#include "base/half.h"
#include "kernels/matmul.h"

namespace radixlm {
namespace scalar {

void DequantizeRow(float* out, const TensorView& w, size_t row) {
  RLM_CHECK(row < w.rows);
  const void* src = w.row(row);
  switch (w.type) {
    case DType::kF32: {
      const float* p = static_cast<const float*>(src);
      for (size_t c = 0; c < w.cols; ++c) out[c] = p[c];
      return;
    }
    case DType::kF16: {
      const uint16_t* p = static_cast<const uint16_t*>(src);
      for (size_t c = 0; c < w.cols; ++c) out[c] = F16ToF32(p[c]);
      return;
    }
    case DType::kBF16: {
      const uint16_t* p = static_cast<const uint16_t*>(src);
      for (size_t c = 0; c < w.cols; ++c) out[c] = BF16ToF32(p[c]);
      return;
    }
    case DType::kQ8_0: {
      const BlockQ8_0* p = static_cast<const BlockQ8_0*>(src);
      for (size_t b = 0; b < w.cols / 32; ++b) {
        const float d = F16ToF32(p[b].d);
        for (int j = 0; j < 32; ++j) out[b * 32 + j] = d * p[b].qs[j];
      }
      return;
    }
    case DType::kQ4_0: {
      const BlockQ4_0* p = static_cast<const BlockQ4_0*>(src);
      for (size_t b = 0; b < w.cols / 32; ++b) {
        const float d = F16ToF32(p[b].d);
        for (int j = 0; j < 16; ++j) {
          out[b * 32 + j] = d * ((p[b].qs[j] & 0x0F) - 8);
          out[b * 32 + j + 16] = d * ((p[b].qs[j] >> 4) - 8);
        }
      }
      return;
    }
  }
  RLM_CHECK_MSG(false, "DequantizeRow: unknown dtype");
}

void MatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
            size_t n_batch) {
  RLM_CHECK(out_stride >= w.rows);
  std::vector<float> row(w.cols);
  for (size_t r = 0; r < w.rows; ++r) {
    scalar::DequantizeRow(row.data(), w, r);
    for (size_t b = 0; b < n_batch; ++b) {
      const float* xb = x + b * w.cols;
      double sum = 0.0;
      for (size_t c = 0; c < w.cols; ++c) sum += static_cast<double>(row[c]) * xb[c];
      out[b * out_stride + r] = static_cast<float>(sum);
    }
  }
}

}  // namespace scalar
}  // namespace radixlm
