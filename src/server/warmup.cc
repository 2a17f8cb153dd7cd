#include "server/warmup.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "server/api_prepare.h"
#include "server/api_request.h"

namespace radixlm {

namespace {

using json = nlohmann::json;

Status ParseEntry(const json& j, const Tokenizer& tokenizer, const ChatPrompt& chat,
                  WarmupEntry* out) {
  json body;
  bool add_generation_prompt = false;
  if (j.is_string()) {
    body = {{"prompt", j}};
  } else if (j.is_array()) {
    body = {{"messages", j}};
  } else if (j.is_object()) {
    body = j;
    if (auto pin = j.find("pin"); pin != j.end()) {
      if (!pin->is_boolean()) return Status::InvalidArgument("'pin' must be a boolean");
      out->pin = pin->get<bool>();
    }
    if (auto agp = j.find("add_generation_prompt"); agp != j.end()) {
      if (!agp->is_boolean()) {
        return Status::InvalidArgument("'add_generation_prompt' must be a boolean");
      }
      add_generation_prompt = agp->get<bool>();
    }
  } else {
    return Status::InvalidArgument("an entry must be a string, a message array or an object");
  }
  const bool is_chat = body.contains("messages");
  ApiRequest request;
  ApiError error;
  if (!ParseApiRequest(body.dump(), is_chat ? ApiEndpoint::kChatCompletions
                                            : ApiEndpoint::kCompletions,
                       ApiLimits{}, &request, &error)) {
    return Status::InvalidArgument(error.message);
  }
  out->ns = CacheSaltNamespace(request.cache_salt);
  if (is_chat) {
    std::string text;
    RLM_RETURN_IF_ERROR(chat.Render(request.messages, add_generation_prompt, &text));
    RLM_RETURN_IF_ERROR(chat.Tokenize(text, &out->tokens));
  } else {
    if (request.prompts.size() != 1) return Status::InvalidArgument("one prompt per entry");
    const PromptInput& p = request.prompts[0];
    if (p.is_tokens) {
      out->tokens = p.tokens;
    } else {
      RLM_RETURN_IF_ERROR(tokenizer.Encode(p.text, true, true, &out->tokens));
    }
  }
  if (out->tokens.empty()) return Status::InvalidArgument("the entry has no tokens");
  return Status::Ok();
}

}  // namespace

Status ParseWarmup(const std::string& text, const Tokenizer& tokenizer, const ChatPrompt& chat,
                   std::vector<WarmupEntry>* out) {
  out->clear();
  std::vector<json> values;
  json whole = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!whole.is_discarded() && whole.is_array()) {
    for (const json& v : whole) values.push_back(v);
  } else if (!whole.is_discarded()) {
    values.push_back(whole);
  } else {
    std::istringstream in(text);
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      const size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      json v = json::parse(line, nullptr, false);
      if (v.is_discarded()) {
        return Status::InvalidArgument("warm-up line " + std::to_string(line_no) +
                                       " is not valid JSON");
      }
      values.push_back(std::move(v));
    }
  }
  for (size_t i = 0; i < values.size(); ++i) {
    WarmupEntry e;
    Status s = ParseEntry(values[i], tokenizer, chat, &e);
    if (!s.ok()) {
      return Status::InvalidArgument("warm-up entry " + std::to_string(i) + ": " + s.message());
    }
    out->push_back(std::move(e));
  }
  return Status::Ok();
}

Status RunWarmup(Engine* engine, const std::vector<WarmupEntry>& entries, WarmupResult* result) {
  *result = WarmupResult{};
  for (const WarmupEntry& e : entries) {
    uint64_t handle = 0;
    ForwardInfo info;
    RLM_RETURN_IF_ERROR(
        engine->ForwardWithCache(0, e.tokens, nullptr, 0, &handle, e.ns, &info));
    result->entries++;
    result->tokens += e.tokens.size();
    result->computed_tokens += info.computed_tokens;
    if (e.pin) {
      result->pinned_tokens += e.tokens.size();
      result->pinned_handles.push_back(handle);
    } else {
      engine->FreeCache(handle);
    }
  }
  return Status::Ok();
}

}  // namespace radixlm
