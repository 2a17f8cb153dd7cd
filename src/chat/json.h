// Conversion between Values and JSON: Value from nlohmann::ordered_json
// (key order kept, as Python's json.loads does), and the text Python's
// json.dumps(v, ensure_ascii=False, indent=indent) gives, which is what
// Hugging Face's tojson filter prints.
#ifndef RADIXLM_CHAT_JSON_H_
#define RADIXLM_CHAT_JSON_H_

#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "chat/value.h"

namespace radixlm::chat {

// Sets *out to the Value of a parsed JSON document. InvalidArgument when it
// nests deeper than kMaxNestingDepth.
Status FromJson(const nlohmann::ordered_json& j, Value* out);

// Appends json.dumps(v, ensure_ascii=False, indent=indent, sort_keys=sort_keys)
// to *out; indent < 0 means None (one line, ", " and ": " separators).
// InvalidArgument for values JSON cannot hold (undefined, functions,
// namespaces).
Status ToJson(const Value& v, int indent, bool sort_keys, std::string* out);

}  // namespace radixlm::chat

#endif  // RADIXLM_CHAT_JSON_H_
