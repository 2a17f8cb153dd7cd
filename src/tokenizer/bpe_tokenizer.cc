#include "tokenizer/bpe_tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "tokenizer/byte_level.h"
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

// The bytes GPT-2's map spells as `piece`, as llama.cpp's
// llama_decode_text: a code point outside the map is kept visibly.
std::string UnmapBytes(const std::string& piece) {
  std::vector<uint32_t> cpts;
  DecodeUtf8Lenient(piece, &cpts);
  std::string bytes;
  for (uint32_t cpt : cpts) {
    int byte = UnicodeToByte(cpt);
    if (byte >= 0) {
      bytes.push_back(static_cast<char>(byte));
      continue;
    }
    std::string utf8;
    AppendUtf8(cpt, &utf8);
    bytes += "[UNK_BYTE_0x";
    for (char c : utf8) {
      char hex[3];
      std::snprintf(hex, sizeof(hex), "%02x", static_cast<uint8_t>(c));
      bytes += hex;
    }
    bytes += piece + "]";
  }
  return bytes;
}

// The text a token contributes to decoded output, as llama.cpp's
// token_to_piece with special=false.
std::string DecodedText(const std::string& piece, TokenType type) {
  switch (type) {
    case TokenType::kNormal:
      return UnmapBytes(piece);
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

Status BpeTokenizer::Create(Vocab vocab, const std::vector<std::string>& merges,
                            const PreTokenizerType& pre, std::string pre_note,
                            std::unique_ptr<Tokenizer>* out) {
  size_t n = vocab.pieces.size();
  if (n == 0) return Status::InvalidArgument("vocab: no tokens");
  if (n > static_cast<size_t>(INT32_MAX)) return Status::InvalidArgument("vocab: too many tokens");
  if (vocab.scores.size() != n || vocab.types.size() != n) {
    return Status::InvalidArgument("vocab: " + std::to_string(n) + " pieces but " +
                                   std::to_string(vocab.scores.size()) + " scores and " +
                                   std::to_string(vocab.types.size()) + " types");
  }
  if (merges.size() > static_cast<size_t>(INT32_MAX)) {
    return Status::InvalidArgument("vocab: too many merges");
  }
  RLM_RETURN_IF_ERROR(CheckId(vocab.bos, n, "bos"));
  RLM_RETURN_IF_ERROR(CheckId(vocab.eos, n, "eos"));
  RLM_RETURN_IF_ERROR(CheckId(vocab.unk, n, "unk"));
  RLM_RETURN_IF_ERROR(CheckId(vocab.pad, n, "pad"));
  for (int32_t id : vocab.eog) {
    if (id < 0) return Status::InvalidArgument("vocab: negative eog id");
    RLM_RETURN_IF_ERROR(CheckId(id, n, "eog"));
  }
  if (vocab.add_bos && vocab.bos < 0) vocab.add_bos = false;
  if (vocab.add_eos && vocab.eos < 0) vocab.add_eos = false;

  std::unique_ptr<BpeTokenizer> tok(new BpeTokenizer(std::move(vocab), pre, std::move(pre_note)));
  RLM_RETURN_IF_ERROR(PreTokenizer::Create(pre.regexes, &tok->pre_tokenizer_));
  tok->merge_ranks_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    // As llama.cpp: split at the first space after the first byte.
    if (merges[i].find(' ', 1) == std::string::npos) continue;
    tok->merge_ranks_.try_emplace(merges[i], static_cast<int32_t>(i));
  }
  tok->n_merges_ = merges.size();
  *out = std::move(tok);
  return Status::Ok();
}

BpeTokenizer::BpeTokenizer(Vocab vocab, PreTokenizerType pre, std::string pre_note)
    : vocab_(std::move(vocab)), pre_(std::move(pre)), pre_note_(std::move(pre_note)) {
  size_t n = vocab_.pieces.size();
  piece_to_id_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    // A repeated piece maps to its last id, as in llama.cpp.
    piece_to_id_[vocab_.pieces[i]] = static_cast<int32_t>(i);
  }
  specials_ = CollectSpecialTokens(vocab_);
  decoded_.resize(n);
  for (size_t i = 0; i < n; ++i) decoded_[i] = DecodedText(vocab_.pieces[i], vocab_.types[i]);
}

int32_t BpeTokenizer::FindPiece(std::string_view piece) const {
  auto it = piece_to_id_.find(piece);
  return it == piece_to_id_.end() ? -1 : it->second;
}

int32_t BpeTokenizer::MergeRank(std::string_view left, std::string_view right,
                                std::string* key) const {
  // Byte-encoded symbols never hold a raw ' ', so "left right" is unique.
  key->assign(left);
  key->push_back(' ');
  key->append(right);
  auto it = merge_ranks_.find(std::string_view(*key));
  return it == merge_ranks_.end() ? -1 : it->second;
}

Status BpeTokenizer::Encode(std::string_view text, bool add_special, bool parse_special,
                            std::vector<int32_t>* out) const {
  std::vector<Fragment> fragments;
  SplitOnSpecialTokens(text, vocab_, specials_, parse_special, &fragments);

  if (add_special && vocab_.add_bos) out->push_back(vocab_.bos);
  for (const Fragment& fragment : fragments) {
    if (fragment.token >= 0) {
      out->push_back(fragment.token);
      continue;
    }
    RLM_RETURN_IF_ERROR(EncodeText(text.substr(fragment.offset, fragment.length), out));
  }
  if (add_special && vocab_.add_eos) out->push_back(vocab_.eos);
  return Status::Ok();
}

Status BpeTokenizer::EncodeText(std::string_view text, std::vector<int32_t>* out) const {
  // Step 1: code points, then words.
  std::vector<uint32_t> cpts;
  DecodeUtf8Lenient(text, &cpts);
  std::vector<WordSpan> words;
  RLM_RETURN_IF_ERROR(pre_tokenizer_->Split(cpts, &words));

  // Step 2: each word's bytes in GPT-2's spelling.
  std::string utf8;
  std::string encoded;
  for (const WordSpan& word : words) {
    utf8.clear();
    for (size_t i = word.begin; i < word.end; ++i) AppendUtf8(cpts[i], &utf8);
    encoded.clear();
    for (char c : utf8) encoded.append(ByteToUnicode(static_cast<uint8_t>(c)));
    EncodeWord(encoded, out);
  }
  return Status::Ok();
}

void BpeTokenizer::EncodeWord(std::string_view word, std::vector<int32_t>* out) const {
  if (word.empty() || word.size() > static_cast<size_t>(INT32_MAX)) return;

  // Step 3: the whole word, when merges are ignored and it is a piece...
  if (pre_.ignore_merges) {
    int32_t id = FindPiece(word);
    if (id >= 0) {
      out->push_back(id);
      return;
    }
  }

  // ...else one symbol per UTF-8 character, merged by rank (lowest first).
  std::string key;
  const std::vector<MergeSymbol> symbols =
      MergeSymbols(word, [&](const MergeSymbol& l, const MergeSymbol& r) -> std::optional<double> {
        const int32_t rank =
            MergeRank(word.substr(l.offset, l.n), word.substr(r.offset, r.n), &key);
        if (rank < 0) return std::nullopt;
        return -static_cast<double>(rank);
      });

  // Step 4: a merge need not give a piece; then fall back to single bytes.
  for (int32_t i = 0; i != -1; i = symbols[i].next) {
    std::string_view piece = word.substr(symbols[i].offset, symbols[i].n);
    int32_t id = FindPiece(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    for (char c : piece) {
      int32_t byte_id = FindPiece(std::string_view(&c, 1));
      if (byte_id >= 0) out->push_back(byte_id);
    }
  }
}

std::string BpeTokenizer::DecodeToken(int32_t /*prev_token*/, int32_t token) const {
  if (token < 0 || token >= static_cast<int32_t>(decoded_.size())) return "";
  return decoded_[token];
}

std::string BpeTokenizer::Describe() const {
  std::string text = "bpe (" + pre_.name + "), " + std::to_string(vocab_.pieces.size()) +
                     " tokens, " + std::to_string(n_merges_) + " merges, bos=" +
                     std::to_string(vocab_.bos) + " eos=" + std::to_string(vocab_.eos);
  if (!pre_note_.empty()) text += " (" + pre_note_ + ")";
  return text;
}

}  // namespace radixlm
