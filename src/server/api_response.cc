#include "server/api_response.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

namespace radixlm {

namespace {

using json = nlohmann::json;

json BytesJson(std::string_view s) {
  json bytes = json::array();
  for (unsigned char c : s) bytes.push_back(static_cast<int>(c));
  return bytes;
}

// A logprob as JSON: -inf (a token of probability 0) becomes -9999.0 as
// OpenAI writes it (JSON has no infinities).
json LogprobJson(float v) { return std::isfinite(v) ? json(v) : json(-9999.0); }

const char* ObjectName(ApiEndpoint e, bool chunk) {
  if (e == ApiEndpoint::kChatCompletions) return chunk ? "chat.completion.chunk" : "chat.completion";
  return "text_completion";
}

json MetaJson(const ResponseMeta& meta, bool chunk) {
  json j = {{"id", meta.id},
            {"object", ObjectName(meta.endpoint, chunk)},
            {"created", meta.created},
            {"model", meta.model}};
  if (meta.endpoint == ApiEndpoint::kChatCompletions) j["system_fingerprint"] = "radixlm";
  return j;
}

}  // namespace

std::string NewResponseId(ApiEndpoint endpoint) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = std::random_device{}() ^
                               static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  const uint64_t n = counter.fetch_add(1);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx%08llx",
                static_cast<unsigned long long>(salt), static_cast<unsigned long long>(n));
  return std::string(endpoint == ApiEndpoint::kChatCompletions ? "chatcmpl-" : "cmpl-") + buf;
}

json UsageJson(const UsageInfo& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}}};
}

json CompletionLogprobsJson(const std::vector<TokenLogprob>& tokens, size_t offset0) {
  json out = {{"tokens", json::array()},
              {"token_logprobs", json::array()},
              {"top_logprobs", json::array()},
              {"text_offset", json::array()}};
  size_t offset = offset0;
  for (const TokenLogprob& t : tokens) {
    out["tokens"].push_back(t.token);
    out["token_logprobs"].push_back(LogprobJson(t.logprob));
    json top = json::object();
    for (const auto& [text, lp] : t.top) {
      if (!top.contains(text)) top[text] = LogprobJson(lp);
    }
    out["top_logprobs"].push_back(std::move(top));
    out["text_offset"].push_back(offset);
    offset += t.token.size();
  }
  return out;
}

json ChatLogprobsJson(const std::vector<TokenLogprob>& tokens) {
  json content = json::array();
  for (const TokenLogprob& t : tokens) {
    json top = json::array();
    for (const auto& [text, lp] : t.top) {
      top.push_back({{"token", text}, {"logprob", LogprobJson(lp)}, {"bytes", BytesJson(text)}});
    }
    content.push_back({{"token", t.token},
                       {"logprob", LogprobJson(t.logprob)},
                       {"bytes", BytesJson(t.token)},
                       {"top_logprobs", std::move(top)}});
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

json ResponseJson(const ResponseMeta& meta, const std::vector<ChoiceResult>& choices,
                  bool with_logprobs, const UsageInfo& usage) {
  json j = MetaJson(meta, /*chunk=*/false);
  json arr = json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const ChoiceResult& c = choices[i];
    json choice = {{"index", i}, {"finish_reason", c.finish_reason}};
    if (meta.endpoint == ApiEndpoint::kChatCompletions) {
      choice["message"] = {{"role", "assistant"}, {"content", c.text}, {"refusal", nullptr}};
      choice["logprobs"] = with_logprobs ? ChatLogprobsJson(c.logprobs) : json(nullptr);
    } else {
      choice["text"] = c.text;
      choice["logprobs"] = with_logprobs ? CompletionLogprobsJson(c.logprobs, c.text_offset0) : json(nullptr);
    }
    arr.push_back(std::move(choice));
  }
  j["choices"] = std::move(arr);
  j["usage"] = UsageJson(usage);
  return j;
}

json ChunkJson(const ResponseMeta& meta, size_t index, std::string_view text, bool first_delta,
               bool with_logprobs, const std::vector<TokenLogprob>& logprobs, size_t text_offset0,
               std::string_view finish_reason, bool include_usage) {
  json j = MetaJson(meta, /*chunk=*/true);
  json choice = {{"index", index}};
  if (meta.endpoint == ApiEndpoint::kChatCompletions) {
    json delta = json::object();
    if (first_delta) delta["role"] = "assistant";
    if (first_delta || !text.empty()) delta["content"] = std::string(text);
    choice["delta"] = std::move(delta);
    choice["logprobs"] =
        with_logprobs && !logprobs.empty() ? ChatLogprobsJson(logprobs) : json(nullptr);
  } else {
    choice["text"] = std::string(text);
    choice["logprobs"] = with_logprobs && !logprobs.empty()
                             ? CompletionLogprobsJson(logprobs, text_offset0)
                             : json(nullptr);
  }
  choice["finish_reason"] = finish_reason.empty() ? json(nullptr) : json(std::string(finish_reason));
  j["choices"] = json::array({std::move(choice)});
  if (include_usage) j["usage"] = nullptr;
  return j;
}

json UsageChunkJson(const ResponseMeta& meta, const UsageInfo& usage) {
  json j = MetaJson(meta, /*chunk=*/true);
  j["choices"] = json::array();
  j["usage"] = UsageJson(usage);
  return j;
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string SseData(const json& j) { return "data: " + DumpJson(j) + "\n\n"; }

size_t CompleteUtf8Prefix(std::string_view s) {
  // Look back at most 3 bytes for the start of a multi-byte sequence.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking
    size_t need = 1;
    if ((c & 0xE0) == 0xC0) {
      need = 2;
    } else if ((c & 0xF0) == 0xE0) {
      need = 3;
    } else if ((c & 0xF8) == 0xF0) {
      need = 4;
    }
    return back < need ? n - back : n;
  }
  return n;
}

}  // namespace radixlm
