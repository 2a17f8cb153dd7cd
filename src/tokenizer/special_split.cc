#include "tokenizer/special_split.h"

#include <algorithm>

namespace radixlm {

std::vector<int32_t> CollectSpecialTokens(const Vocab& vocab) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < vocab.pieces.size(); ++i) {
    TokenType type = vocab.types[i];
    if ((type == TokenType::kControl || type == TokenType::kUserDefined ||
         type == TokenType::kUnknown) &&
        !vocab.pieces[i].empty()) {
      ids.push_back(static_cast<int32_t>(i));
    }
  }
  std::stable_sort(ids.begin(), ids.end(), [&vocab](int32_t a, int32_t b) {
    return vocab.pieces[a].size() > vocab.pieces[b].size();
  });
  return ids;
}

void SplitOnSpecialTokens(std::string_view text, const Vocab& vocab,
                          const std::vector<int32_t>& specials, bool parse_special,
                          std::vector<Fragment>* out) {
  out->clear();
  if (text.empty()) return;
  out->push_back(Fragment{-1, 0, text.size()});

  std::vector<Fragment> next;
  for (int32_t id : specials) {
    TokenType type = vocab.types[id];
    if (!parse_special && type != TokenType::kUserDefined) continue;
    const std::string& special = vocab.pieces[id];

    bool found_any = false;
    next.clear();
    for (const Fragment& fragment : *out) {
      if (fragment.token >= 0) {
        next.push_back(fragment);
        continue;
      }
      std::string_view rest = text.substr(fragment.offset, fragment.length);
      size_t base = fragment.offset;
      while (true) {
        size_t match = rest.find(special);
        if (match == std::string_view::npos) break;
        found_any = true;
        if (match > 0) next.push_back(Fragment{-1, base, match});
        next.push_back(Fragment{id, 0, 0});
        size_t consumed = match + special.size();
        rest.remove_prefix(consumed);
        base += consumed;
      }
      if (!rest.empty()) next.push_back(Fragment{-1, base, rest.size()});
    }
    if (found_any) out->swap(next);
  }
}

}  // namespace radixlm
