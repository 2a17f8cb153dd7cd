// Splits text on special-token texts before a tokenizer's main algorithm
// runs, following llama.cpp's tokenizer_st_partition: special tokens are
// taken one at a time, longest text first, and each one's occurrences are
// cut out of every fragment that is still plain text.
#ifndef RADIXLM_TOKENIZER_SPECIAL_SPLIT_H_
#define RADIXLM_TOKENIZER_SPECIAL_SPLIT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace radixlm {

// A piece of the input: either the special token `token`, or (token < 0)
// the plain text bytes [offset, offset + length) of the input.
struct Fragment {
  int32_t token = -1;
  size_t offset = 0;
  size_t length = 0;
};

// Returns the ids whose type is control, user-defined or unknown and whose
// text is non-empty, ordered by text length, longest first (ties by id).
std::vector<int32_t> CollectSpecialTokens(const Vocab& vocab);

// Sets *out to the fragments of `text`. `specials` comes from
// CollectSpecialTokens. User-defined tokens are always split out; control
// and unknown tokens only when parse_special. Plain-text fragments are
// never empty; empty `text` gives no fragments.
void SplitOnSpecialTokens(std::string_view text, const Vocab& vocab,
                          const std::vector<int32_t>& specials, bool parse_special,
                          std::vector<Fragment>* out);

}  // namespace radixlm

#endif  // RADIXLM_TOKENIZER_SPECIAL_SPLIT_H_
