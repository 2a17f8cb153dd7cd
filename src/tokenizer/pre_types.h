// The pre-tokenizer types that llama.cpp names in tokenizer.ggml.pre: for
// each, the regex chain that splits text into words (see pre_tokenizer.h)
// and the tokenizer flags that come with it.
#ifndef RADIXLM_TOKENIZER_PRE_TYPES_H_
#define RADIXLM_TOKENIZER_PRE_TYPES_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace radixlm {

struct PreTokenizerType {
  // The tokenizer.ggml.pre value looked up ("default" when it was empty).
  std::string name;
  // The regex chain, in llama.cpp's spelling; applied in order.
  std::vector<std::string> regexes;
  // A word that is itself a vocab piece is emitted whole, without merging
  // (llama3, tekken, minicpm5, ...).
  bool ignore_merges = false;
  // Prepend BOS by default (llama3, tekken, chameleon); the GGUF key
  // tokenizer.ggml.add_bos_token still overrides it.
  bool add_bos = false;
  // The type has no default BOS token (glm4).
  bool no_bos = false;
};

// Sets *out to the type named `pre`. An empty name is llama.cpp's
// "default" (a stand-in for old GGUFs that lack the key). A name llama.cpp
// does not know, or one whose splitter we do not implement (kimi-k2, afmoe,
// superbpe, tiny_aya, youtu, gemma4, ...), is InvalidArgument.
Status FindPreTokenizerType(std::string_view pre, PreTokenizerType* out);

}  // namespace radixlm

#endif  // RADIXLM_TOKENIZER_PRE_TYPES_H_
