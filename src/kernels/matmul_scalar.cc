// Reference MatMul: dequantize each weight row, then a double-accumulated dot
// product. Exact up to the final rounding to f32; the SIMD kernels are
// tested against it.
#include <cstring>
#include <vector>

#include "base/check.h"
#include "base/half.h"
#include "kernels/matmul.h"
#include "kernels/matmul_affine.h"

namespace radixlm {
namespace scalar {

void DequantizeRow(float* out, const TensorView& w, size_t row) {
  if (IsMlxAffine(w.type)) return scalar::AffineDequantizeRow(out, w, row);
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
    case DType::kQ4_1: {
      const BlockQ4_1* p = static_cast<const BlockQ4_1*>(src);
      for (size_t b = 0; b < w.cols / 32; ++b) {
        const float d = F16ToF32(p[b].d);
        const float m = F16ToF32(p[b].m);
        for (int j = 0; j < 16; ++j) {
          out[b * 32 + j] = (p[b].qs[j] & 0x0F) * d + m;
          out[b * 32 + j + 16] = (p[b].qs[j] >> 4) * d + m;
        }
      }
      return;
    }
    case DType::kQ4_K:
    case DType::kQ5_K: {
      // Both share the header layout; Q5_K adds qh (a fifth bit per weight).
      const bool q5 = w.type == DType::kQ5_K;
      const size_t bytes = DTypeBlockBytes(w.type);
      for (size_t b = 0; b < w.cols / kQK_K; ++b) {
        const uint8_t* blk = static_cast<const uint8_t*>(src) + b * bytes;
        uint16_t dh, mh;
        std::memcpy(&dh, blk, 2);
        std::memcpy(&mh, blk + 2, 2);
        const uint8_t* sc = blk + 4;
        const uint8_t* qh = q5 ? blk + 16 : nullptr;
        const uint8_t* qs = blk + (q5 ? 48 : 16);
        const float d = F16ToF32(dh);
        const float min = F16ToF32(mh);
        float* y = out + b * kQK_K;
        for (int g = 0; g < 8; ++g) {
          int s, m;
          if (g < 4) {
            s = sc[g] & 63;
            m = sc[g + 4] & 63;
          } else {
            s = (sc[g + 4] & 0xF) | ((sc[g - 4] >> 6) << 4);
            m = (sc[g + 4] >> 4) | ((sc[g] >> 6) << 4);
          }
          const float d1 = d * s;
          const float m1 = min * m;
          const uint8_t* q = qs + 32 * (g / 2);
          for (int l = 0; l < 32; ++l) {
            int v = g % 2 ? q[l] >> 4 : q[l] & 0xF;
            if (q5 && (qh[l] >> g) & 1) v += 16;
            y[g * 32 + l] = d1 * v - m1;
          }
        }
      }
      return;
    }
    case DType::kQ6_K: {
      const BlockQ6_K* p = static_cast<const BlockQ6_K*>(src);
      for (size_t b = 0; b < w.cols / kQK_K; ++b) {
        const float d = F16ToF32(p[b].d);
        float* y = out + b * kQK_K;
        for (int h = 0; h < 2; ++h) {
          const uint8_t* ql = p[b].ql + 64 * h;
          const uint8_t* qh = p[b].qh + 32 * h;
          const int8_t* sc = p[b].scales + 8 * h;
          for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[128 * h + l] = d * sc[is] * q1;
            y[128 * h + l + 32] = d * sc[is + 2] * q2;
            y[128 * h + l + 64] = d * sc[is + 4] * q3;
            y[128 * h + l + 96] = d * sc[is + 6] * q4;
          }
        }
      }
      return;
    }
    case DType::kMlxAffine4:
    case DType::kMlxAffine8:
      break;  // handled above
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
