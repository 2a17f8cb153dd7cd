// PreTokenizer: splits text into words before byte-level BPE runs on each
// word, by a chain of regexes applied the way llama.cpp's
// unicode_regex_split applies them: the first regex splits the whole text,
// each next one splits every piece the previous left, and the text between
// two matches is a piece of its own. Regexes are compiled with PCRE2
// (UTF, UCP, JIT when available) and matched over code points, not bytes.
//
// Matching follows llama.cpp where its std::regex emulation and real
// regex semantics could part: every non-ASCII whitespace character is
// matched as if it were '\v' (so "\s" means the Unicode White_Space set and
// a character class listing U+3000 does not match it), "\d" is [0-9], "$"
// matches only at the end of a piece, and a lookahead cannot see past the
// end of the piece being split.
//
// Thread safety: immutable after Create; Split is const and safe to call
// concurrently.
#ifndef RADIXLM_TOKENIZER_PRE_TOKENIZER_H_
#define RADIXLM_TOKENIZER_PRE_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace radixlm {

// A word: the code points [begin, end) of the split text.
struct WordSpan {
  size_t begin = 0;
  size_t end = 0;
};

class PreTokenizer {
 public:
  // Compiles `regexes`, in llama.cpp's spelling (see the note above on
  // "\s", "\S" and "\d"). On success *out owns the result; a regex that
  // does not compile is InvalidArgument naming it.
  static Status Create(const std::vector<std::string>& regexes,
                       std::unique_ptr<PreTokenizer>* out);

  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Sets *words to the non-empty words of `cpts` in order; together they
  // cover every code point once. `cpts` may hold any values (as
  // DecodeUtf8Lenient gives them). A PCRE2 failure while matching, such
  // as its JIT stack running out, is ResourceExhausted.
  Status Split(const std::vector<uint32_t>& cpts, std::vector<WordSpan>* words) const;

  // Returns `regex` rewritten into the PCRE2 pattern that Create compiles.
  static std::string TranslateRegex(const std::string& regex);

 private:
  struct Regex;
  PreTokenizer();

  std::vector<std::unique_ptr<Regex>> regexes_;
};

}  // namespace radixlm

#endif  // RADIXLM_TOKENIZER_PRE_TOKENIZER_H_
