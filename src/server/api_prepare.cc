#include "server/api_prepare.h"

#include <algorithm>

namespace radixlm {

namespace {

// FNV-1a 64 followed by a murmur-style finalizer.
uint64_t Hash64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

size_t MaxPromptTokens(const ServingLimits& limits) {
  const size_t by_context = limits.context - 1;
  return limits.max_prompt_tokens == 0 ? by_context
                                       : std::min(limits.max_prompt_tokens, by_context);
}

}  // namespace

bool PreparePrompts(const ApiRequest& request, const Tokenizer& tokenizer, const ChatPrompt* chat,
                    const ServingLimits& limits, std::vector<PreparedPrompt>* out,
                    ApiError* error) {
  out->clear();
  const std::string max_tokens_param =
      request.endpoint == ApiEndpoint::kChatCompletions ? "max_completion_tokens" : "max_tokens";
  if (limits.max_tokens_limit > 0 && request.max_tokens > limits.max_tokens_limit) {
    *error = InvalidRequest("'max_tokens' is " + std::to_string(request.max_tokens) +
                                "; this server allows at most " +
                                std::to_string(limits.max_tokens_limit),
                            "max_tokens");
    return false;
  }
  if (request.endpoint == ApiEndpoint::kChatCompletions) {
    if (chat == nullptr) {
      *error = InvalidRequest("chat is not available");
      return false;
    }
    PreparedPrompt p;
    Status s = chat->Render(request.messages, /*add_generation_prompt=*/true, &p.text);
    if (s.ok()) s = chat->Tokenize(p.text, &p.tokens);
    if (!s.ok()) {
      *error = InvalidRequest("messages: " + s.message(), "messages");
      return false;
    }
    out->push_back(std::move(p));
  } else {
    for (const PromptInput& in : request.prompts) {
      PreparedPrompt p;
      if (in.is_tokens) {
        for (int32_t t : in.tokens) {
          if (t >= tokenizer.vocab_size()) {
            *error = InvalidRequest("prompt token " + std::to_string(t) +
                                        " is outside the vocabulary (" +
                                        std::to_string(tokenizer.vocab_size()) + " tokens)",
                                    "prompt");
            return false;
          }
        }
        p.tokens = in.tokens;
        p.text = tokenizer.Decode(in.tokens);
      } else {
        p.text = in.text;
        Status s = tokenizer.Encode(in.text, /*add_special=*/true, /*parse_special=*/true,
                                    &p.tokens);
        if (!s.ok()) {
          *error = InvalidRequest("prompt: " + s.message(), "prompt");
          return false;
        }
      }
      out->push_back(std::move(p));
    }
  }
  const size_t max_prompt = MaxPromptTokens(limits);
  for (const PreparedPrompt& p : *out) {
    const std::string param =
        request.endpoint == ApiEndpoint::kChatCompletions ? "messages" : "prompt";
    if (p.tokens.empty()) {
      *error = InvalidRequest("the prompt is empty (no tokens)", param);
      return false;
    }
    if (p.tokens.size() > max_prompt) {
      *error = InvalidRequest("the prompt has " + std::to_string(p.tokens.size()) +
                                  " tokens; this server accepts at most " +
                                  std::to_string(max_prompt) + " (context " +
                                  std::to_string(limits.context) + ")",
                              param);
      error->code = "context_length_exceeded";
      return false;
    }
  }
  return true;
}

GenerationRequest BuildGenerationRequest(const ApiRequest& request, const PreparedPrompt& prompt,
                                         int32_t choice, uint64_t base_seed,
                                         const ServingLimits& limits) {
  GenerationRequest g;
  g.prompt = prompt.tokens;
  g.sampling = request.sampling;
  g.sampling.seed = base_seed + static_cast<uint64_t>(choice);
  const int64_t room = static_cast<int64_t>(limits.context) - static_cast<int64_t>(prompt.tokens.size());
  int64_t max_tokens = request.max_tokens;
  if (max_tokens < 0) {
    max_tokens = limits.max_tokens_limit > 0 ? limits.max_tokens_limit : room;
  }
  g.max_tokens = static_cast<int32_t>(std::max<int64_t>(0, std::min(max_tokens, room)));
  g.stop = request.stop;
  g.ignore_eos = request.ignore_eos;
  g.top_logprobs = request.logprobs;
  g.ns = CacheSaltNamespace(request.cache_salt);
  return g;
}

CacheNamespace CacheSaltNamespace(const std::optional<std::string>& salt) {
  if (!salt.has_value() || salt->empty()) return 0;
  // The scheduler keeps the top bit for its private namespaces.
  const uint64_t h = Hash64(*salt) & ~(uint64_t{1} << 63);
  return h == 0 ? 1 : h;
}

}  // namespace radixlm
