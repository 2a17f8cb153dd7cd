#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 32
#include <pcre2.h>

#include <algorithm>

#include "tokenizer/byte_level.h"

namespace radixlm {

namespace {

// What "\s" matches once non-ASCII whitespace has been folded into '\v'.
constexpr char kSpaceSet[] = "\\t\\n\\x0B\\f\\r ";

// Unicode White_Space characters above ASCII: matched as '\v'.
bool IsNonAsciiSpace(uint32_t cpt) {
  switch (cpt) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cpt >= 0x2000 && cpt <= 0x200A;
  }
}

// The code unit PCRE2 sees for `cpt`: whitespace folded as described in
// the header, and values UTF-32 cannot hold (surrogates, > 0x10FFFF)
// replaced by a private-use character, which no class of ours names.
uint32_t MatchUnit(uint32_t cpt) {
  if (cpt < 0x80) return cpt;
  if (IsNonAsciiSpace(cpt)) return 0x0B;
  if ((cpt >= 0xD800 && cpt <= 0xDFFF) || cpt > 0x10FFFF) return 0xE000;
  return cpt;
}

std::string PcreError(int code) {
  PCRE2_UCHAR buffer[256];
  int n = pcre2_get_error_message(code, buffer, 256);
  std::string message;
  for (int i = 0; i < n; ++i) message.push_back(buffer[i] < 0x80 ? static_cast<char>(buffer[i]) : '?');
  return message;
}

}  // namespace

struct PreTokenizer::Regex {
  ~Regex() { pcre2_code_free(code); }
  pcre2_code* code = nullptr;
};

PreTokenizer::PreTokenizer() = default;
PreTokenizer::~PreTokenizer() = default;

std::string PreTokenizer::TranslateRegex(const std::string& regex) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < regex.size(); ++i) {
    char c = regex[i];
    if (c == '\\' && i + 1 < regex.size()) {
      char e = regex[++i];
      if (e == 's' || (e == 'S' && !in_class)) {
        if (!in_class) out.append(e == 's' ? "[" : "[^");
        out.append(kSpaceSet);
        if (!in_class) out.push_back(']');
      } else if (e == 'd') {
        out += in_class ? "0-9" : "[0-9]";
      } else if (e == 'D' && !in_class) {
        out += "[^0-9]";
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      // A ']' right after "[" or "[^" is a literal member.
      if (i + 1 < regex.size() && regex[i + 1] == '^') out += regex[++i];
      if (i + 1 < regex.size() && regex[i + 1] == ']') out += regex[++i];
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

Status PreTokenizer::Create(const std::vector<std::string>& regexes,
                            std::unique_ptr<PreTokenizer>* out) {
  if (regexes.empty()) return Status::InvalidArgument("pre-tokenizer: no regexes");
  std::unique_ptr<PreTokenizer> pre(new PreTokenizer());
  for (const std::string& regex : regexes) {
    // The pattern is UTF-8 text; PCRE2 here takes code points.
    std::vector<uint32_t> pattern;
    DecodeUtf8Lenient(TranslateRegex(regex), &pattern);
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    auto compiled = std::make_unique<Regex>();
    compiled->code = pcre2_compile(pattern.data(), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error,
                                   &error_offset, nullptr);
    if (compiled->code == nullptr) {
      return Status::InvalidArgument("pre-tokenizer: regex '" + regex + "' at " +
                                     std::to_string(error_offset) + ": " + PcreError(error));
    }
    // Without JIT (not built in, or no executable memory) PCRE2 interprets.
    pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE);
    pre->regexes_.push_back(std::move(compiled));
  }
  *out = std::move(pre);
  return Status::Ok();
}

Status PreTokenizer::Split(const std::vector<uint32_t>& cpts, std::vector<WordSpan>* words) const {
  words->clear();
  if (cpts.empty()) return Status::Ok();
  std::vector<uint32_t> subject(cpts.size());
  std::transform(cpts.begin(), cpts.end(), subject.begin(), MatchUnit);

  words->push_back(WordSpan{0, cpts.size()});
  std::vector<WordSpan> next;
  for (const std::unique_ptr<Regex>& regex : regexes_) {
    pcre2_match_data* match = pcre2_match_data_create_from_pattern(regex->code, nullptr);
    if (match == nullptr) return Status::ResourceExhausted("pre-tokenizer: match data");
    next.clear();
    Status status;
    for (const WordSpan& piece : *words) {
      const uint32_t* text = subject.data() + piece.begin;
      size_t length = piece.end - piece.begin;
      size_t pos = 0;   // where the next search starts
      size_t last = 0;  // end of what has been emitted
      uint32_t options = 0;
      while (true) {
        int rc = pcre2_match(regex->code, text, length, pos, options | PCRE2_NO_UTF_CHECK, match,
                             nullptr);
        if (rc == PCRE2_ERROR_NOMATCH) {
          if (options == 0 || pos >= length) break;
          // An empty match at pos that cannot be made longer: step past it.
          ++pos;
          options = 0;
          continue;
        }
        if (rc < 0) {
          status = Status::ResourceExhausted("pre-tokenizer: " + PcreError(rc));
          break;
        }
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match);
        size_t start = ovector[0];
        size_t end = ovector[1];
        if (start > last) next.push_back(WordSpan{piece.begin + last, piece.begin + start});
        if (end > start) next.push_back(WordSpan{piece.begin + start, piece.begin + end});
        last = std::max(last, end);
        pos = end;
        options = end == start ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
      }
      if (!status.ok()) break;
      if (last < length) next.push_back(WordSpan{piece.begin + last, piece.end});
    }
    pcre2_match_data_free(match);
    RLM_RETURN_IF_ERROR(status);
    words->swap(next);
  }
  return Status::Ok();
}

}  // namespace radixlm
