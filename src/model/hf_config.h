// Hugging Face config.json → ModelConfig, for the architectures the
// Transformer computes: LlamaForCausalLM (Llama 1/2/3), MistralForCausalLM,
// Qwen2ForCausalLM and Qwen3ForCausalLM. Internal to model/.
//
// RoPE settings are read from transformers 5's "rope_parameters" or the
// classic top-level "rope_theta" / "rope_scaling"; rope types "default",
// "linear" and "llama3" are supported. Any other architecture, and any key
// whose value changes the math in a way the Transformer does not compute
// (another rope type, partial rotary, attention_bias on Llama, mlp_bias, an
// activation other than silu, sliding-window layers, a non-MLX
// quantization, ...), is InvalidArgument naming the key.
#ifndef RADIXLM_MODEL_HF_CONFIG_H_
#define RADIXLM_MODEL_HF_CONFIG_H_

#include <cstddef>
#include <map>
#include <string>

#include "base/status.h"
#include "model/config.h"

namespace radixlm {

// MLX affine quantization of one matrix: bits 4 or 8; bits == 0 means the
// matrix is stored unquantized.
struct MlxQuantSpec {
  int bits = 0;
  size_t group_size = 0;
};

// config.json's "quantization" (MLX): the default spec and per-module
// overrides ("model.layers.0.mlp.down_proj" → spec, bits 0 for `false`).
struct HfQuantization {
  bool enabled = false;
  MlxQuantSpec defaults;
  std::map<std::string, MlxQuantSpec> overrides;

  // The spec of the module `prefix` (a tensor name without ".weight").
  MlxQuantSpec For(const std::string& prefix) const {
    auto it = overrides.find(prefix);
    return it == overrides.end() ? defaults : it->second;
  }
};

// What config.json says beyond ModelConfig.
struct HfModelInfo {
  bool tie_word_embeddings = false;
  HfQuantization quantization;
  // Not empty when the context was capped (e.g. to a sliding window).
  std::string note;
};

// Parses the text of a config.json into *config and *info.
Status ParseHfConfig(const std::string& json_text, ModelConfig* config, HfModelInfo* info);

}  // namespace radixlm

#endif  // RADIXLM_MODEL_HF_CONFIG_H_
