// From a parsed ApiRequest to the Scheduler's GenerationRequests: prompts
// are tokenized (completions: BOS per the tokenizer; chat: through
// ChatPrompt), checked against the serving limits, and each of the n
// choices of each prompt becomes one GenerationRequest with seed + choice.
#ifndef RADIXLM_SERVER_API_PREPARE_H_
#define RADIXLM_SERVER_API_PREPARE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/scheduler.h"
#include "server/api_error.h"
#include "server/api_request.h"
#include "server/chat_prompt.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {

struct ServingLimits {
  // Tokens of prompt + completion per request (the smaller of -c and the
  // model's context). >= 2.
  size_t context = 0;
  // Most prompt tokens; 0: context - 1.
  size_t max_prompt_tokens = 0;
  // Largest max_tokens a request may ask for (and the default when it asks
  // for none, if smaller than what the context leaves); 0: no limit but the
  // context.
  int32_t max_tokens_limit = 0;
};

struct PreparedPrompt {
  std::vector<int32_t> tokens;
  std::string text;  // the prompt as text (echo)
};

// Tokenizes the request's prompts (chat: renders the messages first; chat
// may be null for completions). 400 when a prompt is empty, too long for
// the limits, holds token ids outside the vocabulary, or max_tokens is
// beyond the limit.
bool PreparePrompts(const ApiRequest& request, const Tokenizer& tokenizer, const ChatPrompt* chat,
                    const ServingLimits& limits, std::vector<PreparedPrompt>* out,
                    ApiError* error);

// The GenerationRequest for choice `choice` of `prompt`: sampling seed is
// base_seed + choice; max_tokens is the request's, capped to what the
// context leaves (and by default the smaller of that and max_tokens_limit).
GenerationRequest BuildGenerationRequest(const ApiRequest& request, const PreparedPrompt& prompt,
                                         int32_t choice, uint64_t base_seed,
                                         const ServingLimits& limits);

// The cache namespace of a cache_salt: 0 (shared) for none or "", else a
// 64-bit hash that is never 0.
CacheNamespace CacheSaltNamespace(const std::optional<std::string>& salt);

}  // namespace radixlm

#endif  // RADIXLM_SERVER_API_PREPARE_H_
