// Tokenizer: text <-> token ids. One interface over the model families'
// algorithms: SentencePiece-style BPE (spm_tokenizer.h) and byte-level
// BPE (bpe_tokenizer.h).
//
// Thread safety: immutable after construction; Encode/Decode are const and
// safe to call concurrently.
#ifndef RADIXLM_TOKENIZER_TOKENIZER_H_
#define RADIXLM_TOKENIZER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace radixlm {

class GgufFile;

// SentencePiece token types as stored in GGUF tokenizer.ggml.token_type.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct Vocab {
  std::vector<std::string> pieces;   // [n_vocab], "▁" marks a space
  std::vector<float> scores;         // [n_vocab]
  std::vector<TokenType> types;      // [n_vocab]
  int32_t bos = -1;
  int32_t eos = -1;
  int32_t unk = -1;
  int32_t pad = -1;
  std::vector<int32_t> eog;          // end-of-generation ids (eos, eot, ...)
  bool add_bos = true;               // prepend BOS when asked for specials
  bool add_eos = false;
  bool add_space_prefix = true;      // SentencePiece dummy prefix
  // The model's Jinja chat template (GGUF tokenizer.chat_template, HF
  // tokenizer_config.json chat_template); empty if none.
  std::string chat_template;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Appends the ids of `text` to *out. add_special: prepend BOS (and append
  // EOS) as the vocab says. parse_special: recognise control/user-defined
  // token texts such as "<s>" inside `text` instead of spelling them out.
  virtual Status Encode(std::string_view text, bool add_special, bool parse_special,
                        std::vector<int32_t>* out) const = 0;

  // Returns the bytes of `token` as it appears in running text after
  // `prev_token` (-1 at the start). SPM: byte tokens become their byte,
  // "▁" a space, and the dummy-prefix space after BOS is dropped.
  // Byte-level BPE: GPT-2's byte spelling is undone. Control tokens give
  // "". Bytes may be a partial UTF-8 sequence. Out of range: "".
  virtual std::string DecodeToken(int32_t prev_token, int32_t token) const = 0;

  // Decodes a whole sequence (as DecodeToken over it, concatenated).
  std::string Decode(const std::vector<int32_t>& tokens) const;

  virtual const Vocab& vocab() const = 0;
  int32_t vocab_size() const { return static_cast<int32_t>(vocab().pieces.size()); }
  int32_t bos() const { return vocab().bos; }
  int32_t eos() const { return vocab().eos; }
  // The model's chat template (Vocab::chat_template); empty if none.
  const std::string& chat_template() const { return vocab().chat_template; }
  // True for end-of-generation tokens.
  bool IsEog(int32_t token) const;
  // Human-readable summary: "spm, 32000 tokens, bos=1 eos=2".
  virtual std::string Describe() const = 0;
};

// Loads a llama2.c tokenizer file (int32 max_token_length, then per token:
// f32 score, int32 length, bytes). vocab_size: tokens to read (from the
// checkpoint header). Token 0 <unk>, 1 <s> BOS, 2 </s> EOS; "<0xNN>" pieces
// are byte fallback.
Status LoadLlama2cTokenizer(const std::string& path, int32_t vocab_size,
                            std::unique_ptr<Tokenizer>* out);

// Builds the tokenizer described by a GGUF's tokenizer.ggml.* metadata.
// Supports tokenizer.ggml.model == "llama" (SPM) and "gpt2" (byte-level
// BPE, pre-tokenized as tokenizer.ggml.pre says; see pre_types.h); other
// models and unknown pre-tokenizer types are InvalidArgument.
Status LoadGgufTokenizer(const GgufFile& gguf, std::unique_ptr<Tokenizer>* out);

// Builds the tokenizer of a Hugging Face model directory from its
// tokenizer.json (model "BPE" only; see hf_tokenizer.cc for the pipelines
// accepted: byte-level BPE with Split regexes + ByteLevel, optionally NFC;
// and SentencePiece-style BPE with byte_fallback, "▁" for spaces and a
// prepended "▁"), with bos/eos/add_bos_token/add_eos_token/chat_template
// from tokenizer_config.json and end-of-generation ids from config.json and
// generation_config.json. Ids that tokenizer.json leaves unused below
// min_vocab_size (the model's embedding rows) become "[PAD<id>]" pieces of
// type kUnused. Other tokenizer models or pipeline steps are
// InvalidArgument naming them.
Status LoadHfTokenizer(const std::string& dir, int32_t min_vocab_size,
                       std::unique_ptr<Tokenizer>* out);

}  // namespace radixlm

#endif  // RADIXLM_TOKENIZER_TOKENIZER_H_
