// ModelConfig: the hyper-parameters of a Llama-family transformer.
#ifndef RADIXLM_MODEL_CONFIG_H_
#define RADIXLM_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "kernels/ops.h"

namespace radixlm {

// RoPE frequency scaling, as Hugging Face's rope_scaling / rope_parameters
// "rope_type": none ("default"), "linear" (every frequency divided by
// rope_factor) or "llama3" (Llama 3.1's band-wise scaling; see RopeInvFreq).
enum class RopeScaling { kNone, kLinear, kLlama3 };

struct ModelConfig {
  std::string arch;          // "llama", "qwen2"
  int32_t dim = 0;           // hidden size
  int32_t hidden_dim = 0;    // FFN inner size
  int32_t n_layers = 0;
  int32_t n_heads = 0;
  int32_t n_kv_heads = 0;    // < n_heads: grouped-query attention
  int32_t head_dim = 0;
  int32_t vocab_size = 0;
  int32_t max_seq_len = 0;   // trained context length
  float norm_eps = 1e-5f;    // RMSNorm epsilon
  float rope_theta = 10000.0f;
  RopeStyle rope_style = RopeStyle::kInterleaved;
  RopeScaling rope_scaling = RopeScaling::kNone;
  float rope_factor = 1.0f;             // linear, llama3: > 0
  float rope_low_freq_factor = 1.0f;    // llama3
  float rope_high_freq_factor = 4.0f;   // llama3: > rope_low_freq_factor
  int32_t rope_original_context = 8192; // llama3: original_max_position_embeddings
  bool has_qkv_bias = false;
  bool has_qk_norm = false;  // per-head RMSNorm on q and k before RoPE (Qwen3)
  bool tied_output = false;  // output matrix is the token embedding

  int32_t q_dim() const { return n_heads * head_dim; }
  int32_t kv_dim() const { return n_kv_heads * head_dim; }

  // Checks internal consistency (positive sizes, divisibility).
  Status Validate() const;
};

// The RoPE inverse frequencies [head_dim / 2] of `c`, in double:
// inv_freq[i] = rope_theta^(-2i / head_dim), then scaled. Linear: divided
// by rope_factor. Llama 3 (transformers' _compute_llama3_parameters), with
// wavelen = 2π / inv_freq, L = rope_original_context:
//   wavelen < L / high_freq_factor: unchanged;
//   wavelen > L / low_freq_factor:  inv_freq / factor;
//   otherwise, with smooth = (L / wavelen - low) / (high - low):
//     (1 - smooth) * inv_freq / factor + smooth * inv_freq.
std::vector<double> RopeInvFreq(const ModelConfig& c);

}  // namespace radixlm

#endif  // RADIXLM_MODEL_CONFIG_H_
