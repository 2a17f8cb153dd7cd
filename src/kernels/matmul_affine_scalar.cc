// Reference AffineMatMul / AffineDequantizeRow and the MLX affine quantizer.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "base/check.h"
#include "base/half.h"
#include "kernels/matmul_affine.h"

namespace radixlm {

namespace {

float LoadScale(const void* p, DType type, size_t i) {
  switch (type) {
    case DType::kF32: return static_cast<const float*>(p)[i];
    case DType::kF16: return F16ToF32(static_cast<const uint16_t*>(p)[i]);
    case DType::kBF16: return BF16ToF32(static_cast<const uint16_t*>(p)[i]);
    default: break;
  }
  RLM_CHECK_MSG(false, "affine: scale type must be f32, f16 or bf16");
  return 0.0f;
}

// Rounds f to `type` and stores it at p[i]; returns the rounded value.
float StoreScale(void* p, DType type, size_t i, float f) {
  switch (type) {
    case DType::kF32:
      static_cast<float*>(p)[i] = f;
      return f;
    case DType::kF16: {
      const uint16_t h = F32ToF16(f);
      static_cast<uint16_t*>(p)[i] = h;
      return F16ToF32(h);
    }
    case DType::kBF16: {
      const uint16_t h = F32ToBF16(f);
      static_cast<uint16_t*>(p)[i] = h;
      return BF16ToF32(h);
    }
    default: break;
  }
  RLM_CHECK_MSG(false, "affine: scale type must be f32, f16 or bf16");
  return 0.0f;
}

int AffineBits(DType t) { return t == DType::kMlxAffine4 ? 4 : 8; }

}  // namespace

void QuantizeAffineRow(uint32_t* words, void* scales, void* biases, DType scale_type,
                       const float* x, size_t n, size_t group_size, int bits) {
  RLM_CHECK(bits == 4 || bits == 8);
  RLM_CHECK(group_size > 0 && group_size % 32 == 0 && n % group_size == 0);
  const uint32_t max_q = (1u << bits) - 1;
  const size_t per_word = 32 / bits;
  std::memset(words, 0, n / per_word * sizeof(uint32_t));
  for (size_t g = 0; g < n / group_size; ++g) {
    const float* xg = x + g * group_size;
    const float lo = *std::min_element(xg, xg + group_size);
    const float hi = *std::max_element(xg, xg + group_size);
    const float scale = StoreScale(scales, scale_type, g, (hi - lo) / static_cast<float>(max_q));
    const float bias = StoreScale(biases, scale_type, g, lo);
    for (size_t j = 0; j < group_size; ++j) {
      const size_t c = g * group_size + j;
      float q = scale != 0.0f ? std::nearbyint((xg[j] - bias) / scale) : 0.0f;
      q = std::clamp(q, 0.0f, static_cast<float>(max_q));
      words[c / per_word] |= static_cast<uint32_t>(q) << (bits * (c % per_word));
    }
  }
}

namespace scalar {

void AffineDequantizeRow(float* out, const TensorView& w, size_t row) {
  RLM_CHECK(IsMlxAffine(w.type) && row < w.rows);
  RLM_CHECK(w.group_size > 0 && w.cols % w.group_size == 0);
  const int bits = AffineBits(w.type);
  const size_t per_word = 32 / bits;
  const uint32_t mask = (1u << bits) - 1;
  const uint32_t* words = static_cast<const uint32_t*>(w.row(row));
  const size_t n_groups = w.cols / w.group_size;
  for (size_t c = 0; c < w.cols; ++c) {
    const size_t g = row * n_groups + c / w.group_size;
    const float q = static_cast<float>((words[c / per_word] >> (bits * (c % per_word))) & mask);
    const float scaled = LoadScale(w.scales, w.scale_type, g) * q;
    out[c] = scaled + LoadScale(w.biases, w.scale_type, g);
  }
}

void AffineMatMul(float* out, size_t out_stride, const TensorView& w, const float* x,
                  size_t n_batch) {
  RLM_CHECK(out_stride >= w.rows);
  std::vector<float> row(w.cols);
  for (size_t r = 0; r < w.rows; ++r) {
    scalar::AffineDequantizeRow(row.data(), w, r);
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
