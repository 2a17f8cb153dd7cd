// Lexer: splits a Jinja template into text and tags and tokenizes the
// expressions inside tags, applying whitespace control the way jinja2 does
// under Hugging Face's settings (trim_blocks, lstrip_blocks, no trailing
// newline kept, "\r\n" and "\r" read as "\n").
#ifndef RADIXLM_CHAT_LEXER_H_
#define RADIXLM_CHAT_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace radixlm::chat {

struct Token {
  enum class Kind { kName, kString, kInt, kFloat, kOp, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // name, operator, or the unescaped string literal
  int64_t int_value = 0;
  double float_value = 0;
  size_t offset = 0;  // byte offset in the normalized source
};

// A piece of the template: literal text, an {{ expression }} or a
// {% statement %}. Tag tokens end with a kEnd token placed at the closing
// delimiter.
struct Segment {
  enum class Kind { kText, kExpression, kStatement };
  Kind kind = Kind::kText;
  std::string text;            // kText only
  std::vector<Token> tokens;   // tags only
  size_t offset = 0;           // where the segment starts
};

struct LexOptions {
  // Remove the first newline after a block or comment tag. HF: true.
  bool trim_blocks = true;
  // Strip spaces and tabs before a block or comment tag that starts a line.
  // HF: true.
  bool lstrip_blocks = true;
};

class Lexer {
 public:
  // Normalizes newlines in source and drops one trailing newline.
  explicit Lexer(std::string_view source, LexOptions options = {});

  // Fills *out with the template's segments. Returns InvalidArgument naming
  // line and column for an unterminated tag, comment or string, or a bad
  // character.
  Status Lex(std::vector<Segment>* out);

  // "line L, column C" for a byte offset into the normalized source.
  std::string Where(size_t offset) const;

 private:
  Status LexTag(bool is_block, size_t begin, size_t* end, std::vector<Token>* tokens,
                char* close_sign);
  Status LexRaw(size_t after_open, size_t* pos, std::vector<Segment>* out, bool* line_starting);
  Status Error(size_t offset, const std::string& msg) const;

  std::string src_;
  LexOptions options_;
  std::vector<size_t> line_starts_;
};

}  // namespace radixlm::chat

#endif  // RADIXLM_CHAT_LEXER_H_
