// Transformer: the Llama-family forward pass over a batch of sequences,
// each extending its own paged KV.
//
// Thread safety: a Transformer is not thread-safe (it owns scratch buffers);
// use one per engine thread. The Model may be shared.
#ifndef RADIXLM_MODEL_TRANSFORMER_H_
#define RADIXLM_MODEL_TRANSFORMER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "model/kv_layout.h"
#include "model/model.h"

namespace radixlm {

// One sequence's share of a batched forward.
struct SeqChunk {
  const int32_t* tokens = nullptr;  // [n_tokens], each in [0, vocab)
  size_t n_tokens = 0;
  size_t pos = 0;                   // position of tokens[0]; KV of [0, pos) is in kv
  PageTable kv;                     // must cover positions [0, pos + n_tokens)
  float* logits = nullptr;          // [n_logits][vocab], written
  size_t n_logits = 0;              // logits of the last n_logits tokens (<= n_tokens)
};

class Transformer {
 public:
  // REQUIRES: model and pool outlive this object. pool may be nullptr.
  Transformer(const Model& model, ThreadPool* pool);
  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;

  // The page layout this model's KV uses.
  KvLayout kv_layout(size_t page_size) const;

  // Runs every chunk's tokens through the model (all chunks' tokens share
  // the matrix products), writes their K/V into their pages and the
  // requested logits. Returns InvalidArgument (and computes nothing) for an
  // out-of-range token or a page table too short.
  Status Forward(std::span<const SeqChunk> chunks, size_t page_size);

 private:
  void EnsureScratch(size_t n_tokens, size_t max_ctx);
  const float* RopeAngles(size_t pos, bool cos);
  void Attention(std::span<const SeqChunk> chunks, const KvLayout& layout, size_t layer,
                 const std::vector<size_t>& row_of_chunk);

  const Model& model_;
  ThreadPool* pool_;
  std::vector<double> inv_freq_;      // [head_dim/2]
  std::vector<float> rope_cos_;       // [positions][head_dim/2]
  std::vector<float> rope_sin_;
  size_t rope_positions_ = 0;
  // Scratch, [n_tokens][...].
  std::vector<float> x_, xb_, q_, k_, v_, att_, h1_, h3_;
  std::vector<float> attn_scratch_;   // [threads][AttentionScratchFloats]
  std::vector<const float*> kv_ptrs_; // [threads][K, V][max_ctx]
  std::vector<float> logits_;         // [rows][vocab] when several chunks
};

}  // namespace radixlm

#endif  // RADIXLM_MODEL_TRANSFORMER_H_
