#include "tokenizer/spm_tokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <queue>

#include "tokenizer/special_split.h"
#include "tokenizer/symbol_merge.h"
#include "tokenizer/text_util.h"

namespace radixlm {

namespace {

Status CheckId(int32_t id, size_t n, const char* what) {
  if (id < -1 || id >= static_cast<int64_t>(n)) {
    return Status::InvalidArgument(std::string("vocab: ") + what + " id " + std::to_string(id) +
                                   " out of range [0, " + std::to_string(n) + ")");
  }
  return Status::Ok();
}

// The text a token contributes to decoded output (before the dummy-prefix
// space is dropped), as llama.cpp's token_to_piece with special=false.
std::string DecodedText(const std::string& piece, TokenType type) {
  switch (type) {
    case TokenType::kNormal:
      return UnescapeWhitespace(piece);
    case TokenType::kUserDefined:
      return piece;
    case TokenType::kByte: {
      uint8_t byte;
      if (ParseBytePiece(piece, &byte)) return std::string(1, static_cast<char>(byte));
      return "";
    }
    default:  // control, unknown, unused, undefined
      return "";
  }
}

}  // namespace

Status SpmTokenizer::Create(Vocab vocab, std::unique_ptr<Tokenizer>* out) {
  size_t n = vocab.pieces.size();
  if (n == 0) return Status::InvalidArgument("vocab: no tokens");
  if (n > static_cast<size_t>(INT32_MAX)) return Status::InvalidArgument("vocab: too many tokens");
  if (vocab.scores.size() != n || vocab.types.size() != n) {
    return Status::InvalidArgument("vocab: " + std::to_string(n) + " pieces but " +
                                   std::to_string(vocab.scores.size()) + " scores and " +
                                   std::to_string(vocab.types.size()) + " types");
  }
  RLM_RETURN_IF_ERROR(CheckId(vocab.bos, n, "bos"));
  RLM_RETURN_IF_ERROR(CheckId(vocab.eos, n, "eos"));
  RLM_RETURN_IF_ERROR(CheckId(vocab.unk, n, "unk"));
  RLM_RETURN_IF_ERROR(CheckId(vocab.pad, n, "pad"));
  for (int32_t id : vocab.eog) {
    if (id < 0) return Status::InvalidArgument("vocab: negative eog id");
    RLM_RETURN_IF_ERROR(CheckId(id, n, "eog"));
  }
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(vocab.scores[i])) {
      return Status::InvalidArgument("vocab: score of token " + std::to_string(i) + " is NaN");
    }
  }
  if (vocab.add_bos && vocab.bos < 0) vocab.add_bos = false;
  if (vocab.add_eos && vocab.eos < 0) vocab.add_eos = false;

  std::unique_ptr<SpmTokenizer> tok(new SpmTokenizer(std::move(vocab)));
  *out = std::move(tok);
  return Status::Ok();
}

SpmTokenizer::SpmTokenizer(Vocab vocab) : vocab_(std::move(vocab)) {
  size_t n = vocab_.pieces.size();
  piece_to_id_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    // A repeated piece maps to its last id, as in llama.cpp.
    piece_to_id_[vocab_.pieces[i]] = static_cast<int32_t>(i);
  }
  for (int b = 0; b < 256; ++b) {
    int32_t id = FindPiece(BytePiece(static_cast<uint8_t>(b)));
    if (id < 0) id = FindPiece(std::string(1, static_cast<char>(b)));
    if (id < 0) id = vocab_.unk;
    byte_to_id_[b] = id;
  }
  specials_ = CollectSpecialTokens(vocab_);
  decoded_.resize(n);
  for (size_t i = 0; i < n; ++i) decoded_[i] = DecodedText(vocab_.pieces[i], vocab_.types[i]);
}

int32_t SpmTokenizer::FindPiece(std::string_view piece) const {
  auto it = piece_to_id_.find(piece);
  return it == piece_to_id_.end() ? -1 : it->second;
}

Status SpmTokenizer::Encode(std::string_view text, bool add_special, bool parse_special,
                            std::vector<int32_t>* out) const {
  std::vector<Fragment> fragments;
  SplitOnSpecialTokens(text, vocab_, specials_, parse_special, &fragments);

  if (add_special && vocab_.add_bos) out->push_back(vocab_.bos);
  bool prev_special = true;  // the dummy prefix goes at the start...
  std::string escaped;
  for (const Fragment& fragment : fragments) {
    if (fragment.token >= 0) {
      out->push_back(fragment.token);
      prev_special = true;  // ...and after each special token
      continue;
    }
    escaped.clear();
    if (vocab_.add_space_prefix && prev_special) escaped.append(kSpaceMarker);
    AppendEscapedWhitespace(text.substr(fragment.offset, fragment.length), &escaped);
    EncodeFragment(escaped, out);
    prev_special = false;
  }
  if (add_special && vocab_.add_eos) out->push_back(vocab_.eos);
  return Status::Ok();
}

void SpmTokenizer::EncodeFragment(std::string_view text, std::vector<int32_t>* out) const {
  if (text.empty()) return;
  if (text.size() > static_cast<size_t>(INT32_MAX)) return;

  // Steps 2-3: one symbol per UTF-8 character, then merge the best-scoring
  // adjacent pair until none is a piece.
  const std::vector<MergeSymbol> symbols =
      MergeSymbols(text, [&](const MergeSymbol& l, const MergeSymbol& r) -> std::optional<double> {
        const int32_t id = FindPiece(text.substr(l.offset, l.n + r.n));
        if (id < 0) return std::nullopt;
        return vocab_.scores[id];
      });

  // Step 4: every merged symbol is a piece by construction; a lone
  // character may not be, and then falls back to its bytes.
  for (int32_t i = 0; i != -1; i = symbols[i].next) {
    std::string_view piece = text.substr(symbols[i].offset, symbols[i].n);
    int32_t id = FindPiece(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    for (char c : piece) {
      int32_t byte_id = byte_to_id_[static_cast<uint8_t>(c)];
      if (byte_id >= 0) out->push_back(byte_id);
    }
  }
}

std::string SpmTokenizer::DecodeToken(int32_t prev_token, int32_t token) const {
  if (token < 0 || token >= static_cast<int32_t>(decoded_.size())) return "";
  const std::string& text = decoded_[token];
  bool at_start = prev_token == -1 || (prev_token >= 0 && prev_token == vocab_.bos);
  if (vocab_.add_space_prefix && at_start && !text.empty() && text[0] == ' ') {
    return text.substr(1);
  }
  return text;
}

std::string SpmTokenizer::Describe() const {
  return "spm, " + std::to_string(vocab_.pieces.size()) + " tokens, bos=" +
         std::to_string(vocab_.bos) + " eos=" + std::to_string(vocab_.eos);
}

}  // namespace radixlm
