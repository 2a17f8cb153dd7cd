#include "chat/interpreter.h"

#include <cmath>
#include <ctime>

#include "chat/builtins.h"
#include "chat/py_str.h"

namespace radixlm::chat {
namespace {

Status Err(const std::string& msg) { return Status::InvalidArgument(msg); }

const Value* Arg(const CallArgs& a, size_t i, const char* name) {
  if (i < a.positional.size()) return &a.positional[i];
  for (const auto& [k, v] : a.keyword) {
    if (k == name) return &v;
  }
  return nullptr;
}

}  // namespace

Interpreter::Interpreter(const Lexer* lexer, int64_t now_unix_seconds)
    : lexer_(lexer), now_(now_unix_seconds) {
  frames_.resize(2);
  InstallGlobals();
}

void Interpreter::SetVariable(const std::string& name, Value value) {
  frames_[1][name] = std::move(value);
}

Status Interpreter::At(size_t offset, const Status& s) const {
  if (s.ok() || raised_ || s.message().rfind("chat template: ", 0) == 0) return s;
  return Status::InvalidArgument("chat template: " + lexer_->Where(offset) + ": " + s.message());
}

void Interpreter::InstallGlobals() {
  Frame& g = frames_[0];
  g["raise_exception"] = Value::Function("raise_exception", [this](const CallArgs& a, Value*) {
    raised_ = true;
    return Status::InvalidArgument(a.positional.empty() ? "" : a.positional[0].ToString());
  });
  g["range"] = Value::Function("range", [](const CallArgs& a, Value* out) {
    int64_t v[3] = {0, 0, 1};
    size_t n = a.positional.size();
    if (n < 1 || n > 3) return Err("range expected 1 to 3 arguments");
    for (size_t i = 0; i < n; i++) {
      if (!a.positional[i].is_int() && !a.positional[i].is_bool()) {
        return Err(std::string("'") + a.positional[i].TypeName() + "' object cannot be interpreted as an integer");
      }
    }
    if (n == 1) {
      v[1] = a.positional[0].int_value();
    } else {
      for (size_t i = 0; i < n; i++) v[i] = a.positional[i].int_value();
    }
    if (v[2] == 0) return Err("range() arg 3 must not be zero");
    Value::List items;
    for (int64_t i = v[0]; v[2] > 0 ? i < v[1] : i > v[1]; i += v[2]) {
      if (items.size() >= 100000) {
        return Err("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
      }
      items.push_back(Value::Int(i));
    }
    *out = Value::MakeList(std::move(items));
    return Status::Ok();
  });
  auto make_dict = [](bool ns) {
    return [ns](const CallArgs& a, Value* out) {
      Value::Dict items;
      for (const Value& p : a.positional) {
        if (!p.is_dict()) return Err("namespace() and dict() take a mapping or keywords");
        for (const auto& kv : p.dict()) items.push_back(kv);
      }
      for (const auto& kv : a.keyword) {
        bool replaced = false;
        for (auto& old : items) {
          if (old.first == kv.first) {
            old.second = kv.second;
            replaced = true;
          }
        }
        if (!replaced) items.push_back(kv);
      }
      *out = ns ? Value::MakeNamespace(std::move(items)) : Value::MakeDict(std::move(items));
      return Status::Ok();
    };
  };
  g["namespace"] = Value::Function("namespace", make_dict(true));
  g["dict"] = Value::Function("dict", make_dict(false));
  g["strftime_now"] = Value::Function("strftime_now", [this](const CallArgs& a, Value* out) {
    const Value* fmt = Arg(a, 0, "format");
    if (!fmt || !fmt->is_string()) return Err("strftime_now needs a format string");
    std::tm tm{};
    if (now_ >= 0) {
      time_t t = static_cast<time_t>(now_);
      gmtime_r(&t, &tm);
    } else {
      time_t t = std::time(nullptr);
      localtime_r(&t, &tm);
    }
    char buf[512];
    size_t n = fmt->str().empty() ? 0 : std::strftime(buf, sizeof(buf), fmt->str().c_str(), &tm);
    *out = Value::String(std::string(buf, n));
    return Status::Ok();
  });
}

Status Interpreter::Render(const NodeList& nodes, std::string* out) {
  Status s = Exec(nodes, out);
  if (!s.ok() && raised_) return Status::InvalidArgument(s.message());
  return s;
}

Value Interpreter::Lookup(const std::string& name) const {
  for (size_t i = frames_.size(); i-- > 0;) {
    auto it = frames_[i].find(name);
    if (it != frames_[i].end()) return it->second;
  }
  return Value::Undefined("'" + name + "' is undefined");
}

Status Interpreter::Exec(const NodeList& nodes, std::string* out) {
  for (const NodePtr& np : nodes) {
    const Node& node = *np;
    switch (node.kind) {
      case Node::Kind::kText:
        out->append(node.text);
        break;
      case Node::Kind::kOutput: {
        Value v;
        RLM_RETURN_IF_ERROR(Eval(*node.expr, &v));
        out->append(v.ToString());
        break;
      }
      case Node::Kind::kIf:
        for (const auto& [cond, body] : node.branches) {
          bool take = true;
          if (cond) {
            Value v;
            RLM_RETURN_IF_ERROR(Eval(*cond, &v));
            take = v.Truthy();
          }
          if (take) {
            RLM_RETURN_IF_ERROR(Exec(body, out));
            break;
          }
        }
        break;
      case Node::Kind::kFor:
        RLM_RETURN_IF_ERROR(ExecFor(node, out));
        break;
      case Node::Kind::kSet:
      case Node::Kind::kSetBlock:
        RLM_RETURN_IF_ERROR(ExecSet(node, out));
        break;
      case Node::Kind::kMacro: {
        const Node* macro = &node;
        Assign(node.name, Value::Function(node.name, [this, macro](const CallArgs& a, Value* v) {
          return CallMacro(*macro, a, v);
        }));
        break;
      }
      case Node::Kind::kBreak:
        flow_ = Flow::kBreak;
        return Status::Ok();
      case Node::Kind::kContinue:
        flow_ = Flow::kContinue;
        return Status::Ok();
      case Node::Kind::kScope:
        RLM_RETURN_IF_ERROR(Exec(node.body, out));
        break;
    }
    if (out->size() > kMaxOutputBytes) {
      return Status::ResourceExhausted("chat template: output larger than " +
                                       std::to_string(kMaxOutputBytes) + " bytes");
    }
    if (flow_ != Flow::kNormal) return Status::Ok();
  }
  return Status::Ok();
}

Status Interpreter::ExecFor(const Node& node, std::string* out) {
  Value iterable;
  RLM_RETURN_IF_ERROR(Eval(*node.expr, &iterable));
  std::vector<Value> all;
  RLM_RETURN_IF_ERROR(At(node.expr->offset, Iterate(iterable, &all)));

  auto bind = [&](const Value& item) -> Status {
    if (node.targets.size() == 1) {
      Assign(node.targets[0], item);
      return Status::Ok();
    }
    std::vector<Value> parts;
    RLM_RETURN_IF_ERROR(At(node.offset, Iterate(item, &parts)));
    if (parts.size() != node.targets.size()) {
      return At(node.offset, Err(std::string(parts.size() < node.targets.size()
                                                 ? "not enough values to unpack"
                                                 : "too many values to unpack") +
                                 " (expected " + std::to_string(node.targets.size()) + ", got " +
                                 std::to_string(parts.size()) + ")"));
    }
    for (size_t i = 0; i < parts.size(); i++) Assign(node.targets[i], parts[i]);
    return Status::Ok();
  };

  std::vector<Value> items;
  if (node.filter) {
    for (const Value& item : all) {
      frames_.emplace_back();
      Status s = bind(item);
      Value keep;
      if (s.ok()) s = Eval(*node.filter, &keep);
      frames_.pop_back();
      RLM_RETURN_IF_ERROR(s);
      if (keep.Truthy()) items.push_back(item);
    }
  } else {
    items = std::move(all);
  }
  if (items.empty()) return Exec(node.else_body, out);

  const int64_t n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < n; i++) {
    if (++iterations_ > kMaxLoopIterations) {
      return Status::ResourceExhausted("chat template: too many loop iterations");
    }
    frames_.emplace_back();
    Status s = bind(items[i]);
    Value::Dict loop = {
        {"index", Value::Int(i + 1)},
        {"index0", Value::Int(i)},
        {"revindex", Value::Int(n - i)},
        {"revindex0", Value::Int(n - i - 1)},
        {"first", Value::Bool(i == 0)},
        {"last", Value::Bool(i == n - 1)},
        {"length", Value::Int(n)},
        {"depth", Value::Int(1)},
        {"depth0", Value::Int(0)},
        {"previtem", i > 0 ? items[i - 1] : Value::Undefined("there is no previous item")},
        {"nextitem", i + 1 < n ? items[i + 1] : Value::Undefined("there is no next item")},
        {"cycle", Value::Function("cycle", [i](const CallArgs& a, Value* v) {
           if (a.positional.empty()) return Err("no items for cycling given");
           *v = a.positional[i % a.positional.size()];
           return Status::Ok();
         })},
    };
    Assign("loop", Value::MakeDict(std::move(loop)));
    if (s.ok()) s = Exec(node.body, out);
    frames_.pop_back();
    RLM_RETURN_IF_ERROR(s);
    Flow flow = flow_;
    flow_ = Flow::kNormal;
    if (flow == Flow::kBreak) break;
  }
  return Status::Ok();
}

Status Interpreter::ExecSet(const Node& node, std::string* out) {
  Value v;
  if (node.kind == Node::Kind::kSetBlock) {
    std::string text;
    RLM_RETURN_IF_ERROR(Exec(node.body, &text));
    Assign(node.targets[0], Value::String(std::move(text)));
    return Status::Ok();
  }
  RLM_RETURN_IF_ERROR(Eval(*node.expr, &v));
  if (!node.attr.empty()) {
    Value target = Lookup(node.targets[0]);
    if (!target.is_namespace()) {
      return At(node.offset, Err("cannot assign attribute on non-namespace object"));
    }
    target.SetAttribute(node.attr, std::move(v));
    return Status::Ok();
  }
  if (node.targets.size() == 1) {
    Assign(node.targets[0], std::move(v));
    return Status::Ok();
  }
  std::vector<Value> parts;
  RLM_RETURN_IF_ERROR(At(node.offset, Iterate(v, &parts)));
  if (parts.size() != node.targets.size()) {
    return At(node.offset, Err("wrong number of values to unpack"));
  }
  for (size_t i = 0; i < parts.size(); i++) Assign(node.targets[i], parts[i]);
  return Status::Ok();
}

Status Interpreter::CallMacro(const Node& macro, const CallArgs& args, Value* out) {
  if (depth_ >= kMaxNestingDepth) {
    return At(macro.offset, Err("macro calls nested too deeply"));
  }
  if (args.positional.size() > macro.params.size()) {
    return Err("macro '" + macro.name + "' takes not more than " +
               std::to_string(macro.params.size()) + " argument(s)");
  }
  Frame frame;
  for (size_t i = 0; i < macro.params.size(); i++) {
    const auto& [name, def] = macro.params[i];
    const Value* given = i < args.positional.size() ? &args.positional[i] : nullptr;
    for (const auto& [k, v] : args.keyword) {
      if (k == name) given = &v;
    }
    if (given) {
      frame[name] = *given;
    } else if (def) {
      RLM_RETURN_IF_ERROR(Eval(*def, &frame[name]));
    } else {
      frame[name] = Value::Undefined("parameter '" + name + "' was not provided");
    }
  }
  for (const auto& [k, v] : args.keyword) {
    bool known = false;
    for (const auto& p : macro.params) known = known || p.first == k;
    if (!known) return Err("macro '" + macro.name + "' takes no keyword argument '" + k + "'");
  }
  // The body sees globals and template variables, not the caller's loops.
  std::vector<Frame> saved(std::make_move_iterator(frames_.begin() + 2),
                           std::make_move_iterator(frames_.end()));
  frames_.resize(2);
  frames_.push_back(std::move(frame));
  depth_++;
  std::string text;
  Status s = Exec(macro.body, &text);
  depth_--;
  flow_ = Flow::kNormal;
  frames_.resize(2);
  for (Frame& f : saved) frames_.push_back(std::move(f));
  RLM_RETURN_IF_ERROR(s);
  *out = Value::String(std::move(text));
  return Status::Ok();
}

Status Interpreter::EvalArgs(const Expr& e, size_t first, CallArgs* args) {
  for (size_t i = first; i < e.args.size(); i++) {
    args->positional.emplace_back();
    RLM_RETURN_IF_ERROR(Eval(*e.args[i], &args->positional.back()));
  }
  for (const auto& [k, ex] : e.kwargs) {
    args->keyword.emplace_back(k, Value());
    RLM_RETURN_IF_ERROR(Eval(*ex, &args->keyword.back().second));
  }
  return Status::Ok();
}

}  // namespace radixlm::chat
