// Reference versions of the element-wise kernels: plain loops, sums and
// transcendental functions in double, rounded to f32 at the end.
#include <cmath>

#include "kernels/ops.h"

namespace radixlm {
namespace scalar {

void RmsNorm(float* out, const float* x, const float* weight, size_t n, float eps) {
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const double scale = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(x[i] * scale * weight[i]);
}

void Softmax(float* x, size_t n) {
  if (n == 0) return;
  float max = x[0];
  for (size_t i = 1; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - max);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(std::exp(static_cast<double>(x[i]) - max) / sum);
  }
}

void SwiGlu(float* out, const float* gate, const float* up, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const double g = gate[i];
    out[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
  }
}

float Dot(const float* a, const float* b, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

void Axpy(float* out, float alpha, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] += alpha * x[i];
}

void Scale(float* x, float alpha, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] *= alpha;
}

void Add(float* out, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] += x[i];
}

void Rope(float* x, size_t n_heads, size_t head_dim, const float* cos_t,
          const float* sin_t, RopeStyle style) {
  const size_t half = head_dim / 2;
  for (size_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (size_t i = 0; i < half; ++i) {
      // Indices of the rotated pair.
      const size_t a = style == RopeStyle::kInterleaved ? 2 * i : i;
      const size_t b = style == RopeStyle::kInterleaved ? 2 * i + 1 : i + half;
      const float x0 = v[a];
      const float x1 = v[b];
      v[a] = x0 * cos_t[i] - x1 * sin_t[i];
      v[b] = x0 * sin_t[i] + x1 * cos_t[i];
    }
  }
}

}  // namespace scalar
}  // namespace radixlm
