#include "chat/lexer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "chat/py_str.h"

namespace radixlm::chat {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Byte length of the whitespace code point at s[pos], or 0.
size_t WhitespaceAt(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  unsigned char c = s[pos];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
  if (pos + n > s.size()) return 0;
  return IsPyWhitespace(s.substr(pos, n)) ? n : 0;
}

size_t SkipWhitespace(std::string_view s, size_t pos) {
  while (size_t n = WhitespaceAt(s, pos)) pos += n;
  return pos;
}

bool AllWhitespace(std::string_view s) { return SkipWhitespace(s, 0) == s.size(); }

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python's "unicode-escape" decoding of a string literal body.
bool Unescape(std::string_view body, std::string* out) {
  for (size_t i = 0; i < body.size(); i++) {
    char c = body[i];
    if (c != '\\' || i + 1 == body.size()) {
      out->push_back(c);
      continue;
    }
    char e = body[++i];
    switch (e) {
      case '\n': break;
      case '\\': out->push_back('\\'); break;
      case '\'': out->push_back('\''); break;
      case '"': out->push_back('"'); break;
      case 'a': out->push_back('\a'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'v': out->push_back('\v'); break;
      case 'x': case 'u': case 'U': {
        size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (size_t k = 0; k < digits; k++) {
          int h = i + 1 + k < body.size() ? HexValue(body[i + 1 + k]) : -1;
          if (h < 0) return false;
          cp = cp * 16 + h;
        }
        if (cp > 0x10FFFF) return false;
        AppendUtf8(cp, out);
        i += digits;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = e - '0';
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; k++) {
            cp = cp * 8 + (body[++i] - '0');
          }
          AppendUtf8(cp, out);
        } else {
          out->push_back('\\');
          out->push_back(e);
        }
    }
  }
  return true;
}

const char* const kOperators[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%",
                                  "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":",
                                  "|", ",", ";"};

}  // namespace

Lexer::Lexer(std::string_view source, LexOptions options) : options_(options) {
  src_.reserve(source.size());
  for (size_t i = 0; i < source.size(); i++) {
    if (source[i] == '\r') {
      src_.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') i++;
    } else {
      src_.push_back(source[i]);
    }
  }
  if (!src_.empty() && src_.back() == '\n') src_.pop_back();
  line_starts_.push_back(0);
  for (size_t i = 0; i < src_.size(); i++) {
    if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

std::string Lexer::Where(size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line = it - line_starts_.begin();
  size_t col = offset - line_starts_[line - 1] + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

Status Lexer::Error(size_t offset, const std::string& msg) const {
  return Status::InvalidArgument("chat template: " + Where(offset) + ": " + msg);
}

Status Lexer::Lex(std::vector<Segment>* out) {
  out->clear();
  std::string_view s = src_;
  size_t pos = 0;
  bool line_starting = true;
  while (pos < s.size()) {
    size_t open = pos;
    while (true) {
      open = s.find('{', open);
      if (open == std::string_view::npos || open + 1 >= s.size()) {
        open = std::string_view::npos;
        break;
      }
      char k = s[open + 1];
      if (k == '{' || k == '%' || k == '#') break;
      open++;
    }
    if (open == std::string_view::npos) {
      out->push_back(Segment{Segment::Kind::kText, std::string(s.substr(pos)), {}, pos});
      break;
    }
    char kind = s[open + 1];
    char sign = open + 2 < s.size() && (s[open + 2] == '-' || s[open + 2] == '+') ? s[open + 2] : 0;
    size_t after = open + 2 + (sign ? 1 : 0);

    std::string text(s.substr(pos, open - pos));
    if (sign == '-') {
      text = PyStrip(text, std::nullopt, false, true);
    } else if (sign != '+' && options_.lstrip_blocks && kind != '{') {
      size_t nl = text.rfind('\n');
      size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting) && l_pos < text.size() &&
          AllWhitespace(std::string_view(text).substr(l_pos))) {
        text.resize(l_pos);
      }
    }
    if (!text.empty()) out->push_back(Segment{Segment::Kind::kText, text, {}, pos});

    size_t end = 0;
    char close = 0;
    if (kind == '#') {
      size_t hit = s.find("#}", after);
      if (hit == std::string_view::npos) return Error(open, "missing end of comment tag");
      close = hit > after && (s[hit - 1] == '-' || s[hit - 1] == '+') ? s[hit - 1] : 0;
      end = hit + 2;
    } else {
      if (kind == '%') {
        // {% raw %} ... {% endraw %}
        size_t q = SkipWhitespace(s, after);
        if (s.compare(q, 3, "raw") == 0) {
          size_t r = SkipWhitespace(s, q + 3);
          if (s.compare(r, 3, "-%}") == 0 || s.compare(r, 2, "%}") == 0) {
            pos = s[r] == '-' ? SkipWhitespace(s, r + 3) : r + 2;
            RLM_RETURN_IF_ERROR(LexRaw(open, &pos, out, &line_starting));
            continue;
          }
        }
      }
      Segment seg;
      seg.kind = kind == '{' ? Segment::Kind::kExpression : Segment::Kind::kStatement;
      seg.offset = open;
      RLM_RETURN_IF_ERROR(LexTag(kind == '%', after, &end, &seg.tokens, &close));
      out->push_back(std::move(seg));
    }
    if (close == '-') {
      end = SkipWhitespace(s, end);
    } else if (close != '+' && kind != '{' && options_.trim_blocks && end < s.size() &&
               s[end] == '\n') {
      end++;
    }
    line_starting = s[end - 1] == '\n';
    pos = end;
  }
  return Status::Ok();
}

Status Lexer::LexRaw(size_t open, size_t* pos, std::vector<Segment>* out, bool* line_starting) {
  std::string_view s = src_;
  size_t search = *pos;
  while (true) {
    size_t tag = s.find("{%", search);
    if (tag == std::string_view::npos) return Error(open, "missing end of raw directive");
    char sign = tag + 2 < s.size() && (s[tag + 2] == '-' || s[tag + 2] == '+') ? s[tag + 2] : 0;
    size_t q = SkipWhitespace(s, tag + 2 + (sign ? 1 : 0));
    if (s.compare(q, 6, "endraw") != 0) {
      search = tag + 2;
      continue;
    }
    size_t r = SkipWhitespace(s, q + 6);
    char close = 0;
    size_t end;
    if (s.compare(r, 3, "-%}") == 0 || s.compare(r, 3, "+%}") == 0) {
      close = s[r];
      end = r + 3;
    } else if (s.compare(r, 2, "%}") == 0) {
      end = r + 2;
    } else {
      search = tag + 2;
      continue;
    }
    std::string text(s.substr(*pos, tag - *pos));
    if (sign == '-') text = PyStrip(text, std::nullopt, false, true);
    if (!text.empty()) out->push_back(Segment{Segment::Kind::kText, text, {}, *pos});
    if (close == '-') {
      end = SkipWhitespace(s, end);
    } else if (close != '+' && options_.trim_blocks && end < s.size() && s[end] == '\n') {
      end++;
    }
    *line_starting = s[end - 1] == '\n';
    *pos = end;
    return Status::Ok();
  }
}

Status Lexer::LexTag(bool is_block, size_t begin, size_t* end, std::vector<Token>* tokens,
                     char* close_sign) {
  std::string_view s = src_;
  std::string brackets;
  size_t p = begin;
  while (true) {
    p = SkipWhitespace(s, p);
    if (p >= s.size()) {
      return Error(begin - 2, std::string("unexpected end of template, expected '") +
                                  (is_block ? "%}" : "}}") + "'");
    }
    if (brackets.empty()) {
      std::string_view close = is_block ? "%}" : "}}";
      size_t signed_len = 0;
      if ((s[p] == '-' || (is_block && s[p] == '+')) && s.compare(p + 1, 2, close) == 0) {
        *close_sign = s[p];
        signed_len = 3;
      } else if (s.compare(p, 2, close) == 0) {
        *close_sign = 0;
        signed_len = 2;
      }
      if (signed_len) {
        Token t;
        t.offset = p;
        tokens->push_back(t);
        *end = p + signed_len;
        return Status::Ok();
      }
    }
    Token t;
    t.offset = p;
    char c = s[p];
    if (c == '\'' || c == '"') {
      size_t q = p + 1;
      while (q < s.size() && s[q] != c) q += s[q] == '\\' ? 2 : 1;
      if (q >= s.size()) return Error(p, "unterminated string literal");
      t.kind = Token::Kind::kString;
      if (!Unescape(s.substr(p + 1, q - p - 1), &t.text)) {
        return Error(p, "bad escape sequence in string literal");
      }
      p = q + 1;
    } else if (IsDigit(c)) {
      auto digits = [&](size_t q) {
        size_t start = q;
        while (q < s.size() && (IsDigit(s[q]) || (s[q] == '_' && q > start && q + 1 < s.size() &&
                                                  IsDigit(s[q + 1])))) {
          q++;
        }
        return q;
      };
      size_t q = digits(p);
      bool is_float = false;
      if (q + 1 < s.size() && s[q] == '.' && IsDigit(s[q + 1])) {
        q = digits(q + 1);
        is_float = true;
      }
      if (q < s.size() && (s[q] == 'e' || s[q] == 'E')) {
        size_t r = q + 1;
        if (r < s.size() && (s[r] == '+' || s[r] == '-')) r++;
        if (r < s.size() && IsDigit(s[r])) {
          q = digits(r);
          is_float = true;
        }
      }
      std::string num;
      for (size_t k = p; k < q; k++) {
        if (s[k] != '_') num.push_back(s[k]);
      }
      if (is_float) {
        t.kind = Token::Kind::kFloat;
        t.float_value = std::strtod(num.c_str(), nullptr);
      } else {
        t.kind = Token::Kind::kInt;
        errno = 0;
        t.int_value = std::strtoll(num.c_str(), nullptr, 10);
        if (errno == ERANGE) return Error(p, "integer literal out of range");
      }
      t.text = num;
      p = q;
    } else if (IsNameStart(c)) {
      size_t q = p + 1;
      while (q < s.size() && (IsNameStart(s[q]) || IsDigit(s[q]))) q++;
      t.kind = Token::Kind::kName;
      t.text = std::string(s.substr(p, q - p));
      p = q;
    } else {
      const char* op = nullptr;
      for (const char* candidate : kOperators) {
        if (s.compare(p, std::strlen(candidate), candidate) == 0) {
          op = candidate;
          break;
        }
      }
      if (op == nullptr) return Error(p, std::string("unexpected character '") + c + "'");
      t.kind = Token::Kind::kOp;
      t.text = op;
      p += t.text.size();
      if (t.text == "(" || t.text == "[" || t.text == "{") {
        brackets.push_back(t.text == "(" ? ')' : t.text == "[" ? ']' : '}');
      } else if (t.text == ")" || t.text == "]" || t.text == "}") {
        if (brackets.empty()) return Error(t.offset, "unexpected '" + t.text + "'");
        if (brackets.back() != t.text[0]) {
          return Error(t.offset, "unexpected '" + t.text + "', expected '" + brackets.back() + "'");
        }
        brackets.pop_back();
      }
    }
    tokens->push_back(std::move(t));
  }
}

}  // namespace radixlm::chat
