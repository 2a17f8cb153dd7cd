// LoadLlama2cTokenizer: the tokenizer.bin format of karpathy/llama2.c.
//
// Layout (little endian): int32 max_token_length, then vocab_size records
// of {f32 score, int32 length, length bytes}. Pieces spell a space as ' '
// (llama2.c's export replaced "▁"); they are stored here with "▁" so the
// SPM algorithm sees the usual vocabulary. BOS/EOS are stored as
// "\n<s>\n" and "\n</s>\n" and are renamed "<s>" and "</s>".
#include <cstring>

#include "base/mapped_file.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/text_util.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {

namespace {

// Upper bound on a piece, far above any real vocabulary's.
constexpr int32_t kMaxPieceLength = 1 << 16;

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ReadInt32(int32_t* v) { return Read(v, sizeof(*v)); }
  bool ReadFloat(float* v) { return Read(v, sizeof(*v)); }
  bool ReadBytes(size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t pos() const { return pos_; }

 private:
  bool Read(void* v, size_t n) {
    if (data_.size() - pos_ < n) return false;
    std::memcpy(v, data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

std::string TrimNewlines(std::string_view s) {
  while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

Status LoadLlama2cTokenizer(const std::string& path, int32_t vocab_size,
                            std::unique_ptr<Tokenizer>* out) {
  if (vocab_size <= 2) {
    return Status::InvalidArgument(path + ": vocab_size " + std::to_string(vocab_size) +
                                   " too small for a llama2.c tokenizer");
  }
  std::string data;
  RLM_RETURN_IF_ERROR(ReadFileToString(path, &data));
  Reader reader(data);

  int32_t max_token_length;
  if (!reader.ReadInt32(&max_token_length)) return Status::Corruption(path + ": truncated header");
  if (max_token_length < 0 || max_token_length > kMaxPieceLength) {
    return Status::Corruption(path + ": bad max_token_length " + std::to_string(max_token_length));
  }

  Vocab vocab;
  vocab.pieces.reserve(vocab_size);
  vocab.scores.reserve(vocab_size);
  vocab.types.reserve(vocab_size);
  for (int32_t i = 0; i < vocab_size; ++i) {
    std::string where = path + ": token " + std::to_string(i) + " at offset " +
                        std::to_string(reader.pos());
    float score;
    int32_t length;
    std::string_view bytes;
    if (!reader.ReadFloat(&score) || !reader.ReadInt32(&length)) {
      return Status::Corruption(where + ": truncated");
    }
    if (length < 0 || length > max_token_length) {
      return Status::Corruption(where + ": length " + std::to_string(length) +
                                " outside [0, max_token_length " +
                                std::to_string(max_token_length) + "]");
    }
    if (!reader.ReadBytes(static_cast<size_t>(length), &bytes)) {
      return Status::Corruption(where + ": truncated piece");
    }
    if (score != score) return Status::Corruption(where + ": score is NaN");

    TokenType type = TokenType::kNormal;
    std::string piece;
    uint8_t byte;
    if (i == 0) {
      type = TokenType::kUnknown;
      piece = TrimNewlines(bytes);
    } else if (i == 1 || i == 2) {
      type = TokenType::kControl;
      piece = TrimNewlines(bytes);
    } else if (ParseBytePiece(bytes, &byte)) {
      type = TokenType::kByte;
      piece = std::string(bytes);
    } else {
      AppendEscapedWhitespace(bytes, &piece);
    }
    vocab.pieces.push_back(std::move(piece));
    vocab.scores.push_back(score);
    vocab.types.push_back(type);
  }

  vocab.unk = 0;
  vocab.bos = 1;
  vocab.eos = 2;
  // llama2.c's run.c ends a sample when the model emits BOS, which its
  // training data uses as the story delimiter; EOS ends it too.
  vocab.eog = {2, 1};
  vocab.add_bos = true;
  vocab.add_eos = false;
  vocab.add_space_prefix = true;
  Status s = SpmTokenizer::Create(std::move(vocab), out);
  return s.ok() ? s : s.WithContext(path);
}

}  // namespace radixlm
