// Syntax tree of a parsed chat template: expressions (Expr) and statements
// (Node). Built by Parser, walked by Interpreter; immutable after parsing.
#ifndef RADIXLM_CHAT_AST_H_
#define RADIXLM_CHAT_AST_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/value.h"

namespace radixlm::chat {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,   // literal
    kName,      // name
    kList,      // args: items
    kTuple,     // args: items (evaluates to a list)
    kDict,      // kwargs: key expr in args[2i], value in args[2i+1]
    kAttr,      // args[0].name
    kItem,      // args[0][args[1]]
    kSlice,     // args[0][args[1]:args[2]:args[3]], missing parts are null
    kCall,      // args[0](args[1..], kwargs)
    kFilter,    // args[0] | name(args[1..], kwargs)
    kTest,      // args[0] is [not] name(args[1..]); negated
    kNeg,       // -args[0]
    kPos,       // +args[0]
    kNot,       // not args[0]
    kAnd,       // args[0] and args[1]
    kOr,        // args[0] or args[1]
    kBinary,    // args[0] name args[1]; name in + - * / // % ** ~
    kCompare,   // args[0] ops[0] args[1] ops[1] args[2] ...
    kCond,      // args[1] if args[0] else args[2] (args[2] may be null)
  };
  Kind kind = Kind::kLiteral;
  size_t offset = 0;  // source position, for errors
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;  // kCompare: == != < <= > >= in notin
  bool negated = false;
  int depth = 1;  // height of this subtree, bounded by the parser
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

struct Node {
  enum class Kind {
    kText,      // text
    kOutput,    // {{ expr }}
    kIf,        // branches: (condition, body); a null condition is else
    kFor,       // for targets in expr [if filter] body [else else_body]
    kSet,       // set targets = expr, or set targets[0].attr = expr
    kSetBlock,  // set targets[0] %} body {% endset
    kMacro,     // macro name(params) body
    kBreak,
    kContinue,
    kScope,     // body rendered in place ({% generation %})
  };
  Kind kind = Kind::kText;
  size_t offset = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;
  std::vector<std::string> targets;
  std::string attr;
  std::vector<std::pair<ExprPtr, NodeList>> branches;
  NodeList body;
  NodeList else_body;
  std::string name;
  std::vector<std::pair<std::string, ExprPtr>> params;  // default may be null
};

}  // namespace radixlm::chat

#endif  // RADIXLM_CHAT_AST_H_
