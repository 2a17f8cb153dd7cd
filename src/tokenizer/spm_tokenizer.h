// SpmTokenizer: SentencePiece-style BPE over a scored vocabulary, matching
// llama.cpp's "llama" (SPM) tokenizer token for token.
//
// Encoding, per plain-text fragment (see special_split.h):
//   1. prepend the dummy space when add_space_prefix and the fragment is at
//      the start of the input or follows a special token;
//   2. replace ' ' by "▁" and split into UTF-8 characters (symbols);
//   3. repeatedly merge the adjacent pair whose concatenation is a vocab
//      piece with the highest score (ties: leftmost);
//   4. emit each final symbol's id, or its bytes as "<0xNN>" pieces
//      (byte fallback; a bare one-byte piece, then unk, if absent).
//
// Thread safety: immutable after Create; safe to use from any thread.
#ifndef RADIXLM_TOKENIZER_SPM_TOKENIZER_H_
#define RADIXLM_TOKENIZER_SPM_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace radixlm {

class SpmTokenizer : public Tokenizer {
 public:
  // Validates `vocab` (array lengths agree, special ids in range, no NaN
  // score) and builds the lookup tables. On success *out owns the result.
  static Status Create(Vocab vocab, std::unique_ptr<Tokenizer>* out);

  SpmTokenizer(const SpmTokenizer&) = delete;
  SpmTokenizer& operator=(const SpmTokenizer&) = delete;

  Status Encode(std::string_view text, bool add_special, bool parse_special,
                std::vector<int32_t>* out) const override;
  std::string DecodeToken(int32_t prev_token, int32_t token) const override;
  const Vocab& vocab() const override { return vocab_; }
  std::string Describe() const override;

  // Returns the id whose piece is exactly `piece`, or -1.
  int32_t FindPiece(std::string_view piece) const;

 private:
  struct PieceHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  explicit SpmTokenizer(Vocab vocab);
  // Appends the ids of one escaped fragment (steps 2-4 above).
  void EncodeFragment(std::string_view text, std::vector<int32_t>* out) const;

  Vocab vocab_;
  std::unordered_map<std::string, int32_t, PieceHash, std::equal_to<>> piece_to_id_;
  std::array<int32_t, 256> byte_to_id_;   // byte fallback ids, -1 if none
  std::vector<int32_t> specials_;         // see CollectSpecialTokens
  std::vector<std::string> decoded_;      // [n_vocab] text of each token
};

}  // namespace radixlm

#endif  // RADIXLM_TOKENIZER_SPM_TOKENIZER_H_
