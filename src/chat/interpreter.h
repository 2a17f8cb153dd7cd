// Interpreter: renders a parsed template against a set of variables with
// jinja2's semantics: scoping (a for loop's body gets a fresh scope each
// iteration; if does not scope; namespace() objects carry state out of
// loops), the loop variable, break/continue, macros, and Python operators.
//
// Thread safety: one Interpreter per render; the tree it walks is shared
// read-only.
#ifndef RADIXLM_CHAT_INTERPRETER_H_
#define RADIXLM_CHAT_INTERPRETER_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "chat/ast.h"
#include "chat/lexer.h"
#include "chat/value.h"

namespace radixlm::chat {

class Interpreter {
 public:
  // lexer maps offsets to positions for errors; it must outlive this.
  // now_unix_seconds is the time strftime_now() formats (UTC).
  Interpreter(const Lexer* lexer, int64_t now_unix_seconds);
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Defines a template variable (messages, bos_token, ...).
  void SetVariable(const std::string& name, Value value);

  // Renders nodes, appending to *out. Runtime errors are InvalidArgument
  // naming line and column, except raise_exception(msg), whose status
  // message is msg itself.
  Status Render(const NodeList& nodes, std::string* out);

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  using Frame = std::unordered_map<std::string, Value>;

  Status Exec(const NodeList& nodes, std::string* out);
  Status ExecFor(const Node& node, std::string* out);
  Status ExecSet(const Node& node, std::string* out);
  Status CallMacro(const Node& macro, const CallArgs& args, Value* out);
  Status Eval(const Expr& e, Value* out);
  Status EvalBinary(const Expr& e, const Value& a, const Value& b, Value* out);
  Status EvalCompare(const std::string& op, const Value& a, const Value& b, bool* out);
  Status EvalArgs(const Expr& e, size_t first, CallArgs* args);
  Value Lookup(const std::string& name) const;
  void Assign(const std::string& name, Value v) { frames_.back()[name] = std::move(v); }
  void InstallGlobals();
  // Adds "line L, column C" to an error that lacks a position.
  Status At(size_t offset, const Status& s) const;

  const Lexer* lexer_;
  int64_t now_;
  std::vector<Frame> frames_;  // [0] globals, [1] template, then loops / macros
  Flow flow_ = Flow::kNormal;
  int depth_ = 0;
  int64_t iterations_ = 0;
  bool raised_ = false;  // the error came from raise_exception()
};

}  // namespace radixlm::chat

#endif  // RADIXLM_CHAT_INTERPRETER_H_
