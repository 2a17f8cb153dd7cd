// Scalar on purpose: these run once per weight when a model file is written,
// and must round exactly like GGML's quantize_row_*_ref.
#include "kernels/quantize.h"

#include <cmath>
#include <cstring>

#include "base/check.h"
#include "base/half.h"

namespace radixlm {

void QuantizeRowQ8_0(BlockQ8_0* out, const float* x, size_t n) {
  RLM_CHECK(n % 32 == 0);
  for (size_t b = 0; b < n / 32; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = F32ToF16(d);
    for (int j = 0; j < 32; ++j) {
      out[b].qs[j] = static_cast<int8_t>(std::roundf(xb[j] * id));
    }
  }
}

void QuantizeRowQ4_0(BlockQ4_0* out, const float* x, size_t n) {
  RLM_CHECK(n % 32 == 0);
  for (size_t b = 0; b < n / 32; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < 32; ++j) {
      if (amax < std::fabs(xb[j])) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = F32ToF16(d);
    for (int j = 0; j < 16; ++j) {
      const int lo = static_cast<int8_t>(xb[j] * id + 8.5f);
      const int hi = static_cast<int8_t>(xb[j + 16] * id + 8.5f);
      const uint8_t q0 = static_cast<uint8_t>(lo < 15 ? lo : 15);
      const uint8_t q1 = static_cast<uint8_t>(hi < 15 ? hi : 15);
      out[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void ConvertRowF16(uint16_t* out, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = F32ToF16(x[i]);
}

void ConvertRowBF16(uint16_t* out, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = F32ToBF16(x[i]);
}

void ConvertRow(void* out, DType type, const float* x, size_t n) {
  switch (type) {
    case DType::kF32:
      std::memcpy(out, x, n * sizeof(float));
      return;
    case DType::kF16:
      ConvertRowF16(static_cast<uint16_t*>(out), x, n);
      return;
    case DType::kBF16:
      ConvertRowBF16(static_cast<uint16_t*>(out), x, n);
      return;
    case DType::kQ8_0:
      QuantizeRowQ8_0(static_cast<BlockQ8_0*>(out), x, n);
      return;
    case DType::kQ4_0:
      QuantizeRowQ4_0(static_cast<BlockQ4_0*>(out), x, n);
      return;
  }
  RLM_CHECK_MSG(false, "ConvertRow: unknown dtype");
}

}  // namespace radixlm
