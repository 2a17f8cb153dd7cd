// ApiRequest: the fields of an OpenAI /v1/completions or /v1/chat/completions
// request body, parsed and validated (types and ranges), before
// tokenization.
//
// Accepted fields (anything else is ignored, as llama-server does; JSON null
// means "not given"):
//   completions: prompt (string | [token ids] | [strings] | [[token ids]]),
//     echo, logprobs (int 0..20)
//   chat: messages ([{role, content: string | [{type:"text", text}] | null}]),
//     logprobs (bool), top_logprobs (int 0..20, needs logprobs: true)
//   both: model, max_tokens, max_completion_tokens, temperature (0..2),
//     top_p (0..1], top_k (>= 0; llama.cpp extension), min_p [0..1],
//     presence_penalty and frequency_penalty [-2..2], repetition_penalty
//     (> 0; alias repeat_penalty), seed (integer), n (1..max_n), stop
//     (string | [strings]), stream, stream_options.include_usage,
//     ignore_eos, cache_salt (string), user (ignored).
// Sampling defaults are llama-server's (SamplingParams): temperature 0.8,
// top_k 40, top_p 0.95, min_p 0.05.
#ifndef RADIXLM_SERVER_API_REQUEST_H_
#define RADIXLM_SERVER_API_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sampling/sampler.h"
#include "server/api_error.h"

namespace radixlm {

enum class ApiEndpoint { kCompletions, kChatCompletions };

// One chat message; content is the concatenation of its text parts.
struct ApiChatMessage {
  std::string role;
  std::string content;
};

// One completions prompt: text, or token ids.
struct PromptInput {
  bool is_tokens = false;
  std::string text;
  std::vector<int32_t> tokens;
};

struct ApiRequest {
  ApiEndpoint endpoint = ApiEndpoint::kCompletions;
  std::string model;
  std::vector<PromptInput> prompts;       // completions: >= 1
  std::vector<ApiChatMessage> messages;   // chat: >= 1
  int32_t max_tokens = -1;                // -1: not given (until the context ends)
  SamplingParams sampling;
  bool seed_given = false;
  std::vector<std::string> stop;
  int32_t n = 1;
  bool stream = false;
  bool include_usage = false;             // stream_options.include_usage
  int32_t logprobs = -1;                  // -1: off; else alternatives per token
  bool echo = false;                      // completions: prepend the prompt
  bool ignore_eos = false;
  std::optional<std::string> cache_salt;
};

struct ApiLimits {
  int32_t max_n = 16;        // most choices per request (n)
  size_t max_stops = 16;     // most stop strings
  size_t max_prompts = 64;   // most prompts in one completions request
};

// Parses and validates `body` for `endpoint`. On failure returns false with
// *error set (400, naming the field in error->param).
bool ParseApiRequest(std::string_view body, ApiEndpoint endpoint, const ApiLimits& limits,
                     ApiRequest* out, ApiError* error);

}  // namespace radixlm

#endif  // RADIXLM_SERVER_API_REQUEST_H_
