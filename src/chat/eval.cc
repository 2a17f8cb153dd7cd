// Interpreter: expression evaluation with Python operator semantics.
#include <cmath>

#include "chat/builtins.h"
#include "chat/interpreter.h"
#include "chat/py_str.h"

namespace radixlm::chat {
namespace {

Status Err(const std::string& msg) { return Status::InvalidArgument(msg); }

Status UndefinedError(const Value& v) { return Err(v.str().empty() ? "undefined value" : v.str()); }

Status OperandError(const std::string& op, const Value& a, const Value& b) {
  return Err("unsupported operand type(s) for " + op + ": '" + a.TypeName() + "' and '" +
             b.TypeName() + "'");
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t FloorMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

Status Repeat(const Value& seq, int64_t times, Value* out) {
  if (times < 0) times = 0;
  if (seq.is_string()) {
    if (!seq.str().empty() && static_cast<uint64_t>(times) > kMaxOutputBytes / seq.str().size()) {
      return Status::ResourceExhausted("string repetition too large");
    }
    std::string s;
    for (int64_t i = 0; i < times; i++) s += seq.str();
    *out = Value::String(std::move(s));
  } else {
    if (!seq.list().empty() && static_cast<uint64_t>(times) > kMaxOutputBytes / 16 / seq.list().size()) {
      return Status::ResourceExhausted("list repetition too large");
    }
    Value::List items;
    for (int64_t i = 0; i < times; i++) items.insert(items.end(), seq.list().begin(), seq.list().end());
    *out = Value::MakeList(std::move(items));
  }
  return Status::Ok();
}

}  // namespace

Status Interpreter::EvalBinary(const Expr& e, const Value& a, const Value& b, Value* out) {
  const std::string& op = e.name;
  if (op == "~") {
    *out = Value::String(a.ToString() + b.ToString());
    return Status::Ok();
  }
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  bool nums = a.is_number() && b.is_number();
  bool floats = nums && (a.is_float() || b.is_float());
  if (op == "+") {
    if (nums) {
      *out = floats ? Value::Float(a.number() + b.number()) : Value::Int(a.int_value() + b.int_value());
    } else if (a.is_string() && b.is_string()) {
      *out = Value::String(a.str() + b.str());
    } else if (a.is_list() && b.is_list()) {
      Value::List items = a.list();
      items.insert(items.end(), b.list().begin(), b.list().end());
      *out = Value::MakeList(std::move(items));
    } else if (a.is_string()) {
      return Err(std::string("can only concatenate str (not \"") + b.TypeName() + "\") to str");
    } else {
      return OperandError(op, a, b);
    }
    return Status::Ok();
  }
  if (op == "*") {
    if (nums) {
      *out = floats ? Value::Float(a.number() * b.number()) : Value::Int(a.int_value() * b.int_value());
      return Status::Ok();
    }
    if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return Repeat(a, b.int_value(), out);
    if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return Repeat(b, a.int_value(), out);
    return OperandError(op, a, b);
  }
  if (op == "%" && a.is_string()) return Err("string formatting with % is not supported");
  if (!nums) return OperandError(op, a, b);
  if (op == "-") {
    *out = floats ? Value::Float(a.number() - b.number()) : Value::Int(a.int_value() - b.int_value());
  } else if (op == "/") {
    if (b.number() == 0) return Err("division by zero");
    *out = Value::Float(a.number() / b.number());
  } else if (op == "//" || op == "%") {
    if (b.number() == 0) return Err("integer division or modulo by zero");
    if (floats) {
      double q = std::floor(a.number() / b.number());
      *out = Value::Float(op == "//" ? q : a.number() - q * b.number());
    } else {
      *out = Value::Int(op == "//" ? FloorDiv(a.int_value(), b.int_value())
                                   : FloorMod(a.int_value(), b.int_value()));
    }
  } else if (op == "**") {
    if (!floats && b.int_value() >= 0) {
      int64_t r = 1;
      for (int64_t i = 0; i < b.int_value() && i < 64; i++) r *= a.int_value();
      *out = Value::Int(r);
    } else {
      *out = Value::Float(std::pow(a.number(), b.number()));
    }
  } else {
    return Err("unknown operator " + op);
  }
  return Status::Ok();
}

Status Interpreter::EvalCompare(const std::string& op, const Value& a, const Value& b, bool* out) {
  if (op == "==" || op == "!=") {
    *out = Value::Equals(a, b) == (op == "==");
    return Status::Ok();
  }
  if (op == "in" || op == "notin") {
    if (b.is_undefined()) return UndefinedError(b);
    if (b.is_string() && !a.is_string()) {
      return Err(std::string("'in <string>' requires string as left operand, not ") + a.TypeName());
    }
    RLM_RETURN_IF_ERROR(ApplyTest("in", a, {b}, out));
    if (op == "notin") *out = !*out;
    return Status::Ok();
  }
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  bool lt;
  if (op == "<") return Value::Less(a, b, out);
  if (op == ">") return Value::Less(b, a, out);
  if (op == "<=") {
    RLM_RETURN_IF_ERROR(Value::Less(b, a, &lt));
    *out = !lt;
    return Status::Ok();
  }
  RLM_RETURN_IF_ERROR(Value::Less(a, b, &lt));  // >=
  *out = !lt;
  return Status::Ok();
}

Status Interpreter::Eval(const Expr& e, Value* out) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      *out = e.literal;
      return Status::Ok();
    case Expr::Kind::kName:
      *out = Lookup(e.name);
      return Status::Ok();
    case Expr::Kind::kList:
    case Expr::Kind::kTuple: {
      Value::List items(e.args.size());
      for (size_t i = 0; i < e.args.size(); i++) RLM_RETURN_IF_ERROR(Eval(*e.args[i], &items[i]));
      *out = e.kind == Expr::Kind::kTuple ? Value::MakeTuple(std::move(items))
                                          : Value::MakeList(std::move(items));
      return Status::Ok();
    }
    case Expr::Kind::kDict: {
      Value::Dict items;
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Value k, v;
        RLM_RETURN_IF_ERROR(Eval(*e.args[i], &k));
        RLM_RETURN_IF_ERROR(Eval(*e.args[i + 1], &v));
        if (!k.is_string()) return At(e.args[i]->offset, Err("only string dict keys are supported"));
        bool replaced = false;
        for (auto& kv : items) {
          if (kv.first == k.str()) {
            kv.second = v;
            replaced = true;
          }
        }
        if (!replaced) items.emplace_back(k.str(), std::move(v));
      }
      *out = Value::MakeDict(std::move(items));
      return Status::Ok();
    }
    case Expr::Kind::kAttr: {
      Value obj;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &obj));
      if (obj.is_undefined()) return At(e.offset, UndefinedError(obj));
      *out = GetAttr(obj, e.name);
      return Status::Ok();
    }
    case Expr::Kind::kItem: {
      Value obj, key;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &obj));
      RLM_RETURN_IF_ERROR(Eval(*e.args[1], &key));
      if (obj.is_undefined()) return At(e.offset, UndefinedError(obj));
      return At(e.offset, GetItem(obj, key, out));
    }
    case Expr::Kind::kSlice: {
      Value obj;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &obj));
      if (obj.is_undefined()) return At(e.offset, UndefinedError(obj));
      std::optional<int64_t> parts[3];
      for (int i = 0; i < 3; i++) {
        if (!e.args[i + 1]) continue;
        Value v;
        RLM_RETURN_IF_ERROR(Eval(*e.args[i + 1], &v));
        if (v.is_none()) continue;
        if (!v.is_int() && !v.is_bool()) return At(e.offset, Err("slice indices must be integers or None"));
        parts[i] = v.int_value();
      }
      int64_t step = parts[2].value_or(1);
      if (step == 0) return At(e.offset, Err("slice step cannot be zero"));
      std::vector<int64_t> idx;
      if (obj.is_list()) {
        PySliceIndices(obj.list().size(), parts[0], parts[1], step, &idx);
        Value::List items;
        for (int64_t i : idx) items.push_back(obj.list()[i]);
        *out = Value::MakeList(std::move(items));
      } else if (obj.is_string()) {
        std::vector<std::string_view> cps = SplitCodePoints(obj.str());
        PySliceIndices(cps.size(), parts[0], parts[1], step, &idx);
        std::string s;
        for (int64_t i : idx) s += cps[i];
        *out = Value::String(std::move(s));
      } else {
        return At(e.offset, Err(std::string("'") + obj.TypeName() + "' object is not subscriptable"));
      }
      return Status::Ok();
    }
    case Expr::Kind::kCall: {
      Value fn;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &fn));
      if (fn.is_undefined()) return At(e.offset, UndefinedError(fn));
      if (!fn.is_function()) return At(e.offset, Err(std::string("'") + fn.TypeName() + "' object is not callable"));
      CallArgs args;
      RLM_RETURN_IF_ERROR(EvalArgs(e, 1, &args));
      return At(e.offset, fn.function()(args, out));
    }
    case Expr::Kind::kFilter: {
      Value input;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &input));
      CallArgs args;
      RLM_RETURN_IF_ERROR(EvalArgs(e, 1, &args));
      return At(e.offset, ApplyFilter(e.name, input, args, out));
    }
    case Expr::Kind::kTest: {
      Value subject;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &subject));
      CallArgs args;
      RLM_RETURN_IF_ERROR(EvalArgs(e, 1, &args));
      bool result;
      RLM_RETURN_IF_ERROR(At(e.offset, ApplyTest(e.name, subject, args.positional, &result)));
      *out = Value::Bool(result != e.negated);
      return Status::Ok();
    }
    case Expr::Kind::kNeg:
    case Expr::Kind::kPos: {
      Value v;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &v));
      if (!v.is_number()) {
        return At(e.offset, Err(std::string("bad operand type for unary ") +
                                (e.kind == Expr::Kind::kNeg ? "-" : "+") + ": '" + v.TypeName() + "'"));
      }
      if (e.kind == Expr::Kind::kPos) {
        *out = v.is_float() ? v : Value::Int(v.int_value());
      } else {
        *out = v.is_float() ? Value::Float(-v.number()) : Value::Int(-v.int_value());
      }
      return Status::Ok();
    }
    case Expr::Kind::kNot: {
      Value v;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &v));
      *out = Value::Bool(!v.Truthy());
      return Status::Ok();
    }
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr: {
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], out));
      bool short_circuit = out->Truthy() == (e.kind == Expr::Kind::kOr);
      if (short_circuit) return Status::Ok();
      return Eval(*e.args[1], out);
    }
    case Expr::Kind::kBinary: {
      Value a, b;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &a));
      RLM_RETURN_IF_ERROR(Eval(*e.args[1], &b));
      return At(e.offset, EvalBinary(e, a, b, out));
    }
    case Expr::Kind::kCompare: {
      Value left;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &left));
      for (size_t i = 0; i < e.ops.size(); i++) {
        Value right;
        RLM_RETURN_IF_ERROR(Eval(*e.args[i + 1], &right));
        bool ok;
        RLM_RETURN_IF_ERROR(At(e.offset, EvalCompare(e.ops[i], left, right, &ok)));
        if (!ok) {
          *out = Value::Bool(false);
          return Status::Ok();
        }
        left = std::move(right);
      }
      *out = Value::Bool(true);
      return Status::Ok();
    }
    case Expr::Kind::kCond: {
      Value cond;
      RLM_RETURN_IF_ERROR(Eval(*e.args[0], &cond));
      if (cond.Truthy()) return Eval(*e.args[1], out);
      if (e.args[2]) return Eval(*e.args[2], out);
      *out = Value::Undefined("the inline if-expression on " + lexer_->Where(e.offset) +
                              " evaluated to false and no else section was defined.");
      return Status::Ok();
    }
  }
  return Status::Internal("unknown expression kind");
}

}  // namespace radixlm::chat
