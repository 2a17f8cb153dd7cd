// Builtins: jinja2's filters and tests that chat templates use, Python
// methods on str, list and dict (as HF's immutable sandbox allows them), and
// jinja2's attribute and item lookup. Errors come back as InvalidArgument
// with a message but no position; the interpreter adds where it happened.
#ifndef RADIXLM_CHAT_BUILTINS_H_
#define RADIXLM_CHAT_BUILTINS_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "chat/value.h"

namespace radixlm::chat {

// Whether a filter or test of this name exists (checked at parse time, as
// jinja2 does).
bool IsKnownFilter(const std::string& name);
bool IsKnownTest(const std::string& name);

// input | name(args). Filters that take a test or another filter by name
// (select, map, ...) resolve it themselves.
Status ApplyFilter(const std::string& name, const Value& input, const CallArgs& args,
                   Value* out);

// value is name(args); *out holds the (not negated) result.
Status ApplyTest(const std::string& name, const Value& value, const std::vector<Value>& args,
                 bool* out);

// obj.name as jinja2 resolves it: a method of str, list or dict (bound to
// obj), else the dict key or namespace attribute, else an undefined value
// that names what was missing. REQUIRES: !obj.is_undefined().
Value GetAttr(const Value& obj, const std::string& name);

// obj[key] as jinja2 resolves it: list and str indices (negative count from
// the end), dict keys, else GetAttr for string keys; an undefined value when
// absent. InvalidArgument for an index of the wrong type.
Status GetItem(const Value& obj, const Value& key, Value* out);

// Items of an iterable for a for loop or filter: a list's items, a dict's
// keys, a str's code points; undefined iterates as empty. InvalidArgument
// for a value that does not iterate.
Status Iterate(const Value& v, std::vector<Value>* out);

// Python len(); InvalidArgument when v has no length.
Status Length(const Value& v, int64_t* out);

}  // namespace radixlm::chat

#endif  // RADIXLM_CHAT_BUILTINS_H_
