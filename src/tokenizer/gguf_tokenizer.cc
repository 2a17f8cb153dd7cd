// LoadGgufTokenizer: builds a Vocab from a GGUF's tokenizer.ggml.* keys,
// with llama.cpp's defaults for what a file leaves out.
#include <algorithm>
#include <cstdint>

#include "format/gguf.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/pre_types.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {

namespace {

// Token texts llama.cpp treats as end-of-generation (and as control
// tokens) whatever their stored type: end-of-turn texts, then the FIM
// pad, repo and file-separator texts.
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",  // DeepSeek
    "[e~[",
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
    "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
};

// What llama.cpp assumes for keys a file leaves out, per tokenizer model.
struct VocabDefaults {
  int32_t unk;
  int32_t bos;
  int32_t eos;
  bool add_bos;
  bool add_space_prefix;
};

// Treats an absent key as "keep the default"; other errors propagate.
Status Optional(Status s) { return s.code() == Status::Code::kNotFound ? Status::Ok() : s; }

// Reads an optional token-id key into *id. An id outside [0, n) is
// Corruption unless `lenient`, which maps it to -1.
Status ReadTokenId(const GgufFile& gguf, std::string_view key, size_t n, bool lenient,
                   int32_t* id) {
  int64_t value;
  Status s = gguf.GetInt(key, &value);
  if (s.code() == Status::Code::kNotFound) return Status::Ok();
  RLM_RETURN_IF_ERROR(s);
  if (value < 0 || value >= static_cast<int64_t>(n)) {
    if (lenient) {
      *id = -1;
      return Status::Ok();
    }
    return Status::Corruption(std::string(key) + " = " + std::to_string(value) +
                              " out of range [0, " + std::to_string(n) + ")");
  }
  *id = static_cast<int32_t>(value);
  return Status::Ok();
}

Status BuildVocab(const GgufFile& gguf, const VocabDefaults& defaults, Vocab* vocab) {
  RLM_RETURN_IF_ERROR(gguf.GetStringArray("tokenizer.ggml.tokens", &vocab->pieces));
  size_t n = vocab->pieces.size();
  if (n == 0) return Status::Corruption("tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return Status::Corruption("tokenizer.ggml.tokens: too many");
  for (size_t i = 0; i < n; ++i) {
    // llama.cpp renames empty pieces so that every piece is distinct.
    if (vocab->pieces[i].empty()) vocab->pieces[i] = "[EMPTY_" + std::to_string(i) + "]";
  }

  Status s = gguf.GetFloatArray("tokenizer.ggml.scores", &vocab->scores);
  if (s.code() == Status::Code::kNotFound) {
    vocab->scores.assign(n, 0.0f);
  } else {
    RLM_RETURN_IF_ERROR(s);
  }
  if (vocab->scores.size() != n) {
    return Status::Corruption("tokenizer.ggml.scores has " + std::to_string(vocab->scores.size()) +
                              " entries for " + std::to_string(n) + " tokens");
  }

  std::vector<int64_t> types;
  s = gguf.GetIntArray("tokenizer.ggml.token_type", &types);
  if (s.code() == Status::Code::kNotFound) {
    types.assign(n, static_cast<int64_t>(TokenType::kNormal));
  } else {
    RLM_RETURN_IF_ERROR(s);
  }
  if (types.size() != n) {
    return Status::Corruption("tokenizer.ggml.token_type has " + std::to_string(types.size()) +
                              " entries for " + std::to_string(n) + " tokens");
  }
  vocab->types.resize(n);
  for (size_t i = 0; i < n; ++i) {
    bool known = types[i] >= 0 && types[i] <= static_cast<int64_t>(TokenType::kByte);
    vocab->types[i] = known ? static_cast<TokenType>(types[i]) : TokenType::kUndefined;
  }

  // Default ids outside the vocab are dropped, as in llama.cpp.
  auto in_range = [n](int32_t id) { return id >= 0 && static_cast<size_t>(id) < n ? id : -1; };
  vocab->unk = in_range(defaults.unk);
  vocab->bos = in_range(defaults.bos);
  vocab->eos = in_range(defaults.eos);
  vocab->pad = -1;
  int32_t eot = -1;
  int32_t eom = -1;
  RLM_RETURN_IF_ERROR(ReadTokenId(gguf, "tokenizer.ggml.bos_token_id", n, false, &vocab->bos));
  RLM_RETURN_IF_ERROR(ReadTokenId(gguf, "tokenizer.ggml.eos_token_id", n, false, &vocab->eos));
  RLM_RETURN_IF_ERROR(ReadTokenId(gguf, "tokenizer.ggml.unknown_token_id", n, false, &vocab->unk));
  RLM_RETURN_IF_ERROR(ReadTokenId(gguf, "tokenizer.ggml.eot_token_id", n, false, &eot));
  RLM_RETURN_IF_ERROR(ReadTokenId(gguf, "tokenizer.ggml.eom_token_id", n, false, &eom));
  // Padding is never produced by inference; a bad id is dropped.
  RLM_RETURN_IF_ERROR(ReadTokenId(gguf, "tokenizer.ggml.padding_token_id", n, true, &vocab->pad));

  vocab->add_bos = defaults.add_bos;
  vocab->add_eos = false;
  vocab->add_space_prefix = defaults.add_space_prefix;
  RLM_RETURN_IF_ERROR(Optional(gguf.GetBool("tokenizer.ggml.add_bos_token", &vocab->add_bos)));
  RLM_RETURN_IF_ERROR(Optional(gguf.GetBool("tokenizer.ggml.add_eos_token", &vocab->add_eos)));
  RLM_RETURN_IF_ERROR(
      Optional(gguf.GetBool("tokenizer.ggml.add_space_prefix", &vocab->add_space_prefix)));
  RLM_RETURN_IF_ERROR(Optional(gguf.GetString("tokenizer.chat_template", &vocab->chat_template)));

  // End of generation: eos, eot, eom and the well-known end-of-turn texts.
  auto add_eog = [vocab](int32_t id) {
    if (id >= 0 && std::find(vocab->eog.begin(), vocab->eog.end(), id) == vocab->eog.end()) {
      vocab->eog.push_back(id);
    }
  };
  add_eog(vocab->eos);
  add_eog(eot);
  add_eog(eom);
  for (size_t i = 0; i < n; ++i) {
    for (std::string_view text : kEogTexts) {
      if (vocab->pieces[i] == text) {
        add_eog(static_cast<int32_t>(i));
        vocab->types[i] = TokenType::kControl;
      }
    }
  }
  return Status::Ok();
}

// Builds the byte-level BPE tokenizer of a "gpt2" model.
Status LoadBpe(const GgufFile& gguf, std::unique_ptr<Tokenizer>* out) {
  std::string pre;
  RLM_RETURN_IF_ERROR(Optional(gguf.GetString("tokenizer.ggml.pre", &pre)));
  PreTokenizerType type;
  RLM_RETURN_IF_ERROR(FindPreTokenizerType(pre, &type));
  std::string note = pre.empty() ? "tokenizer.ggml.pre missing: default pre-tokenizer" : "";

  std::vector<std::string> merges;
  RLM_RETURN_IF_ERROR(gguf.GetStringArray("tokenizer.ggml.merges", &merges));

  // llama.cpp's defaults for BPE: bos = eos = 11, no unk.
  VocabDefaults defaults{-1, type.no_bos ? -1 : 11, 11, type.add_bos, false};
  Vocab vocab;
  RLM_RETURN_IF_ERROR(BuildVocab(gguf, defaults, &vocab));
  return BpeTokenizer::Create(std::move(vocab), merges, type, std::move(note), out);
}

}  // namespace

Status LoadGgufTokenizer(const GgufFile& gguf, std::unique_ptr<Tokenizer>* out) {
  std::string model;
  Status s = gguf.GetString("tokenizer.ggml.model", &model);
  if (!s.ok()) return s.WithContext(gguf.path() + ": tokenizer");
  if (model == "llama") {
    // llama.cpp's defaults for SPM: unk 0, bos 1, eos 2 (when in range).
    Vocab vocab;
    s = BuildVocab(gguf, VocabDefaults{0, 1, 2, true, true}, &vocab);
    if (s.ok()) s = SpmTokenizer::Create(std::move(vocab), out);
  } else if (model == "gpt2") {
    s = LoadBpe(gguf, out);
  } else {
    s = Status::InvalidArgument("unsupported tokenizer model '" + model + "'");
  }
  return s.ok() ? s : s.WithContext(gguf.path() + ": tokenizer");
}

}  // namespace radixlm
