// Weights: views of a model's tensors in their stored types. The memory
// belongs to the Model (mapped files and a few converted vectors).
#ifndef RADIXLM_MODEL_WEIGHTS_H_
#define RADIXLM_MODEL_WEIGHTS_H_

#include <vector>

#include "kernels/tensor_view.h"

namespace radixlm {

struct LayerWeights {
  const float* attn_norm = nullptr;  // [dim]
  TensorView wq;                     // [q_dim][dim]
  TensorView wk;                     // [kv_dim][dim]
  TensorView wv;                     // [kv_dim][dim]
  TensorView wo;                     // [dim][q_dim]
  const float* bq = nullptr;         // [q_dim] or nullptr
  const float* bk = nullptr;         // [kv_dim] or nullptr
  const float* bv = nullptr;         // [kv_dim] or nullptr
  const float* q_norm = nullptr;     // [head_dim] or nullptr (Qwen3), per q head
  const float* k_norm = nullptr;     // [head_dim] or nullptr (Qwen3), per k head
  const float* ffn_norm = nullptr;   // [dim]
  TensorView w1;                     // gate [hidden][dim]
  TensorView w2;                     // down [dim][hidden]
  TensorView w3;                     // up   [hidden][dim]
};

struct Weights {
  TensorView token_embedding;        // [vocab][dim]
  std::vector<LayerWeights> layers;  // [n_layers]
  const float* final_norm = nullptr; // [dim]
  TensorView output;                 // [vocab][dim] (may alias token_embedding)
};

}  // namespace radixlm

#endif  // RADIXLM_MODEL_WEIGHTS_H_
