// OpenAI response bodies: completion and chat.completion objects, their
// streaming chunks (SSE), usage and logprobs in OpenAI's shapes:
//   completions: logprobs {tokens, token_logprobs, top_logprobs: [{text:
//     logprob}], text_offset}
//   chat: logprobs {content: [{token, logprob, bytes, top_logprobs: [{token,
//     logprob, bytes}]}], refusal: null}
// Text that is not valid UTF-8 (a token may end mid-character) is written
// with U+FFFD in its place; "bytes" keeps the raw bytes.
#ifndef RADIXLM_SERVER_API_RESPONSE_H_
#define RADIXLM_SERVER_API_RESPONSE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_request.h"

namespace radixlm {

// One generated token's log-probabilities, as text.
struct TokenLogprob {
  std::string token;
  float logprob = 0;
  std::vector<std::pair<std::string, float>> top;  // best first
};

struct ChoiceResult {
  std::string text;
  std::string finish_reason;              // "stop" or "length"
  std::vector<TokenLogprob> logprobs;     // when requested
  size_t text_offset0 = 0;                // completions: where the generated text starts (echo)
};

struct UsageInfo {
  size_t prompt_tokens = 0;
  size_t completion_tokens = 0;
  size_t cached_tokens = 0;
};

// Fields every response and chunk carries.
struct ResponseMeta {
  ApiEndpoint endpoint = ApiEndpoint::kCompletions;
  std::string id;       // "cmpl-..." / "chatcmpl-..."
  int64_t created = 0;  // Unix seconds
  std::string model;
};

// A fresh response id with the endpoint's prefix.
std::string NewResponseId(ApiEndpoint endpoint);

nlohmann::json UsageJson(const UsageInfo& usage);

// logprobs of `tokens` (text_offset counts from offset0).
nlohmann::json CompletionLogprobsJson(const std::vector<TokenLogprob>& tokens, size_t offset0);
nlohmann::json ChatLogprobsJson(const std::vector<TokenLogprob>& tokens);

// The whole (non-streaming) response; with_logprobs adds each choice's.
nlohmann::json ResponseJson(const ResponseMeta& meta, const std::vector<ChoiceResult>& choices,
                            bool with_logprobs, const UsageInfo& usage);

// A streaming chunk for choice `index`: text (may be empty), the logprobs of
// the tokens it covers (with_logprobs), the finish reason (empty: null).
// Chat: first_delta adds role "assistant". include_usage adds "usage": null.
// text_offset0: completions' running text offset for logprobs.
nlohmann::json ChunkJson(const ResponseMeta& meta, size_t index, std::string_view text,
                         bool first_delta, bool with_logprobs,
                         const std::vector<TokenLogprob>& logprobs, size_t text_offset0,
                         std::string_view finish_reason, bool include_usage);

// The final usage chunk (choices: []).
nlohmann::json UsageChunkJson(const ResponseMeta& meta, const UsageInfo& usage);

// JSON text, invalid UTF-8 replaced by U+FFFD.
std::string DumpJson(const nlohmann::json& j);
// "data: <json>\n\n".
std::string SseData(const nlohmann::json& j);
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

// The length of the longest prefix of s that does not end inside a UTF-8
// sequence (what a stream may send now; the rest waits for more bytes).
size_t CompleteUtf8Prefix(std::string_view s);

}  // namespace radixlm

#endif  // RADIXLM_SERVER_API_RESPONSE_H_
