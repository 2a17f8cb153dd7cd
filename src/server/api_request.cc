#include "server/api_request.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace radixlm {

namespace {

using json = nlohmann::json;

// Field readers: each returns false with *error set when the field is
// present (not null) but has the wrong type or range; absent or null fields
// leave *out alone.
class FieldReader {
 public:
  FieldReader(const json& obj, ApiError* error) : obj_(obj), error_(error) {}

  const json* Find(const char* key) const {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  bool Fail(const std::string& key, const std::string& message) {
    *error_ = InvalidRequest("'" + key + "' " + message, key);
    return false;
  }

  bool Bool(const char* key, bool* out) {
    const json* v = Find(key);
    if (v == nullptr) return true;
    if (!v->is_boolean()) return Fail(key, "must be a boolean");
    *out = v->get<bool>();
    return true;
  }

  bool Number(const char* key, double lo, double hi, bool lo_open, float* out) {
    const json* v = Find(key);
    if (v == nullptr) return true;
    if (!v->is_number()) return Fail(key, "must be a number");
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi || (lo_open && d == lo)) {
      return Fail(key, "must be in " + std::string(lo_open ? "(" : "[") + Format(lo) + ", " +
                           Format(hi) + "], got " + v->dump());
    }
    *out = static_cast<float>(d);
    return true;
  }

  bool Int(const char* key, int64_t lo, int64_t hi, int64_t* out) {
    const json* v = Find(key);
    if (v == nullptr) return true;
    int64_t x = 0;
    if (v->is_number_integer() && !(v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX)) {
      x = v->get<int64_t>();
    } else if (v->is_number_unsigned()) {
      return Fail(key, "is out of range, got " + v->dump());
    } else if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() &&
               std::fabs(v->get<double>()) < 9e15) {
      x = static_cast<int64_t>(v->get<double>());
    } else {
      return Fail(key, "must be an integer");
    }
    if (x < lo || x > hi) {
      return Fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                           "], got " + std::to_string(x));
    }
    *out = x;
    return true;
  }

 private:
  static std::string Format(double d) {
    json j = d;
    return j.dump();
  }
  const json& obj_;
  ApiError* error_;
};

bool ParseTokenArray(const json& arr, const std::string& param, std::vector<int32_t>* out,
                     ApiError* error) {
  for (const json& t : arr) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > INT32_MAX) {
      *error = InvalidRequest("'" + param + "' token ids must be non-negative integers", param);
      return false;
    }
    out->push_back(static_cast<int32_t>(t.get<int64_t>()));
  }
  return true;
}

bool ParsePrompt(const json& body, const ApiLimits& limits, ApiRequest* out, ApiError* error) {
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) {
    *error = InvalidRequest("'prompt' is required", "prompt");
    return false;
  }
  const json& p = *it;
  const std::string kType =
      "'prompt' must be a string, an array of token ids, an array of strings or an array of "
      "token-id arrays";
  if (p.is_string()) {
    out->prompts.push_back({false, p.get<std::string>(), {}});
    return true;
  }
  if (!p.is_array()) {
    *error = InvalidRequest(kType, "prompt");
    return false;
  }
  if (p.empty()) {
    *error = InvalidRequest("'prompt' must not be empty", "prompt");
    return false;
  }
  if (p[0].is_number()) {
    PromptInput in;
    in.is_tokens = true;
    if (!ParseTokenArray(p, "prompt", &in.tokens, error)) return false;
    out->prompts.push_back(std::move(in));
    return true;
  }
  if (p.size() > limits.max_prompts) {
    *error = InvalidRequest("'prompt' holds more than " + std::to_string(limits.max_prompts) +
                                " prompts",
                            "prompt");
    return false;
  }
  for (const json& e : p) {
    PromptInput in;
    if (e.is_string()) {
      in.text = e.get<std::string>();
    } else if (e.is_array() && !e.empty()) {
      in.is_tokens = true;
      if (!ParseTokenArray(e, "prompt", &in.tokens, error)) return false;
    } else {
      *error = InvalidRequest(kType, "prompt");
      return false;
    }
    out->prompts.push_back(std::move(in));
  }
  return true;
}

bool ParseMessages(const json& body, ApiRequest* out, ApiError* error) {
  auto it = body.find("messages");
  if (it == body.end() || it->is_null()) {
    *error = InvalidRequest("'messages' is required", "messages");
    return false;
  }
  if (!it->is_array() || it->empty()) {
    *error = InvalidRequest("'messages' must be a non-empty array", "messages");
    return false;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json& m = (*it)[i];
    const std::string param = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) {
      *error = InvalidRequest("'" + param + "' must be an object", param);
      return false;
    }
    ApiChatMessage msg;
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) {
      *error = InvalidRequest("'" + param + ".role' must be a string", param + ".role");
      return false;
    }
    msg.role = role->get<std::string>();
    if (msg.role != "system" && msg.role != "user" && msg.role != "assistant" &&
        msg.role != "developer" && msg.role != "tool") {
      *error = InvalidRequest("'" + param + ".role' must be system, developer, user, assistant "
                              "or tool, got '" + msg.role + "'",
                              param + ".role");
      return false;
    }
    auto content = m.find("content");
    if (content == m.end() || content->is_null()) {
      if (msg.role != "assistant") {
        *error = InvalidRequest("'" + param + ".content' is required", param + ".content");
        return false;
      }
    } else if (content->is_string()) {
      msg.content = content->get<std::string>();
    } else if (content->is_array()) {
      for (const json& part : *content) {
        auto type = part.is_object() ? part.find("type") : part.end();
        auto text = part.is_object() ? part.find("text") : part.end();
        if (!part.is_object() || type == part.end() || *type != "text" || text == part.end() ||
            !text->is_string()) {
          *error = InvalidRequest("'" + param + ".content' parts must be {\"type\": \"text\", "
                                  "\"text\": string}",
                                  param + ".content");
          return false;
        }
        msg.content += text->get<std::string>();
      }
    } else {
      *error = InvalidRequest("'" + param + ".content' must be a string or an array of parts",
                              param + ".content");
      return false;
    }
    out->messages.push_back(std::move(msg));
  }
  return true;
}

bool ParseStop(const json& body, const ApiLimits& limits, ApiRequest* out, ApiError* error) {
  auto it = body.find("stop");
  if (it == body.end() || it->is_null()) return true;
  if (it->is_string()) {
    if (!it->get<std::string>().empty()) out->stop.push_back(it->get<std::string>());
    return true;
  }
  if (!it->is_array()) {
    *error = InvalidRequest("'stop' must be a string or an array of strings", "stop");
    return false;
  }
  if (it->size() > limits.max_stops) {
    *error = InvalidRequest("'stop' holds more than " + std::to_string(limits.max_stops) +
                                " strings",
                            "stop");
    return false;
  }
  for (const json& s : *it) {
    if (!s.is_string()) {
      *error = InvalidRequest("'stop' must be a string or an array of strings", "stop");
      return false;
    }
    if (!s.get<std::string>().empty()) out->stop.push_back(s.get<std::string>());
  }
  return true;
}

}  // namespace

bool ParseApiRequest(std::string_view body, ApiEndpoint endpoint, const ApiLimits& limits,
                     ApiRequest* out, ApiError* error) {
  *out = ApiRequest{};
  out->endpoint = endpoint;
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    *error = InvalidRequest("the request body is not valid JSON");
    error->code = "invalid_json";
    return false;
  }
  if (!j.is_object()) {
    *error = InvalidRequest("the request body must be a JSON object");
    return false;
  }
  FieldReader f(j, error);
  if (const json* m = f.Find("model")) {
    if (!m->is_string()) return f.Fail("model", "must be a string");
    out->model = m->get<std::string>();
  }
  if (endpoint == ApiEndpoint::kCompletions) {
    if (!ParsePrompt(j, limits, out, error)) return false;
  } else {
    if (!ParseMessages(j, out, error)) return false;
  }
  int64_t v = -1;
  if (!f.Int("max_tokens", 0, INT32_MAX, &v)) return false;
  if (!f.Int("max_completion_tokens", 0, INT32_MAX, &v)) return false;
  out->max_tokens = static_cast<int32_t>(v);

  SamplingParams& s = out->sampling;
  if (!f.Number("temperature", 0, 2, false, &s.temperature)) return false;
  if (!f.Number("top_p", 0, 1, true, &s.top_p)) return false;
  v = s.top_k;
  if (!f.Int("top_k", -1, INT32_MAX, &v)) return false;
  s.top_k = static_cast<int32_t>(v);
  if (!f.Number("min_p", 0, 1, false, &s.min_p)) return false;
  if (!f.Number("presence_penalty", -2, 2, false, &s.presence_penalty)) return false;
  if (!f.Number("frequency_penalty", -2, 2, false, &s.frequency_penalty)) return false;
  if (!f.Number("repeat_penalty", 0, 100, true, &s.repeat_penalty)) return false;
  if (!f.Number("repetition_penalty", 0, 100, true, &s.repeat_penalty)) return false;
  if (const json* seed = f.Find("seed")) {
    if (seed->is_number_unsigned()) {
      s.seed = seed->get<uint64_t>();
    } else if (seed->is_number_integer()) {
      s.seed = static_cast<uint64_t>(seed->get<int64_t>());
    } else {
      return f.Fail("seed", "must be an integer");
    }
    out->seed_given = true;
  }
  v = 1;
  if (!f.Int("n", 1, limits.max_n, &v)) return false;
  out->n = static_cast<int32_t>(v);
  if (!ParseStop(j, limits, out, error)) return false;
  if (!f.Bool("stream", &out->stream)) return false;
  if (const json* so = f.Find("stream_options")) {
    if (!so->is_object()) return f.Fail("stream_options", "must be an object");
    FieldReader sf(*so, error);
    if (!sf.Bool("include_usage", &out->include_usage)) return false;
  }
  if (!f.Bool("ignore_eos", &out->ignore_eos)) return false;
  if (const json* salt = f.Find("cache_salt")) {
    if (!salt->is_string()) return f.Fail("cache_salt", "must be a string");
    out->cache_salt = salt->get<std::string>();
  }
  if (endpoint == ApiEndpoint::kCompletions) {
    if (!f.Bool("echo", &out->echo)) return false;
    v = -1;
    if (!f.Int("logprobs", 0, 20, &v)) return false;
    out->logprobs = static_cast<int32_t>(v);
  } else {
    bool logprobs = false;
    if (!f.Bool("logprobs", &logprobs)) return false;
    v = -1;
    if (!f.Int("top_logprobs", 0, 20, &v)) return false;
    if (v >= 0 && !logprobs) return f.Fail("top_logprobs", "requires 'logprobs': true");
    out->logprobs = logprobs ? static_cast<int32_t>(std::max<int64_t>(v, 0)) : -1;
  }
  return true;
}

}  // namespace radixlm
