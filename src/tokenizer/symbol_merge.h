// MergeSymbols: the merge loop shared by the SentencePiece and byte-level
// BPE tokenizers. The text starts as one symbol per UTF-8 character (a
// truncated last one included); the adjacent pair with the highest priority
// (leftmost on ties) is merged, repeatedly, while some pair has one.
#ifndef RADIXLM_TOKENIZER_SYMBOL_MERGE_H_
#define RADIXLM_TOKENIZER_SYMBOL_MERGE_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include "tokenizer/text_util.h"

namespace radixlm {

// A run of bytes of the text, linked to its neighbours; n == 0 marks a
// symbol merged into its left neighbour.
struct MergeSymbol {
  int32_t prev;
  int32_t next;
  size_t offset;
  size_t n;
};

// priority(left, right) → std::optional<double>: the merge's priority (higher
// first), or nullopt when the pair does not merge. Returns the symbols; the
// live ones are linked from index 0 through `next` (-1 ends).
// REQUIRES: !text.empty().
template <typename PriorityFn>
std::vector<MergeSymbol> MergeSymbols(std::string_view text, PriorityFn priority) {
  std::vector<MergeSymbol> symbols;
  symbols.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    const size_t len =
        std::min(Utf8LeadLength(static_cast<uint8_t>(text[offset])), text.size() - offset);
    const int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back(
        MergeSymbol{index - 1, offset + len == text.size() ? -1 : index + 1, offset, len});
    offset += len;
  }

  struct Bigram {
    double priority;
    int32_t left;
    int32_t right;
    size_t size;
  };
  // Max-heap: higher priority first, then the leftmost pair.
  auto less = [](const Bigram& a, const Bigram& b) {
    return a.priority < b.priority || (a.priority == b.priority && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(less)> queue(less);
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const std::optional<double> p = priority(symbols[left], symbols[right]);
    if (p) queue.push(Bigram{*p, left, right, symbols[left].n + symbols[right].n});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    MergeSymbol& left = symbols[bigram.left];
    MergeSymbol& right = symbols[bigram.right];
    // Stale: one side was merged away or has grown since it was queued
    // (symbols only grow, so an unchanged total means both are unchanged).
    if (left.n == 0 || right.n == 0 || left.n + right.n != bigram.size) continue;
    left.n += right.n;
    right.n = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }
  return symbols;
}

}  // namespace radixlm

#endif  // RADIXLM_TOKENIZER_SYMBOL_MERGE_H_
