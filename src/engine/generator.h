// Generate: one prompt → streamed completion, on one sequence with its own
// KV (no cache sharing; the engine's cached path comes with the radix cache).
//
// Thread safety: Generate may run concurrently on different Transformers
// over the same Model.
#ifndef RADIXLM_ENGINE_GENERATOR_H_
#define RADIXLM_ENGINE_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/transformer.h"
#include "sampling/sampler.h"

namespace radixlm {

struct GenerateOptions {
  SamplingParams sampling;
  // Tokens to generate after the prompt; < 0: until end of context.
  int32_t max_new_tokens = -1;
  // Context size in tokens (prompt + generation); 0: the model's trained
  // context length.
  int32_t ctx_size = 0;
  // Stop strings: generation ends before the first occurrence.
  std::vector<std::string> stop;
  // Prepend BOS (when the vocab says so) to the prompt.
  bool add_bos = true;
  // Parse special-token texts such as "<s>" in the prompt.
  bool parse_special = false;
  // Keep generating past end-of-generation tokens.
  bool ignore_eos = false;
  // Tokens per prefill forward (long prompts are processed in chunks).
  int32_t batch_size = 512;
  // KV page size in tokens.
  int32_t page_size = 16;
};

struct GenerateStats {
  size_t prompt_tokens = 0;
  size_t generated_tokens = 0;
  double prompt_seconds = 0;
  double generate_seconds = 0;
  // "stop" (EOS or stop string), "length" (max tokens or context full),
  // "cancelled" (the callback asked to stop).
  std::string finish_reason;
};

// Receives streamed text; returns false to stop generation.
using TextCallback = std::function<bool(std::string_view text)>;

// Tokenizes `prompt`, runs it, then samples until a stop condition, calling
// on_text with each piece of new text (stop strings never appear).
Status Generate(Transformer* transformer, const Model& model, std::string_view prompt,
                const GenerateOptions& options, const TextCallback& on_text,
                GenerateStats* stats);

// Same from prompt token ids (REQUIRES: non-empty).
Status GenerateFromTokens(Transformer* transformer, const Model& model,
                          const std::vector<int32_t>& prompt_tokens,
                          const GenerateOptions& options, const TextCallback& on_text,
                          GenerateStats* stats);

}  // namespace radixlm

#endif  // RADIXLM_ENGINE_GENERATOR_H_
