// Element-wise and small vector kernels of the transformer. SIMD through
// Highway runtime dispatch; each has a scalar reference in namespace scalar.
#ifndef RADIXLM_KERNELS_OPS_H_
#define RADIXLM_KERNELS_OPS_H_

#include <cstddef>

namespace radixlm {

// out[i] = x[i] * weight[i] / sqrt(mean(x^2) + eps), i < n. out may alias x.
void RmsNorm(float* out, const float* x, const float* weight, size_t n, float eps);

// x[i] = exp(x[i] - max) / sum, i < n (in place).
void Softmax(float* x, size_t n);

// out[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i].
// out may alias gate or up.
void SwiGlu(float* out, const float* gate, const float* up, size_t n);

// Returns sum_i a[i] * b[i].
float Dot(const float* a, const float* b, size_t n);

// out[i] += alpha * x[i].
void Axpy(float* out, float alpha, const float* x, size_t n);

// x[i] *= alpha.
void Scale(float* x, float alpha, size_t n);

// out[i] += x[i].
void Add(float* out, const float* x, size_t n);

enum class RopeStyle {
  kInterleaved,  // rotate pairs (2i, 2i+1): llama2.c, GGUF "llama"
  kNeox,         // rotate pairs (i, i + head_dim/2): HF, GGUF "qwen2"
};

// Rotates each of n_heads heads (head_dim floats each, contiguous) of x by
// position-dependent angles: pair i uses cos_t[i], sin_t[i], i < head_dim/2.
void Rope(float* x, size_t n_heads, size_t head_dim, const float* cos_t,
          const float* sin_t, RopeStyle style);

namespace scalar {
void RmsNorm(float* out, const float* x, const float* weight, size_t n, float eps);
void Softmax(float* x, size_t n);
void SwiGlu(float* out, const float* gate, const float* up, size_t n);
float Dot(const float* a, const float* b, size_t n);
void Axpy(float* out, float alpha, const float* x, size_t n);
void Scale(float* x, float alpha, size_t n);
void Add(float* out, const float* x, size_t n);
void Rope(float* x, size_t n_heads, size_t head_dim, const float* cos_t,
          const float* sin_t, RopeStyle style);
}  // namespace scalar

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_OPS_H_
