// jinja2's builtin filters (the subset chat templates use), with Hugging
// Face's tojson.
#include <algorithm>
#include <cerrno>
#include <cmath>

#include "chat/builtins.h"
#include "chat/json.h"
#include "chat/py_str.h"

namespace radixlm::chat {
namespace {

const Value* Arg(const CallArgs& a, size_t i, const char* name) {
  if (i < a.positional.size()) return &a.positional[i];
  for (const auto& [k, v] : a.keyword) {
    if (k == name) return &v;
  }
  return nullptr;
}

// Resolves a dotted attribute path ("a.b", "0") the way jinja2's
// make_attrgetter does: item lookup first.
Status AttrPath(const Value& obj, const std::string& path, Value* out) {
  Value cur = obj;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    Value key = Value::String(part);
    if (!part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      key = Value::Int(std::stoll(part));
    }
    if (cur.is_undefined()) return Status::InvalidArgument(cur.str().empty() ? "undefined value" : cur.str());
    RLM_RETURN_IF_ERROR(GetItem(cur, key, &cur));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *out = cur;
  return Status::Ok();
}

// Python int(value) as jinja2's int filter tries it; false on failure.
bool ToInt(const Value& v, int64_t* out) {
  if (v.is_int() || v.is_bool()) {
    *out = v.int_value();
    return true;
  }
  if (v.is_float()) {
    if (!std::isfinite(v.number())) return false;
    *out = static_cast<int64_t>(v.number());
    return true;
  }
  if (!v.is_string()) return false;
  std::string s = PyStrip(v.str(), std::nullopt, true, true);
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (*end == '\0' && errno == 0) {
    *out = i;
    return true;
  }
  double d = std::strtod(s.c_str(), &end);
  if (*end != '\0' || !std::isfinite(d)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// jinja2's title filter: capitalizes each run between "-", whitespace and
// opening brackets.
std::string JinjaTitle(const std::string& s) {
  std::string out;
  bool at_start = true;
  for (std::string_view cp : SplitCodePoints(s)) {
    bool sep = cp == "-" || cp == "(" || cp == "{" || cp == "[" || cp == "<" || IsPyWhitespace(cp);
    std::string piece(cp);
    if (sep) {
      at_start = true;
    } else {
      piece = at_start ? PyUpper(piece) : PyLower(piece);
      at_start = false;
    }
    out += piece;
  }
  return out;
}

// Key used by sort/unique/min/max: lower-cased strings unless case_sensitive.
Value SortKey(const Value& v, bool case_sensitive) {
  return (!case_sensitive && v.is_string()) ? Value::String(PyLower(v.str())) : v;
}

Status SelectOrReject(const std::string& name, const Value& input, const CallArgs& args, Value* out) {
  bool by_attr = name == "selectattr" || name == "rejectattr";
  bool keep_if = name == "select" || name == "selectattr";
  size_t next = 0;
  std::string attr;
  if (by_attr) {
    if (args.positional.empty() || !args.positional[0].is_string()) {
      return Status::InvalidArgument(name + " needs an attribute name");
    }
    attr = args.positional[0].str();
    next = 1;
  }
  std::string test;
  std::vector<Value> test_args;
  if (next < args.positional.size()) {
    if (!args.positional[next].is_string()) return Status::InvalidArgument(name + ": test name must be a string");
    test = args.positional[next].str();
    if (!IsKnownTest(test)) return Status::InvalidArgument("No test named '" + test + "'.");
    test_args.assign(args.positional.begin() + next + 1, args.positional.end());
  }
  std::vector<Value> items;
  RLM_RETURN_IF_ERROR(Iterate(input, &items));
  Value::List kept;
  for (const Value& item : items) {
    Value subject = item;
    if (by_attr) RLM_RETURN_IF_ERROR(AttrPath(item, attr, &subject));
    bool pass;
    if (test.empty()) {
      pass = subject.Truthy();
    } else {
      RLM_RETURN_IF_ERROR(ApplyTest(test, subject, test_args, &pass));
    }
    if (pass == keep_if) kept.push_back(item);
  }
  *out = Value::MakeList(std::move(kept));
  return Status::Ok();
}

const char* const kFilters[] = {
    "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first",
    "float", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max",
    "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr",
    "sort", "string", "sum", "title", "tojson", "trim", "unique", "upper", "wordcount"};

}  // namespace

bool IsKnownFilter(const std::string& name) {
  for (const char* f : kFilters) {
    if (name == f) return true;
  }
  return false;
}

Status ApplyFilter(const std::string& name, const Value& input, const CallArgs& args, Value* out) {
  if (name == "default" || name == "d") {
    const Value* def = Arg(args, 0, "default_value");
    const Value* boolean = Arg(args, 1, "boolean");
    bool use_default = input.is_undefined() || (boolean && boolean->Truthy() && !input.Truthy());
    *out = use_default ? (def ? *def : Value::String("")) : input;
    return Status::Ok();
  }
  if (name == "length" || name == "count") {
    int64_t n;
    RLM_RETURN_IF_ERROR(Length(input, &n));
    *out = Value::Int(n);
    return Status::Ok();
  }
  if (name == "tojson") {
    const Value* indent = Arg(args, 0, "indent");
    const Value* sort_keys = Arg(args, 2, "sort_keys");
    if (indent && !indent->is_none() && !indent->is_int()) {
      return Status::InvalidArgument("tojson: indent must be an integer");
    }
    std::string text;
    RLM_RETURN_IF_ERROR(ToJson(input, indent && indent->is_int() ? std::max<int64_t>(0, indent->int_value()) : -1,
                               sort_keys && sort_keys->Truthy(), &text));
    *out = Value::String(std::move(text));
    return Status::Ok();
  }
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
    return SelectOrReject(name, input, args, out);
  }
  if (name == "map") {
    std::vector<Value> items;
    RLM_RETURN_IF_ERROR(Iterate(input, &items));
    const Value* attribute = Arg(args, 99, "attribute");
    Value::List mapped;
    if (attribute) {
      const Value* def = Arg(args, 99, "default");
      for (const Value& item : items) {
        Value v;
        RLM_RETURN_IF_ERROR(AttrPath(item, attribute->ToString(), &v));
        mapped.push_back(v.is_undefined() && def ? *def : v);
      }
    } else {
      if (args.positional.empty() || !args.positional[0].is_string()) {
        return Status::InvalidArgument("map needs a filter name or attribute=");
      }
      std::string filter = args.positional[0].str();
      if (!IsKnownFilter(filter)) return Status::InvalidArgument("No filter named '" + filter + "'.");
      CallArgs rest;
      rest.positional.assign(args.positional.begin() + 1, args.positional.end());
      rest.keyword = args.keyword;
      for (const Value& item : items) {
        mapped.emplace_back();
        RLM_RETURN_IF_ERROR(ApplyFilter(filter, item, rest, &mapped.back()));
      }
    }
    *out = Value::MakeList(std::move(mapped));
    return Status::Ok();
  }
  if (name == "attr") {
    const Value* attr = Arg(args, 0, "name");
    if (!attr || !attr->is_string()) return Status::InvalidArgument("attr needs a name");
    *out = input.is_undefined() ? input : GetAttr(input, attr->str());
    return Status::Ok();
  }

  // Filters over a string.
  if (name == "trim") {
    const Value* chars = Arg(args, 0, "chars");
    std::optional<std::string> set;
    if (chars && !chars->is_none()) set = chars->ToString();
    *out = Value::String(PyStrip(input.ToString(), set, true, true));
    return Status::Ok();
  }
  if (name == "upper") { *out = Value::String(PyUpper(input.ToString())); return Status::Ok(); }
  if (name == "lower") { *out = Value::String(PyLower(input.ToString())); return Status::Ok(); }
  if (name == "capitalize") { *out = Value::String(PyCapitalize(input.ToString())); return Status::Ok(); }
  if (name == "title") { *out = Value::String(JinjaTitle(input.ToString())); return Status::Ok(); }
  if (name == "string" || name == "safe") { *out = Value::String(input.ToString()); return Status::Ok(); }
  if (name == "escape" || name == "e") { *out = Value::String(Escape(input.ToString())); return Status::Ok(); }
  if (name == "wordcount") {
    *out = Value::Int(PySplit(input.ToString(), std::nullopt, -1).size());
    return Status::Ok();
  }
  if (name == "replace") {
    const Value* from = Arg(args, 0, "old");
    const Value* to = Arg(args, 1, "new");
    const Value* count = Arg(args, 2, "count");
    if (!from || !to) return Status::InvalidArgument("replace needs old and new");
    *out = Value::String(PyReplace(input.ToString(), from->ToString(), to->ToString(),
                                   count && count->is_int() ? count->int_value() : -1));
    return Status::Ok();
  }
  if (name == "indent") {
    const Value* width = Arg(args, 0, "width");
    const Value* first = Arg(args, 1, "first");
    const Value* blank = Arg(args, 2, "blank");
    std::string pad = width && width->is_string() ? width->str()
                                                   : std::string(width ? std::max<int64_t>(0, width->int_value()) : 4, ' ');
    std::vector<std::string> lines = PySplit(input.ToString() + "\n", std::string("\n"), -1);
    lines.pop_back();
    std::string rv;
    for (size_t i = 0; i < lines.size(); i++) {
      if (i) rv += "\n";
      bool indent_line = i > 0 && (!lines[i].empty() || (blank && blank->Truthy()));
      rv += (indent_line ? pad : "") + lines[i];
    }
    if (first && first->Truthy()) rv = pad + rv;
    *out = Value::String(std::move(rv));
    return Status::Ok();
  }

  // Filters over numbers.
  if (name == "int") {
    const Value* def = Arg(args, 0, "default");
    int64_t i;
    *out = ToInt(input, &i) ? Value::Int(i) : def ? *def : Value::Int(0);
    return Status::Ok();
  }
  if (name == "float") {
    const Value* def = Arg(args, 0, "default");
    if (input.is_number()) {
      *out = Value::Float(input.number());
    } else {
      std::string s = PyStrip(input.ToString(), std::nullopt, true, true);
      char* end = nullptr;
      double d = s.empty() ? 0 : std::strtod(s.c_str(), &end);
      *out = (!s.empty() && *end == '\0') ? Value::Float(d) : def ? *def : Value::Float(0);
    }
    return Status::Ok();
  }
  if (name == "abs") {
    if (!input.is_number()) return Status::InvalidArgument(std::string("bad operand type for abs(): '") + input.TypeName() + "'");
    *out = input.is_float() ? Value::Float(std::fabs(input.number())) : Value::Int(std::llabs(input.int_value()));
    return Status::Ok();
  }
  if (name == "round") {
    const Value* precision = Arg(args, 0, "precision");
    const Value* method = Arg(args, 1, "method");
    if (!input.is_number()) return Status::InvalidArgument("round needs a number");
    double scale = std::pow(10.0, precision ? precision->int_value() : 0);
    double x = input.number() * scale;
    std::string m = method ? method->ToString() : "common";
    x = m == "ceil" ? std::ceil(x) : m == "floor" ? std::floor(x) : std::nearbyint(x);  // half to even
    *out = Value::Float(x / scale);
    return Status::Ok();
  }

  // Filters over sequences.
  std::vector<Value> items;
  if (name == "items") {
    if (input.is_undefined()) {
      *out = Value::MakeList({});
      return Status::Ok();
    }
    if (!input.is_dict()) return Status::InvalidArgument("Can only get item pairs from a mapping.");
    Value::List pairs;
    for (const auto& [k, v] : input.dict()) pairs.push_back(Value::MakeTuple({Value::String(k), v}));
    *out = Value::MakeList(std::move(pairs));
    return Status::Ok();
  }
  if (name == "dictsort") {
    if (!input.is_dict()) return Status::InvalidArgument("dictsort needs a mapping");
    Value::Dict d = input.dict();
    std::stable_sort(d.begin(), d.end(), [](const auto& a, const auto& b) {
      return PyLower(a.first) < PyLower(b.first);
    });
    Value::List pairs;
    for (const auto& [k, v] : d) pairs.push_back(Value::MakeTuple({Value::String(k), v}));
    *out = Value::MakeList(std::move(pairs));
    return Status::Ok();
  }
  RLM_RETURN_IF_ERROR(Iterate(input, &items));
  if (name == "list") {
    *out = Value::MakeList(std::move(items));
  } else if (name == "first" || name == "last") {
    if (items.empty()) {
      *out = Value::Undefined("No " + name + " item, sequence was empty.");
    } else {
      *out = name == "first" ? items.front() : items.back();
    }
  } else if (name == "reverse") {
    std::reverse(items.begin(), items.end());
    if (input.is_string()) {
      std::string s;
      for (const Value& v : items) s += v.str();
      *out = Value::String(std::move(s));
    } else {
      *out = Value::MakeList(std::move(items));
    }
  } else if (name == "join") {
    const Value* sep = Arg(args, 0, "d");
    const Value* attribute = Arg(args, 1, "attribute");
    std::string joined;
    for (size_t i = 0; i < items.size(); i++) {
      Value v = items[i];
      if (attribute) RLM_RETURN_IF_ERROR(AttrPath(v, attribute->ToString(), &v));
      if (i && sep) joined += sep->ToString();
      joined += v.ToString();
    }
    *out = Value::String(std::move(joined));
  } else if (name == "sum") {
    const Value* attribute = Arg(args, 0, "attribute");
    const Value* start = Arg(args, 1, "start");
    Value total = start ? *start : Value::Int(0);
    for (Value v : items) {
      if (attribute) RLM_RETURN_IF_ERROR(AttrPath(v, attribute->ToString(), &v));
      if (!v.is_number() || !total.is_number()) return Status::InvalidArgument("sum needs numbers");
      total = (v.is_float() || total.is_float()) ? Value::Float(total.number() + v.number())
                                                 : Value::Int(total.int_value() + v.int_value());
    }
    *out = total;
  } else if (name == "sort" || name == "unique" || name == "min" || name == "max") {
    const Value* reverse = name == "sort" ? Arg(args, 0, "reverse") : nullptr;
    const Value* case_sensitive = Arg(args, name == "sort" ? 1 : 0, "case_sensitive");
    const Value* attribute = Arg(args, name == "sort" ? 2 : 1, "attribute");
    bool cs = case_sensitive && case_sensitive->Truthy();
    std::vector<std::pair<Value, Value>> keyed;
    for (const Value& v : items) {
      Value k = v;
      if (attribute) RLM_RETURN_IF_ERROR(AttrPath(v, attribute->ToString(), &k));
      keyed.emplace_back(SortKey(k, cs), v);
    }
    Status err;
    auto less = [&err](const auto& a, const auto& b) {
      bool lt = false;
      Status s = Value::Less(a.first, b.first, &lt);
      if (!s.ok()) err = s;
      return lt;
    };
    if (name == "unique") {
      Value::List kept;
      std::vector<Value> seen;
      for (const auto& kv : keyed) {
        const Value& k = kv.first;  // not a structured binding: lambdas capture it
        if (std::none_of(seen.begin(), seen.end(),
                         [&](const Value& s) { return Value::Equals(s, k); })) {
          seen.push_back(k);
          kept.push_back(kv.second);
        }
      }
      *out = Value::MakeList(std::move(kept));
      return Status::Ok();
    }
    if (name == "sort") {
      std::stable_sort(keyed.begin(), keyed.end(), less);
      if (reverse && reverse->Truthy()) std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) { return less(b, a); });
      RLM_RETURN_IF_ERROR(err);
      Value::List sorted;
      for (auto& kv : keyed) sorted.push_back(kv.second);
      *out = Value::MakeList(std::move(sorted));
      return Status::Ok();
    }
    if (keyed.empty()) {
      *out = Value::Undefined("No aggregated item, sequence was empty.");
      return Status::Ok();
    }
    auto it = name == "min" ? std::min_element(keyed.begin(), keyed.end(), less)
                            : std::max_element(keyed.begin(), keyed.end(), less);
    RLM_RETURN_IF_ERROR(err);
    *out = it->second;
  } else {
    return Status::InvalidArgument("No filter named '" + name + "'.");
  }
  return Status::Ok();
}

}  // namespace radixlm::chat
