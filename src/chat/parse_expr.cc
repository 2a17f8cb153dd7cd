// Parser: expressions, by jinja2's precedence (lowest first): conditional,
// or, and, not, comparisons, + -, ~, * / // %, **, unary, then postfix
// (attribute, subscript, call) and filters / tests.
#include <algorithm>

#include "chat/builtins.h"
#include "chat/parser.h"

namespace radixlm::chat {
namespace {

ExprPtr MakeExpr(Expr::Kind kind, size_t offset) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->offset = offset;
  return e;
}

// Sets e->depth from its children.
void SetDepth(Expr* e) {
  int d = 0;
  for (const auto& a : e->args) d = a ? std::max(d, a->depth) : d;
  for (const auto& kv : e->kwargs) d = std::max(d, kv.second->depth);
  e->depth = d + 1;
}

ExprPtr MakeBinary(Expr::Kind kind, size_t offset, ExprPtr a, ExprPtr b, std::string op = "") {
  ExprPtr e = MakeExpr(kind, offset);
  e->name = std::move(op);
  e->args.push_back(std::move(a));
  e->args.push_back(std::move(b));
  SetDepth(e.get());
  return e;
}

// Expressions deeper than this are refused, so evaluating and freeing them
// cannot exhaust the stack.
constexpr int kMaxExprDepth = 4 * kMaxNestingDepth;

}  // namespace


Status Parser::CheckDepth(Expr* e) {
  SetDepth(e);
  if (e->depth > kMaxExprDepth) return Error(e->offset, "expression nested too deeply");
  return Status::Ok();
}

Status Parser::ParseTuple(ExprPtr* out) {
  size_t offset = Peek().offset;
  ExprPtr first;
  RLM_RETURN_IF_ERROR(ParseCond(&first));
  if (!IsOp(",")) {
    *out = std::move(first);
    return Status::Ok();
  }
  ExprPtr tuple = MakeExpr(Expr::Kind::kTuple, offset);
  tuple->args.push_back(std::move(first));
  while (IsOp(",")) {
    pos_++;
    if (Peek().kind == Token::Kind::kEnd) break;
    ExprPtr item;
    RLM_RETURN_IF_ERROR(ParseCond(&item));
    tuple->args.push_back(std::move(item));
  }
  RLM_RETURN_IF_ERROR(CheckDepth(tuple.get()));
  *out = std::move(tuple);
  return Status::Ok();
}

Status Parser::ParseCond(ExprPtr* out) {
  RLM_RETURN_IF_ERROR(ParseOr(out));
  while (IsName("if")) {
    size_t offset = Peek().offset;
    pos_++;
    ExprPtr cond, other;
    RLM_RETURN_IF_ERROR(ParseOr(&cond));
    if (IsName("else")) {
      pos_++;
      RLM_RETURN_IF_ERROR(ParseCond(&other));
    }
    ExprPtr e = MakeExpr(Expr::Kind::kCond, offset);
    e->args.push_back(std::move(cond));
    e->args.push_back(std::move(*out));
    e->args.push_back(std::move(other));
    *out = std::move(e);
    RLM_RETURN_IF_ERROR(CheckDepth(out->get()));
  }
  return Status::Ok();
}

Status Parser::ParseOr(ExprPtr* out) {
  RLM_RETURN_IF_ERROR(ParseAnd(out));
  while (IsName("or")) {
    size_t offset = Peek().offset;
    pos_++;
    ExprPtr rhs;
    RLM_RETURN_IF_ERROR(ParseAnd(&rhs));
    *out = MakeBinary(Expr::Kind::kOr, offset, std::move(*out), std::move(rhs));
    RLM_RETURN_IF_ERROR(CheckDepth(out->get()));
  }
  return Status::Ok();
}

Status Parser::ParseAnd(ExprPtr* out) {
  RLM_RETURN_IF_ERROR(ParseNot(out));
  while (IsName("and")) {
    size_t offset = Peek().offset;
    pos_++;
    ExprPtr rhs;
    RLM_RETURN_IF_ERROR(ParseNot(&rhs));
    *out = MakeBinary(Expr::Kind::kAnd, offset, std::move(*out), std::move(rhs));
    RLM_RETURN_IF_ERROR(CheckDepth(out->get()));
  }
  return Status::Ok();
}

Status Parser::ParseNot(ExprPtr* out) {
  if (!IsName("not")) return ParseCompare(out);
  size_t offset = Peek().offset;
  pos_++;
  if (++depth_ > kMaxNestingDepth) return Error(offset, "expression nested too deeply");
  ExprPtr e = MakeExpr(Expr::Kind::kNot, offset);
  e->args.emplace_back();
  RLM_RETURN_IF_ERROR(ParseNot(&e->args[0]));
  RLM_RETURN_IF_ERROR(CheckDepth(e.get()));
  depth_--;
  *out = std::move(e);
  return Status::Ok();
}

Status Parser::ParseCompare(ExprPtr* out) {
  size_t offset = Peek().offset;
  ExprPtr first;
  RLM_RETURN_IF_ERROR(ParseMath1(&first));
  ExprPtr cmp;
  while (true) {
    std::string op;
    const Token& t = Peek();
    if (t.kind == Token::Kind::kOp && (t.text == "==" || t.text == "!=" || t.text == "<" ||
                                       t.text == "<=" || t.text == ">" || t.text == ">=")) {
      op = t.text;
      pos_++;
    } else if (IsName("in")) {
      op = "in";
      pos_++;
    } else if (IsName("not") && IsName("in", 1)) {
      op = "notin";
      pos_ += 2;
    } else {
      break;
    }
    if (!cmp) {
      cmp = MakeExpr(Expr::Kind::kCompare, offset);
      cmp->args.push_back(std::move(first));
    }
    ExprPtr rhs;
    RLM_RETURN_IF_ERROR(ParseMath1(&rhs));
    cmp->ops.push_back(op);
    cmp->args.push_back(std::move(rhs));
    RLM_RETURN_IF_ERROR(CheckDepth(cmp.get()));
  }
  *out = cmp ? std::move(cmp) : std::move(first);
  return Status::Ok();
}

Status Parser::ParseMath1(ExprPtr* out) {
  RLM_RETURN_IF_ERROR(ParseConcat(out));
  while (IsOp("+") || IsOp("-")) {
    const Token& t = Peek();
    size_t offset = t.offset;
    std::string op = t.text;
    pos_++;
    ExprPtr rhs;
    RLM_RETURN_IF_ERROR(ParseConcat(&rhs));
    *out = MakeBinary(Expr::Kind::kBinary, offset, std::move(*out), std::move(rhs), op);
    RLM_RETURN_IF_ERROR(CheckDepth(out->get()));
  }
  return Status::Ok();
}

Status Parser::ParseConcat(ExprPtr* out) {
  RLM_RETURN_IF_ERROR(ParseMath2(out));
  while (IsOp("~")) {
    size_t offset = Peek().offset;
    pos_++;
    ExprPtr rhs;
    RLM_RETURN_IF_ERROR(ParseMath2(&rhs));
    *out = MakeBinary(Expr::Kind::kBinary, offset, std::move(*out), std::move(rhs), "~");
    RLM_RETURN_IF_ERROR(CheckDepth(out->get()));
  }
  return Status::Ok();
}

Status Parser::ParseMath2(ExprPtr* out) {
  RLM_RETURN_IF_ERROR(ParsePow(out));
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    const Token& t = Peek();
    size_t offset = t.offset;
    std::string op = t.text;
    pos_++;
    ExprPtr rhs;
    RLM_RETURN_IF_ERROR(ParsePow(&rhs));
    *out = MakeBinary(Expr::Kind::kBinary, offset, std::move(*out), std::move(rhs), op);
    RLM_RETURN_IF_ERROR(CheckDepth(out->get()));
  }
  return Status::Ok();
}

Status Parser::ParsePow(ExprPtr* out) {
  RLM_RETURN_IF_ERROR(ParseUnary(true, out));
  while (IsOp("**")) {
    size_t offset = Peek().offset;
    pos_++;
    ExprPtr rhs;
    RLM_RETURN_IF_ERROR(ParseUnary(true, &rhs));
    *out = MakeBinary(Expr::Kind::kBinary, offset, std::move(*out), std::move(rhs), "**");
    RLM_RETURN_IF_ERROR(CheckDepth(out->get()));
  }
  return Status::Ok();
}

Status Parser::ParseUnary(bool with_filter, ExprPtr* out) {
  size_t offset = Peek().offset;
  if (++depth_ > kMaxNestingDepth) return Error(offset, "expression nested too deeply");
  if (IsOp("-") || IsOp("+")) {
    ExprPtr e = MakeExpr(IsOp("-") ? Expr::Kind::kNeg : Expr::Kind::kPos, offset);
    pos_++;
    e->args.emplace_back();
    RLM_RETURN_IF_ERROR(ParseUnary(false, &e->args[0]));
    *out = std::move(e);
  } else {
    RLM_RETURN_IF_ERROR(ParsePrimary(out));
  }
  RLM_RETURN_IF_ERROR(ParsePostfix(out));
  if (with_filter) RLM_RETURN_IF_ERROR(ParseFilterExpr(out));
  depth_--;
  return Status::Ok();
}

Status Parser::ParsePrimary(ExprPtr* out) {
  const Token& t = Peek();
  size_t offset = t.offset;
  switch (t.kind) {
    case Token::Kind::kName: {
      ExprPtr e = MakeExpr(Expr::Kind::kLiteral, offset);
      if (t.text == "true" || t.text == "True") {
        e->literal = Value::Bool(true);
      } else if (t.text == "false" || t.text == "False") {
        e->literal = Value::Bool(false);
      } else if (t.text == "none" || t.text == "None") {
        e->literal = Value::None();
      } else {
        e->kind = Expr::Kind::kName;
        e->name = t.text;
      }
      pos_++;
      *out = std::move(e);
      return Status::Ok();
    }
    case Token::Kind::kString: {
      std::string s;
      while (Peek().kind == Token::Kind::kString) s += (*toks_)[pos_++].text;
      ExprPtr e = MakeExpr(Expr::Kind::kLiteral, offset);
      e->literal = Value::String(std::move(s));
      *out = std::move(e);
      return Status::Ok();
    }
    case Token::Kind::kInt:
    case Token::Kind::kFloat: {
      ExprPtr e = MakeExpr(Expr::Kind::kLiteral, offset);
      e->literal = t.kind == Token::Kind::kInt ? Value::Int(t.int_value) : Value::Float(t.float_value);
      pos_++;
      *out = std::move(e);
      return Status::Ok();
    }
    case Token::Kind::kEnd:
      return Error(offset, "expected an expression, got end of tag");
    case Token::Kind::kOp:
      break;
  }
  if (t.text == "(") {
    pos_++;
    if (IsOp(")")) {
      pos_++;
      *out = MakeExpr(Expr::Kind::kTuple, offset);
      return Status::Ok();
    }
    RLM_RETURN_IF_ERROR(ParseTuple(out));
    return Expect(")");
  }
  if (t.text == "[" || t.text == "{") {
    bool is_dict = t.text == "{";
    const char* close = is_dict ? "}" : "]";
    ExprPtr e = MakeExpr(is_dict ? Expr::Kind::kDict : Expr::Kind::kList, offset);
    pos_++;
    while (!IsOp(close)) {
      ExprPtr item;
      RLM_RETURN_IF_ERROR(ParseCond(&item));
      e->args.push_back(std::move(item));
      if (is_dict) {
        RLM_RETURN_IF_ERROR(Expect(":"));
        ExprPtr value;
        RLM_RETURN_IF_ERROR(ParseCond(&value));
        e->args.push_back(std::move(value));
      }
      if (!IsOp(",")) break;
      pos_++;
    }
    RLM_RETURN_IF_ERROR(Expect(close));
    *out = std::move(e);
    return Status::Ok();
  }
  return Error(offset, "unexpected '" + t.text + "'");
}

Status Parser::ParsePostfix(ExprPtr* node) {
  while (true) {
    RLM_RETURN_IF_ERROR(CheckDepth(node->get()));
    size_t offset = Peek().offset;
    if (IsOp(".")) {
      pos_++;
      const Token& t = Peek();
      if (t.kind == Token::Kind::kInt) {
        ExprPtr index = MakeExpr(Expr::Kind::kLiteral, t.offset);
        index->literal = Value::Int(t.int_value);
        pos_++;
        *node = MakeBinary(Expr::Kind::kItem, offset, std::move(*node), std::move(index));
        RLM_RETURN_IF_ERROR(CheckDepth(node->get()));
        continue;
      }
      ExprPtr e = MakeExpr(Expr::Kind::kAttr, offset);
      RLM_RETURN_IF_ERROR(ExpectName(&e->name));
      e->args.push_back(std::move(*node));
      *node = std::move(e);
    } else if (IsOp("[")) {
      pos_++;
      ExprPtr parts[3];
      bool is_slice = false;
      for (int i = 0; i < 3; i++) {
        if (!IsOp(":") && !IsOp("]")) RLM_RETURN_IF_ERROR(ParseCond(&parts[i]));
        if (i < 2 && IsOp(":")) {
          is_slice = true;
          pos_++;
        } else {
          break;
        }
      }
      RLM_RETURN_IF_ERROR(Expect("]"));
      if (!is_slice) {
        if (!parts[0]) return Error(offset, "empty subscript");
        *node = MakeBinary(Expr::Kind::kItem, offset, std::move(*node), std::move(parts[0]));
      } else {
        ExprPtr e = MakeExpr(Expr::Kind::kSlice, offset);
        e->args.push_back(std::move(*node));
        for (auto& p : parts) e->args.push_back(std::move(p));
        *node = std::move(e);
      }
    } else if (IsOp("(")) {
      ExprPtr e = MakeExpr(Expr::Kind::kCall, offset);
      e->args.push_back(std::move(*node));
      RLM_RETURN_IF_ERROR(ParseCallArgs(e.get()));
      *node = std::move(e);
    } else {
      return Status::Ok();
    }
  }
}

Status Parser::ParseCallArgs(Expr* call) {
  RLM_RETURN_IF_ERROR(Expect("("));
  while (!IsOp(")")) {
    if (IsOp("*") || IsOp("**")) return Error(Peek().offset, "unsupported construct: *args in call");
    if (Peek().kind == Token::Kind::kName && IsOp("=", 1)) {
      std::string key = Peek().text;
      pos_ += 2;
      ExprPtr value;
      RLM_RETURN_IF_ERROR(ParseCond(&value));
      call->kwargs.emplace_back(key, std::move(value));
    } else {
      if (!call->kwargs.empty()) {
        return Error(Peek().offset, "positional argument follows keyword argument");
      }
      ExprPtr arg;
      RLM_RETURN_IF_ERROR(ParseCond(&arg));
      call->args.push_back(std::move(arg));
    }
    if (!IsOp(",")) break;
    pos_++;
  }
  return Expect(")");
}

Status Parser::ParseFilterExpr(ExprPtr* node) {
  while (true) {
    RLM_RETURN_IF_ERROR(CheckDepth(node->get()));
    size_t offset = Peek().offset;
    if (IsOp("|")) {
      pos_++;
      ExprPtr e = MakeExpr(Expr::Kind::kFilter, offset);
      size_t name_offset = Peek().offset;
      RLM_RETURN_IF_ERROR(ExpectName(&e->name));
      if (!IsKnownFilter(e->name)) return Error(name_offset, "unknown filter '" + e->name + "'");
      e->args.push_back(std::move(*node));
      if (IsOp("(")) RLM_RETURN_IF_ERROR(ParseCallArgs(e.get()));
      *node = std::move(e);
    } else if (IsName("is")) {
      pos_++;
      ExprPtr e = MakeExpr(Expr::Kind::kTest, offset);
      if (IsName("not")) {
        e->negated = true;
        pos_++;
      }
      size_t name_offset = Peek().offset;
      RLM_RETURN_IF_ERROR(ExpectName(&e->name));
      if (!IsKnownTest(e->name)) return Error(name_offset, "unknown test '" + e->name + "'");
      e->args.push_back(std::move(*node));
      const Token& t = Peek();
      if (IsOp("(")) {
        RLM_RETURN_IF_ERROR(ParseCallArgs(e.get()));
      } else if ((t.kind == Token::Kind::kName && t.text != "else" && t.text != "or" &&
                  t.text != "and" && t.text != "if" && t.text != "is") ||
                 t.kind == Token::Kind::kString || t.kind == Token::Kind::kInt ||
                 t.kind == Token::Kind::kFloat || IsOp("[") || IsOp("{")) {
        ExprPtr arg;
        RLM_RETURN_IF_ERROR(ParsePrimary(&arg));
        RLM_RETURN_IF_ERROR(ParsePostfix(&arg));
        e->args.push_back(std::move(arg));
      }
      *node = std::move(e);
    } else if (IsOp("(")) {
      ExprPtr e = MakeExpr(Expr::Kind::kCall, offset);
      e->args.push_back(std::move(*node));
      RLM_RETURN_IF_ERROR(ParseCallArgs(e.get()));
      *node = std::move(e);
    } else {
      return Status::Ok();
    }
  }
}

}  // namespace radixlm::chat
