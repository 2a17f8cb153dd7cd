// BpeTokenizer: byte-level BPE (GPT-2 style, tokenizer.ggml.model "gpt2"),
// matching llama.cpp's BPE tokenizer token for token. Used by Qwen2,
// Llama 3, GPT-2, DeepSeek, StarCoder, Falcon and many other GGUFs.
//
// Encoding, per plain-text fragment (see special_split.h):
//   1. decode the bytes to code points (invalid bytes become U+FFFD) and
//      split them into words with the pre-tokenizer's regexes;
//   2. spell each word's UTF-8 bytes with GPT-2's printable code points
//      (byte_level.h), so that ' ' becomes "Ġ";
//   3. with ignore_merges, a word that is a vocab piece is emitted whole;
//      otherwise split it into characters and repeatedly merge the
//      adjacent pair with the lowest merge rank (ties: leftmost);
//   4. emit each final symbol's id, or else the ids of its single bytes
//      that are vocab pieces (others are dropped, as in llama.cpp).
//
// Thread safety: immutable after Create; safe to use from any thread.
#ifndef RADIXLM_TOKENIZER_BPE_TOKENIZER_H_
#define RADIXLM_TOKENIZER_BPE_TOKENIZER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/pre_types.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {

class BpeTokenizer : public Tokenizer {
 public:
  // Validates `vocab` (array lengths agree, special ids in range), parses
  // `merges` ("left right", rank = index; a repeated pair keeps its first
  // rank; an entry without a space after its first byte is ignored) and
  // compiles `pre`'s regexes. `pre_note`, if not empty, is appended to
  // Describe() (e.g. why the default pre-tokenizer was chosen). On success
  // *out owns the result.
  static Status Create(Vocab vocab, const std::vector<std::string>& merges,
                       const PreTokenizerType& pre, std::string pre_note,
                       std::unique_ptr<Tokenizer>* out);

  BpeTokenizer(const BpeTokenizer&) = delete;
  BpeTokenizer& operator=(const BpeTokenizer&) = delete;

  Status Encode(std::string_view text, bool add_special, bool parse_special,
                std::vector<int32_t>* out) const override;
  // Normal tokens map their code points back to bytes (one that is not in
  // GPT-2's map gives "[UNK_BYTE_0x..]" as in llama.cpp); user-defined
  // tokens give their text; control and other tokens give "". No prefix
  // space is dropped, so prev_token is unused.
  std::string DecodeToken(int32_t prev_token, int32_t token) const override;
  const Vocab& vocab() const override { return vocab_; }
  // "bpe (qwen2), 151936 tokens, 151387 merges, bos=151643 eos=151643".
  std::string Describe() const override;

  // Returns the id whose piece is exactly `piece`, or -1.
  int32_t FindPiece(std::string_view piece) const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using StringMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

  BpeTokenizer(Vocab vocab, PreTokenizerType pre, std::string pre_note);
  // Appends the ids of one plain-text fragment (steps 1-4 above).
  Status EncodeText(std::string_view text, std::vector<int32_t>* out) const;
  // Appends the ids of one byte-encoded word (steps 3-4 above).
  void EncodeWord(std::string_view word, std::vector<int32_t>* out) const;
  // Returns the rank of merging `left` and `right`, or -1.
  int32_t MergeRank(std::string_view left, std::string_view right, std::string* key) const;

  Vocab vocab_;
  PreTokenizerType pre_;
  std::string pre_note_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  StringMap piece_to_id_;
  StringMap merge_ranks_;                 // "left right" -> rank
  size_t n_merges_ = 0;
  std::vector<int32_t> specials_;         // see CollectSpecialTokens
  std::vector<std::string> decoded_;      // [n_vocab] text of each token
};

}  // namespace radixlm

#endif  // RADIXLM_TOKENIZER_BPE_TOKENIZER_H_
