#include "chat/parser.h"

#include "chat/builtins.h"

namespace radixlm::chat {
namespace {

const char* const kUnsupportedStatements[] = {
    "include", "extends", "block", "import", "from", "call", "filter", "with",
    "autoescape", "do", "trans", "pluralize"};

}  // namespace

Parser::Parser(const Lexer* lexer, std::vector<Segment> segments)
    : lexer_(lexer), segments_(std::move(segments)) {}

Status Parser::Error(size_t offset, const std::string& msg) const {
  return Status::InvalidArgument("chat template: " + lexer_->Where(offset) + ": " + msg);
}

const Token& Parser::Peek(size_t ahead) const {
  size_t i = pos_ + ahead;
  return i < toks_->size() ? (*toks_)[i] : toks_->back();
}

bool Parser::IsOp(const char* op, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == Token::Kind::kOp && t.text == op;
}

bool Parser::IsName(const char* name, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == Token::Kind::kName && t.text == name;
}

Status Parser::Expect(const char* op) {
  if (!IsOp(op)) {
    const Token& t = Peek();
    return Error(t.offset, std::string("expected '") + op + "', got " +
                               (t.kind == Token::Kind::kEnd ? "end of tag" : "'" + t.text + "'"));
  }
  pos_++;
  return Status::Ok();
}

Status Parser::ExpectName(std::string* name) {
  const Token& t = Peek();
  if (t.kind != Token::Kind::kName) {
    return Error(t.offset, "expected a name, got " +
                               (t.kind == Token::Kind::kEnd ? std::string("end of tag") : "'" + t.text + "'"));
  }
  *name = t.text;
  pos_++;
  return Status::Ok();
}

Status Parser::ExpectEnd() {
  const Token& t = Peek();
  if (t.kind != Token::Kind::kEnd) return Error(t.offset, "unexpected '" + t.text + "' in tag");
  return Status::Ok();
}

Status Parser::Parse(NodeList* out) {
  std::string found;
  return ParseBody({}, out, &found);
}

Status Parser::ParseBody(const std::vector<std::string>& ends, NodeList* out, std::string* found) {
  if (++depth_ > kMaxNestingDepth) {
    return Error(seg_ > 0 ? segments_[seg_ - 1].offset : 0, "blocks nested too deeply");
  }
  while (seg_ < segments_.size()) {
    Segment& seg = segments_[seg_];
    if (seg.kind == Segment::Kind::kText) {
      auto node = std::make_unique<Node>();
      node->offset = seg.offset;
      node->text = std::move(seg.text);
      out->push_back(std::move(node));
      seg_++;
      continue;
    }
    toks_ = &seg.tokens;
    pos_ = 0;
    if (seg.kind == Segment::Kind::kExpression) {
      auto node = std::make_unique<Node>();
      node->kind = Node::Kind::kOutput;
      node->offset = seg.offset;
      RLM_RETURN_IF_ERROR(ParseTuple(&node->expr));
      RLM_RETURN_IF_ERROR(ExpectEnd());
      out->push_back(std::move(node));
      seg_++;
      continue;
    }
    const Token& kw = Peek();
    if (kw.kind != Token::Kind::kName) return Error(seg.offset, "expected a statement name");
    for (const std::string& end : ends) {
      if (kw.text == end) {
        *found = end;
        depth_--;
        return Status::Ok();  // the caller consumes the end tag
      }
    }
    RLM_RETURN_IF_ERROR(ParseStatement(out));
  }
  if (!ends.empty()) {
    std::string want;
    for (const std::string& e : ends) want += (want.empty() ? "'" : " or '") + e + "'";
    return Error(segments_.empty() ? 0 : segments_.back().offset,
                 "unexpected end of template, expected " + want);
  }
  depth_--;
  return Status::Ok();
}

Status Parser::ParseStatement(NodeList* out) {
  const Segment& seg = segments_[seg_];
  const std::string kw = Peek().text;
  NodePtr node;
  if (kw == "if") {
    RLM_RETURN_IF_ERROR(ParseIf(&node));
  } else if (kw == "for") {
    RLM_RETURN_IF_ERROR(ParseFor(&node));
  } else if (kw == "set") {
    RLM_RETURN_IF_ERROR(ParseSet(&node));
  } else if (kw == "macro") {
    RLM_RETURN_IF_ERROR(ParseMacro(&node));
  } else if (kw == "break" || kw == "continue") {
    if (loop_depth_ == 0) return Error(seg.offset, "'" + kw + "' outside of a loop");
    pos_++;
    RLM_RETURN_IF_ERROR(ExpectEnd());
    node = std::make_unique<Node>();
    node->kind = kw == "break" ? Node::Kind::kBreak : Node::Kind::kContinue;
    node->offset = seg.offset;
    seg_++;
  } else if (kw == "generation") {
    // Hugging Face's assistant-mask extension: renders its body in place.
    pos_++;
    RLM_RETURN_IF_ERROR(ExpectEnd());
    seg_++;
    node = std::make_unique<Node>();
    node->kind = Node::Kind::kScope;
    node->offset = seg.offset;
    std::string found;
    RLM_RETURN_IF_ERROR(ParseBody({"endgeneration"}, &node->body, &found));
    seg_++;
  } else {
    for (const char* bad : kUnsupportedStatements) {
      if (kw == bad) return Error(seg.offset, "unsupported statement '" + kw + "'");
    }
    return Error(seg.offset, "unknown or unexpected statement '" + kw + "'");
  }
  out->push_back(std::move(node));
  return Status::Ok();
}

Status Parser::ParseIf(NodePtr* out) {
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kIf;
  node->offset = segments_[seg_].offset;
  pos_++;  // if
  while (true) {
    ExprPtr cond;
    RLM_RETURN_IF_ERROR(ParseTuple(&cond));
    RLM_RETURN_IF_ERROR(ExpectEnd());
    seg_++;
    NodeList body;
    std::string found;
    RLM_RETURN_IF_ERROR(ParseBody({"elif", "else", "endif"}, &body, &found));
    node->branches.emplace_back(std::move(cond), std::move(body));
    pos_ = 1;
    if (found == "elif") continue;
    if (found == "else") {
      RLM_RETURN_IF_ERROR(ExpectEnd());
      seg_++;
      NodeList else_body;
      RLM_RETURN_IF_ERROR(ParseBody({"endif"}, &else_body, &found));
      node->branches.emplace_back(nullptr, std::move(else_body));
      pos_ = 1;
    }
    RLM_RETURN_IF_ERROR(ExpectEnd());
    seg_++;
    break;
  }
  *out = std::move(node);
  return Status::Ok();
}

Status Parser::ParseFor(NodePtr* out) {
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kFor;
  node->offset = segments_[seg_].offset;
  pos_++;  // for
  bool parens = IsOp("(");
  if (parens) pos_++;
  while (true) {
    std::string target;
    RLM_RETURN_IF_ERROR(ExpectName(&target));
    node->targets.push_back(target);
    if (!IsOp(",")) break;
    pos_++;
  }
  if (parens) RLM_RETURN_IF_ERROR(Expect(")"));
  if (!IsName("in")) return Error(Peek().offset, "expected 'in' in for loop");
  pos_++;
  RLM_RETURN_IF_ERROR(ParseOr(&node->expr));
  if (IsName("if")) {
    pos_++;
    RLM_RETURN_IF_ERROR(ParseCond(&node->filter));
  }
  if (IsName("recursive")) return Error(Peek().offset, "unsupported construct 'recursive' loop");
  RLM_RETURN_IF_ERROR(ExpectEnd());
  seg_++;
  loop_depth_++;
  std::string found;
  RLM_RETURN_IF_ERROR(ParseBody({"else", "endfor"}, &node->body, &found));
  loop_depth_--;
  pos_ = 1;
  if (found == "else") {
    RLM_RETURN_IF_ERROR(ExpectEnd());
    seg_++;
    RLM_RETURN_IF_ERROR(ParseBody({"endfor"}, &node->else_body, &found));
    pos_ = 1;
  }
  RLM_RETURN_IF_ERROR(ExpectEnd());
  seg_++;
  *out = std::move(node);
  return Status::Ok();
}

Status Parser::ParseSet(NodePtr* out) {
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kSet;
  node->offset = segments_[seg_].offset;
  pos_++;  // set
  std::string target;
  RLM_RETURN_IF_ERROR(ExpectName(&target));
  node->targets.push_back(target);
  if (IsOp(".")) {
    pos_++;
    RLM_RETURN_IF_ERROR(ExpectName(&node->attr));
  } else {
    while (IsOp(",")) {
      pos_++;
      RLM_RETURN_IF_ERROR(ExpectName(&target));
      node->targets.push_back(target);
    }
  }
  if (IsOp("=")) {
    pos_++;
    RLM_RETURN_IF_ERROR(ParseTuple(&node->expr));
    RLM_RETURN_IF_ERROR(ExpectEnd());
    seg_++;
  } else {
    if (node->targets.size() != 1 || !node->attr.empty()) {
      return Error(Peek().offset, "block set needs a single plain name");
    }
    if (IsOp("|")) return Error(Peek().offset, "unsupported construct: filter on block set");
    RLM_RETURN_IF_ERROR(ExpectEnd());
    node->kind = Node::Kind::kSetBlock;
    seg_++;
    std::string found;
    RLM_RETURN_IF_ERROR(ParseBody({"endset"}, &node->body, &found));
    pos_ = 1;
    RLM_RETURN_IF_ERROR(ExpectEnd());
    seg_++;
  }
  *out = std::move(node);
  return Status::Ok();
}

Status Parser::ParseMacro(NodePtr* out) {
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kMacro;
  node->offset = segments_[seg_].offset;
  pos_++;  // macro
  RLM_RETURN_IF_ERROR(ExpectName(&node->name));
  RLM_RETURN_IF_ERROR(Expect("("));
  while (!IsOp(")")) {
    std::string param;
    RLM_RETURN_IF_ERROR(ExpectName(&param));
    ExprPtr def;
    if (IsOp("=")) {
      pos_++;
      RLM_RETURN_IF_ERROR(ParseCond(&def));
    }
    node->params.emplace_back(param, std::move(def));
    if (!IsOp(",")) break;
    pos_++;
  }
  RLM_RETURN_IF_ERROR(Expect(")"));
  RLM_RETURN_IF_ERROR(ExpectEnd());
  seg_++;
  int saved_loop_depth = loop_depth_;
  loop_depth_ = 0;
  std::string found;
  RLM_RETURN_IF_ERROR(ParseBody({"endmacro"}, &node->body, &found));
  loop_depth_ = saved_loop_depth;
  pos_ = 1;
  RLM_RETURN_IF_ERROR(ExpectEnd());
  seg_++;
  *out = std::move(node);
  return Status::Ok();
}

}  // namespace radixlm::chat
