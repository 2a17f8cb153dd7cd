// llama2.c checkpoint ("legacy" format, as written by karpathy/llama2.c
// export.py version 0): 7 int32 header fields, then float32 tensors.
// See models/stories260K/README.md for the layout.
//
// Thread safety: immutable after Load.
#ifndef RADIXLM_FORMAT_LLAMA2C_H_
#define RADIXLM_FORMAT_LLAMA2C_H_

#include <cstdint>
#include <memory>
#include <string>

#include "base/mapped_file.h"
#include "base/status.h"

namespace radixlm {

struct Llama2cConfig {
  int32_t dim = 0;
  int32_t hidden_dim = 0;
  int32_t n_layers = 0;
  int32_t n_heads = 0;
  int32_t n_kv_heads = 0;
  int32_t vocab_size = 0;   // always positive here
  int32_t seq_len = 0;
  bool shared_classifier = true;  // header vocab_size > 0
};

// Pointers into the mapped file (float32, row-major [out][in]).
struct Llama2cCheckpoint {
  Llama2cConfig config;
  std::unique_ptr<MappedFile> file;
  const float* token_embedding = nullptr;  // [vocab][dim]
  const float* rms_att = nullptr;          // [n_layers][dim]
  const float* wq = nullptr;               // [n_layers][n_heads*head_dim][dim]
  const float* wk = nullptr;               // [n_layers][n_kv_heads*head_dim][dim]
  const float* wv = nullptr;               // [n_layers][n_kv_heads*head_dim][dim]
  const float* wo = nullptr;               // [n_layers][dim][n_heads*head_dim]
  const float* rms_ffn = nullptr;          // [n_layers][dim]
  const float* w1 = nullptr;               // [n_layers][hidden][dim]
  const float* w2 = nullptr;               // [n_layers][dim][hidden]
  const float* w3 = nullptr;               // [n_layers][hidden][dim]
  const float* rms_final = nullptr;        // [dim]
  const float* wcls = nullptr;             // [vocab][dim] (== token_embedding if shared)
};

// Loads and validates (header sanity, dim % n_heads, n_heads % n_kv_heads,
// exact expected file size) a checkpoint.
Status LoadLlama2cCheckpoint(const std::string& path, Llama2cCheckpoint* out);
// Same, over an existing mapping (takes ownership); used by fuzzers.
Status ParseLlama2cCheckpoint(std::unique_ptr<MappedFile> file, Llama2cCheckpoint* out);

}  // namespace radixlm

#endif  // RADIXLM_FORMAT_LLAMA2C_H_
