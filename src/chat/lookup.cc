// Attribute and item lookup, iteration, tests, and Python methods on str,
// list and dict.
#include <algorithm>
#include <cstring>

#include "chat/builtins.h"
#include "chat/py_str.h"

namespace radixlm::chat {
namespace {

Status TypeError(const std::string& msg) { return Status::InvalidArgument(msg); }

// Positional argument i, or keyword `name`, or nullptr.
const Value* Arg(const CallArgs& a, size_t i, const char* name) {
  if (i < a.positional.size()) return &a.positional[i];
  for (const auto& [k, v] : a.keyword) {
    if (k == name) return &v;
  }
  return nullptr;
}

Status StringArg(const CallArgs& a, size_t i, const char* name, const char* method,
                 std::optional<std::string>* out) {
  const Value* v = Arg(a, i, name);
  if (v == nullptr || v->is_none()) {
    *out = std::nullopt;
    return Status::Ok();
  }
  if (!v->is_string()) {
    return TypeError(std::string(method) + "() argument must be str or None, not " + v->TypeName());
  }
  *out = v->str();
  return Status::Ok();
}

Status StrMethod(const std::string& s, const std::string& name, const CallArgs& a, Value* out) {
  std::optional<std::string> arg;
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    RLM_RETURN_IF_ERROR(StringArg(a, 0, "chars", name.c_str(), &arg));
    *out = Value::String(PyStrip(s, arg, name != "rstrip", name != "lstrip"));
  } else if (name == "split") {
    RLM_RETURN_IF_ERROR(StringArg(a, 0, "sep", "split", &arg));
    if (arg && arg->empty()) return TypeError("empty separator");
    const Value* maxsplit = Arg(a, 1, "maxsplit");
    Value::List items;
    for (auto& piece : PySplit(s, arg, maxsplit && maxsplit->is_int() ? maxsplit->int_value() : -1)) {
      items.push_back(Value::String(std::move(piece)));
    }
    *out = Value::MakeList(std::move(items));
  } else if (name == "startswith" || name == "endswith") {
    const Value* v = Arg(a, 0, "prefix");
    if (v == nullptr) return TypeError(name + "() takes at least 1 argument (0 given)");
    std::vector<std::string> options;
    if (v->is_string()) {
      options.push_back(v->str());
    } else if (v->is_list()) {
      for (const Value& item : v->list()) {
        if (!item.is_string()) return TypeError("tuple for " + name + " must only contain str");
        options.push_back(item.str());
      }
    } else {
      return TypeError(name + " first arg must be str or a tuple of str, not " + v->TypeName());
    }
    bool hit = false;
    for (const std::string& o : options) {
      hit = hit || (name == "startswith" ? s.compare(0, o.size(), o) == 0 && s.size() >= o.size()
                                         : s.size() >= o.size() &&
                                               s.compare(s.size() - o.size(), o.size(), o) == 0);
    }
    *out = Value::Bool(hit);
  } else if (name == "upper") {
    *out = Value::String(PyUpper(s));
  } else if (name == "lower") {
    *out = Value::String(PyLower(s));
  } else if (name == "title") {
    *out = Value::String(PyTitle(s));
  } else if (name == "capitalize") {
    *out = Value::String(PyCapitalize(s));
  } else if (name == "replace") {
    const Value* from = Arg(a, 0, "old");
    const Value* to = Arg(a, 1, "new");
    const Value* count = Arg(a, 2, "count");
    if (!from || !to || !from->is_string() || !to->is_string()) {
      return TypeError("replace() takes two str arguments");
    }
    *out = Value::String(PyReplace(s, from->str(), to->str(),
                                   count && count->is_int() ? count->int_value() : -1));
  } else if (name == "find" || name == "count") {
    const Value* sub = Arg(a, 0, "sub");
    if (!sub || !sub->is_string()) return TypeError(name + "() argument must be str");
    if (name == "find") {
      size_t hit = s.find(sub->str());
      *out = Value::Int(hit == std::string::npos ? -1 : static_cast<int64_t>(CodePointLength(s.substr(0, hit))));
    } else {
      int64_t n = 0;
      if (sub->str().empty()) {
        n = CodePointLength(s) + 1;
      } else {
        for (size_t p = s.find(sub->str()); p != std::string::npos; p = s.find(sub->str(), p + sub->str().size())) n++;
      }
      *out = Value::Int(n);
    }
  } else if (name == "join") {
    const Value* items = Arg(a, 0, "iterable");
    if (!items) return TypeError("join() takes exactly one argument (0 given)");
    std::vector<Value> parts;
    RLM_RETURN_IF_ERROR(Iterate(*items, &parts));
    std::string joined;
    for (size_t i = 0; i < parts.size(); i++) {
      if (!parts[i].is_string()) {
        return TypeError("sequence item " + std::to_string(i) + ": expected str instance, " +
                         parts[i].TypeName() + " found");
      }
      if (i) joined += s;
      joined += parts[i].str();
    }
    *out = Value::String(std::move(joined));
  } else {
    return TypeError("'str' object has no attribute '" + name + "'");
  }
  return Status::Ok();
}

Status ListMethod(const Value& list, const std::string& name, const CallArgs& a, Value* out) {
  const Value* x = Arg(a, 0, "value");
  if (!x) return TypeError(name + "() takes exactly one argument (0 given)");
  const Value::List& items = list.list();
  if (name == "count") {
    int64_t n = 0;
    for (const Value& v : items) n += Value::Equals(v, *x) ? 1 : 0;
    *out = Value::Int(n);
    return Status::Ok();
  }
  for (size_t i = 0; i < items.size(); i++) {
    if (Value::Equals(items[i], *x)) {
      *out = Value::Int(static_cast<int64_t>(i));
      return Status::Ok();
    }
  }
  return TypeError(x->Repr() + " is not in list");
}

Status DictMethod(const Value& dict, const std::string& name, const CallArgs& a, Value* out) {
  if (name == "get") {
    const Value* key = Arg(a, 0, "key");
    const Value* def = Arg(a, 1, "default");
    if (!key) return TypeError("get expected at least 1 argument, got 0");
    const Value* hit = key->is_string() ? dict.Find(key->str()) : nullptr;
    *out = hit ? *hit : def ? *def : Value::None();
    return Status::Ok();
  }
  Value::List items;
  for (const auto& [k, v] : dict.dict()) {
    if (name == "keys") {
      items.push_back(Value::String(k));
    } else if (name == "values") {
      items.push_back(v);
    } else {
      items.push_back(Value::MakeTuple({Value::String(k), v}));
    }
  }
  *out = Value::MakeList(std::move(items));
  return Status::Ok();
}

bool IsStrMethod(const std::string& n) {
  static const char* const kNames[] = {"strip", "lstrip", "rstrip", "split", "startswith",
                                       "endswith", "upper", "lower", "title", "capitalize",
                                       "replace", "find", "count", "join"};
  for (const char* k : kNames) {
    if (n == k) return true;
  }
  return false;
}

bool IsUnsafeMutator(const std::string& n) {
  static const char* const kNames[] = {"append", "extend", "insert", "pop", "remove", "clear",
                                       "sort", "reverse", "update", "setdefault", "popitem"};
  for (const char* k : kNames) {
    if (n == k) return true;
  }
  return false;
}

}  // namespace

Value GetAttr(const Value& obj, const std::string& name) {
  bool method = (obj.is_string() && IsStrMethod(name)) ||
                (obj.is_list() && (name == "index" || name == "count")) ||
                (obj.is_dict() && (name == "items" || name == "keys" || name == "values" || name == "get"));
  if (method) {
    return Value::Function(name, [obj, name](const CallArgs& a, Value* out) {
      if (obj.is_string()) return StrMethod(obj.str(), name, a, out);
      if (obj.is_list()) return ListMethod(obj, name, a, out);
      return DictMethod(obj, name, a, out);
    });
  }
  if ((obj.is_list() || obj.is_dict()) && IsUnsafeMutator(name)) {
    std::string msg = "access to attribute '" + name + "' of '" + obj.TypeName() +
                      "' object is unsafe.";
    return Value::Function(name, [msg](const CallArgs&, Value*) {
      return Status::InvalidArgument(msg);
    });
  }
  if (const Value* v = obj.Find(name)) return *v;
  std::string msg = "'";
  msg.append(obj.TypeName()).append(" object' has no attribute '").append(name).append("'");
  return Value::Undefined(std::move(msg));
}

Status GetItem(const Value& obj, const Value& key, Value* out) {
  if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t n;
    RLM_RETURN_IF_ERROR(Length(obj, &n));
    int64_t i = key.int_value();
    if (i < 0) i += n;
    if (i < 0 || i >= n) {
      *out = Value::Undefined(std::string("'") + obj.TypeName() + " object' has no element " +
                              std::to_string(key.int_value()));
    } else if (obj.is_list()) {
      *out = obj.list()[i];
    } else {
      *out = Value::String(std::string(SplitCodePoints(obj.str())[i]));
    }
    return Status::Ok();
  }
  if (key.is_string()) {
    if (obj.is_dict() || obj.is_namespace()) {
      const Value* v = obj.Find(key.str());
      *out = v ? *v : GetAttr(obj, key.str());
      if (!v && out->is_undefined()) {
        *out = Value::Undefined("'dict object' has no attribute '" + key.str() + "'");
      }
      return Status::Ok();
    }
    *out = GetAttr(obj, key.str());
    return Status::Ok();
  }
  if (obj.is_list() || obj.is_string()) {
    return Status::InvalidArgument(std::string(obj.TypeName()) + " indices must be integers, not " +
                                   key.TypeName());
  }
  *out = Value::Undefined(std::string("'") + obj.TypeName() + " object' has no element " + key.Repr());
  return Status::Ok();
}

Status Iterate(const Value& v, std::vector<Value>* out) {
  out->clear();
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return Status::Ok();
    case Value::Kind::kList:
      *out = v.list();
      return Status::Ok();
    case Value::Kind::kDict:
      for (const auto& kv : v.dict()) out->push_back(Value::String(kv.first));
      return Status::Ok();
    case Value::Kind::kString:
      for (std::string_view cp : SplitCodePoints(v.str())) out->push_back(Value::String(std::string(cp)));
      return Status::Ok();
    default:
      return Status::InvalidArgument(std::string("'") + v.TypeName() + "' object is not iterable");
  }
}

Status Length(const Value& v, int64_t* out) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: *out = 0; return Status::Ok();
    case Value::Kind::kString: *out = CodePointLength(v.str()); return Status::Ok();
    case Value::Kind::kList: *out = v.list().size(); return Status::Ok();
    case Value::Kind::kDict: *out = v.dict().size(); return Status::Ok();
    default:
      return Status::InvalidArgument(std::string("object of type '") + v.TypeName() + "' has no len()");
  }
}

bool IsKnownTest(const std::string& name) {
  static const char* const kNames[] = {
      "defined", "undefined", "none", "boolean", "false", "true", "integer", "float", "number",
      "string", "mapping", "iterable", "sequence", "callable", "sameas", "eq", "equalto", "==",
      "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in",
      "odd", "even", "divisibleby", "lower", "upper"};
  for (const char* k : kNames) {
    if (name == k) return true;
  }
  return false;
}

Status ApplyTest(const std::string& name, const Value& v, const std::vector<Value>& args, bool* out) {
  using K = Value::Kind;
  auto need = [&](size_t n) -> Status {
    if (args.size() < n) return Status::InvalidArgument("test '" + name + "' needs an argument");
    return Status::Ok();
  };
  if (name == "defined") { *out = !v.is_undefined(); }
  else if (name == "undefined") { *out = v.is_undefined(); }
  else if (name == "none") { *out = v.is_none(); }
  else if (name == "boolean") { *out = v.is_bool(); }
  else if (name == "false") { *out = v.is_bool() && !v.bool_value(); }
  else if (name == "true") { *out = v.is_bool() && v.bool_value(); }
  else if (name == "integer") { *out = v.is_int(); }
  else if (name == "float") { *out = v.is_float(); }
  else if (name == "number") { *out = v.is_number(); }
  else if (name == "string") { *out = v.is_string(); }
  else if (name == "mapping") { *out = v.is_dict(); }
  else if (name == "iterable" || name == "sequence") {
    *out = v.is_undefined() || v.is_string() || v.is_list() || v.is_dict();
  } else if (name == "callable") { *out = v.is_function(); }
  else if (name == "sameas") {
    RLM_RETURN_IF_ERROR(need(1));
    const Value& o = args[0];
    *out = v.kind() == o.kind() &&
           (v.kind() == K::kNone || (v.kind() == K::kBool && v.bool_value() == o.bool_value()) ||
            (v.kind() == K::kInt && v.int_value() == o.int_value()) ||
            (v.kind() == K::kString && v.str() == o.str()) ||
            ((v.kind() == K::kList || v.kind() == K::kDict || v.kind() == K::kNamespace) &&
             Value::Equals(v, o) && v.Repr() == o.Repr()));
  } else if (name == "eq" || name == "equalto" || name == "==" || name == "ne" || name == "!=") {
    RLM_RETURN_IF_ERROR(need(1));
    *out = Value::Equals(v, args[0]) == (name[0] == 'e' || name[0] == '=');
  } else if (name == "lt" || name == "lessthan" || name == "<" || name == "gt" ||
             name == "greaterthan" || name == ">") {
    RLM_RETURN_IF_ERROR(need(1));
    bool lt = name == "lt" || name == "lessthan" || name == "<";
    RLM_RETURN_IF_ERROR(lt ? Value::Less(v, args[0], out) : Value::Less(args[0], v, out));
  } else if (name == "le" || name == "<=" || name == "ge" || name == ">=") {
    RLM_RETURN_IF_ERROR(need(1));
    bool le = name == "le" || name == "<=";
    bool strict;
    RLM_RETURN_IF_ERROR(le ? Value::Less(args[0], v, &strict) : Value::Less(v, args[0], &strict));
    *out = !strict;
  } else if (name == "in") {
    RLM_RETURN_IF_ERROR(need(1));
    const Value& c = args[0];
    if (c.is_string() && v.is_string()) {
      *out = c.str().find(v.str()) != std::string::npos;
    } else if (c.is_list()) {
      *out = std::any_of(c.list().begin(), c.list().end(),
                         [&](const Value& x) { return Value::Equals(x, v); });
    } else if (c.is_dict()) {
      *out = v.is_string() && c.Find(v.str()) != nullptr;
    } else {
      return Status::InvalidArgument("argument of type '" + std::string(c.TypeName()) +
                                     "' is not iterable");
    }
  } else if (name == "odd" || name == "even" || name == "divisibleby") {
    if (!v.is_number() || v.is_float()) return Status::InvalidArgument("test '" + name + "' needs an integer");
    int64_t d = 2;
    if (name == "divisibleby") {
      RLM_RETURN_IF_ERROR(need(1));
      if (!args[0].is_int() || args[0].int_value() == 0) {
        return Status::InvalidArgument("divisibleby needs a non-zero integer");
      }
      d = args[0].int_value();
    }
    int64_t r = v.int_value() % d;
    *out = name == "odd" ? r != 0 : r == 0;
  } else if (name == "lower" || name == "upper") {
    std::string s = v.ToString();
    bool cased = false, ok = true;
    for (char c : s) {
      bool lo = c >= 'a' && c <= 'z', up = c >= 'A' && c <= 'Z';
      cased = cased || lo || up;
      if ((name == "lower" && up) || (name == "upper" && lo)) ok = false;
    }
    *out = cased && ok;
  } else {
    return Status::InvalidArgument("no test named '" + name + "'");
  }
  return Status::Ok();
}

}  // namespace radixlm::chat
