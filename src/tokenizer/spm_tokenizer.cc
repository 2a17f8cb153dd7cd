#include "tokenizer/spm_tokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <queue>

#include "tokenizer/special_split.h"
#include "tokenizer/text_util.h"

namespace radixlm {

namespace {

// A run of bytes of the fragment being encoded, linked to its neighbours.
// n == 0 marks a symbol merged into its left neighbour.
struct Symbol {
  int32_t prev;
  int32_t next;
  size_t offset;
  size_t n;
};

// A candidate merge of symbols left and right (adjacent when queued) whose
// concatenation, `size` bytes, is a vocab piece with `score`.
struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  size_t size;
};

// Max-heap order: higher score first, then the leftmost pair.
struct BigramLess {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

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

  // Step 2: one symbol per UTF-8 character (a truncated last one included).
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    size_t len = std::min(Utf8LeadLength(static_cast<uint8_t>(text[offset])), text.size() - offset);
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{index - 1, offset + len == text.size() ? -1 : index + 1, offset, len});
    offset += len;
  }

  // Step 3: merge the best-scoring adjacent pair until none is a piece.
  std::priority_queue<Bigram, std::vector<Bigram>, BigramLess> queue;
  auto try_add_bigram = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    size_t size = symbols[left].n + symbols[right].n;
    int32_t id = FindPiece(text.substr(symbols[left].offset, size));
    if (id < 0) return;
    queue.push(Bigram{vocab_.scores[id], left, right, size});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add_bigram(i - 1, i);

  while (!queue.empty()) {
    Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    // Stale: one side was merged away or has grown since it was queued.
    if (left.n == 0 || right.n == 0 || left.n + right.n != bigram.size) continue;
    left.n += right.n;
    right.n = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add_bigram(left.prev, bigram.left);
    try_add_bigram(bigram.left, left.next);
  }

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
