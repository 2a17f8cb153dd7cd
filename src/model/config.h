// ModelConfig: the hyper-parameters of a Llama-family transformer.
#ifndef RADIXLM_MODEL_CONFIG_H_
#define RADIXLM_MODEL_CONFIG_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "kernels/ops.h"

namespace radixlm {

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
  bool has_qkv_bias = false;
  bool tied_output = false;  // output matrix is the token embedding

  int32_t q_dim() const { return n_heads * head_dim; }
  int32_t kv_dim() const { return n_kv_heads * head_dim; }

  // Checks internal consistency (positive sizes, divisibility).
  Status Validate() const;
};

}  // namespace radixlm

#endif  // RADIXLM_MODEL_CONFIG_H_
