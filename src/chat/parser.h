// Parser: turns the lexer's segments into a syntax tree, rejecting what the
// interpreter does not support (include, extends, block, import, call,
// filter blocks, recursive loops, unknown filters and tests) with an
// InvalidArgument that names line, column and the construct.
#ifndef RADIXLM_CHAT_PARSER_H_
#define RADIXLM_CHAT_PARSER_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "chat/ast.h"
#include "chat/lexer.h"

namespace radixlm::chat {

class Parser {
 public:
  // lexer must outlive the parser (it maps offsets to line and column).
  Parser(const Lexer* lexer, std::vector<Segment> segments);

  // Parses the whole template into *out.
  Status Parse(NodeList* out);

 private:
  // Parses nodes until a statement whose keyword is in `ends` (stored in
  // *found) or, when ends is empty, the end of the template.
  Status ParseBody(const std::vector<std::string>& ends, NodeList* out, std::string* found);
  Status ParseStatement(NodeList* out);
  Status ParseFor(NodePtr* out);
  Status ParseIf(NodePtr* out);
  Status ParseSet(NodePtr* out);
  Status ParseMacro(NodePtr* out);

  // Expressions over the current tag's tokens, lowest precedence first.
  Status ParseTuple(ExprPtr* out);
  Status ParseCond(ExprPtr* out);
  Status ParseOr(ExprPtr* out);
  Status ParseAnd(ExprPtr* out);
  Status ParseNot(ExprPtr* out);
  Status ParseCompare(ExprPtr* out);
  Status ParseMath1(ExprPtr* out);
  Status ParseConcat(ExprPtr* out);
  Status ParseMath2(ExprPtr* out);
  Status ParsePow(ExprPtr* out);
  Status ParseUnary(bool with_filter, ExprPtr* out);
  Status ParsePrimary(ExprPtr* out);
  Status ParsePostfix(ExprPtr* node);
  Status ParseFilterExpr(ExprPtr* node);
  Status ParseCallArgs(Expr* call);
  // Recomputes e->depth; InvalidArgument when the tree gets too deep.
  Status CheckDepth(Expr* e);

  const Token& Peek(size_t ahead = 0) const;
  bool IsOp(const char* op, size_t ahead = 0) const;
  bool IsName(const char* name, size_t ahead = 0) const;
  Status Expect(const char* op);
  Status ExpectName(std::string* name);
  Status ExpectEnd();
  Status Error(size_t offset, const std::string& msg) const;

  const Lexer* lexer_;
  std::vector<Segment> segments_;
  size_t seg_ = 0;                       // next segment
  const std::vector<Token>* toks_ = nullptr;  // tokens of the current tag
  size_t pos_ = 0;                       // next token
  int depth_ = 0;                        // expression / block nesting
  int loop_depth_ = 0;
};

}  // namespace radixlm::chat

#endif  // RADIXLM_CHAT_PARSER_H_
