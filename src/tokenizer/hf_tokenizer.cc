// LoadHfTokenizer: a Hugging Face tokenizer.json mapped onto the
// tokenizers llama.cpp's converter would make from it.
//
// Two pipelines of model "BPE" are accepted:
//  - byte-level BPE (GPT-2, Llama 3, Qwen2, ...): pre_tokenizer ByteLevel
//    with use_regex (GPT-2's regex), or a Sequence of Split regexes
//    (behavior Isolated) then ByteLevel without regex; decoder ByteLevel;
//    normalizer none or NFC. → BpeTokenizer with those regexes, merges by
//    rank, model.ignore_merges.
//  - SentencePiece-style BPE (Llama 2, Mistral v0.1, ...): byte_fallback,
//    spaces as "▁" and a leading "▁" (normalizer Sequence of Prepend "▁" and
//    Replace " " → "▁", or pre_tokenizer Metaspace), decoder ByteFallback.
//    → SpmTokenizer, which merges the adjacent pair whose concatenation
//    scores highest (leftmost on ties), with each piece scored -rank of the
//    first merge that produces it. That is HF's lowest-rank-pair order
//    whenever a piece has one merge (a pair (a, b) is merged iff a+b is a
//    piece); for a piece with several splits, every split gets the best
//    one's rank (HF: its own). The vocab test texts agree with HF's
//    algorithm exactly (hf_tokenizer_test.cc). The GGUF's original
//    SentencePiece scores are not in tokenizer.json, and need not order
//    merges as its ranks do.
// Token types follow llama.cpp's converter: "<0xNN>" pieces of a
// byte_fallback model are kByte, the unk token kUnknown, added special
// tokens kControl, other added tokens kUserDefined, the rest kNormal.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unordered_map>
#include <vector>

#include "base/mapped_file.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/pre_types.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/text_util.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {

namespace {

using Json = nlohmann::json;

Status Bad(const std::string& what) { return Status::InvalidArgument("tokenizer.json: " + what); }

// Wraps a tokenizer with NFC normalization of the input text (HF applies
// the normalizer to the text between added tokens; NFC leaves ASCII, and so
// the added tokens' texts, alone).
class NfcTokenizer : public Tokenizer {
 public:
  explicit NfcTokenizer(std::unique_ptr<Tokenizer> inner) : inner_(std::move(inner)) {}

  Status Encode(std::string_view text, bool add_special, bool parse_special,
                std::vector<int32_t>* out) const override {
    if (std::all_of(text.begin(), text.end(), [](char c) { return (c & 0x80) == 0; })) {
      return inner_->Encode(text, add_special, parse_special, out);
    }
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
    if (U_FAILURE(err)) return Status::InvalidArgument("ICU NFC normalizer unavailable");
    const icu::UnicodeString in = icu::UnicodeString::fromUTF8(
        icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    if (nfc->isNormalized(in, err) && U_SUCCESS(err)) {
      return inner_->Encode(text, add_special, parse_special, out);
    }
    err = U_ZERO_ERROR;
    const icu::UnicodeString normalized = nfc->normalize(in, err);
    if (U_FAILURE(err)) return Status::InvalidArgument("NFC normalization failed");
    std::string utf8;
    normalized.toUTF8String(utf8);
    return inner_->Encode(utf8, add_special, parse_special, out);
  }
  std::string DecodeToken(int32_t prev_token, int32_t token) const override {
    return inner_->DecodeToken(prev_token, token);
  }
  const Vocab& vocab() const override { return inner_->vocab(); }
  std::string Describe() const override { return inner_->Describe() + ", NFC"; }

 private:
  std::unique_ptr<Tokenizer> inner_;
};

// Reads `dir`/`name` as JSON into *j; a missing file leaves *j null.
Status ReadJson(const std::string& dir, const std::string& name, bool required, Json* j) {
  const std::string path = dir + "/" + name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (required) return Status::NotFound(path + ": no such file");
    *j = Json();
    return Status::Ok();
  }
  std::string text;
  RLM_RETURN_IF_ERROR(ReadFileToString(path, &text));
  *j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j->is_discarded()) return Status::Corruption(path + ": not valid JSON");
  return Status::Ok();
}

// "type" of a JSON pipeline step, or "".
std::string TypeOf(const Json& step) {
  return step.is_object() && step.contains("type") && step["type"].is_string()
             ? step["type"].get<std::string>()
             : "";
}

// The steps of a normalizer/pre_tokenizer/decoder: a Sequence's list, a
// single step as a list of one, null as empty.
std::vector<Json> Steps(const Json& j, const char* list_key) {
  if (j.is_null()) return {};
  if (TypeOf(j) == "Sequence" && j.contains(list_key) && j[list_key].is_array()) {
    return std::vector<Json>(j[list_key].begin(), j[list_key].end());
  }
  return {j};
}

// A token given as "text" or {"content": "text", ...}; "" for null.
std::string TokenText(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) {
    return j["content"].get<std::string>();
  }
  return "";
}

// llama.cpp spells HF's case-insensitive contraction group out.
std::string ToLlamaCppRegex(std::string regex) {
  const std::string hf = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
  const std::string cpp = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
  for (size_t pos; (pos = regex.find(hf)) != std::string::npos;) regex.replace(pos, hf.size(), cpp);
  return regex;
}

// Quotes a literal for a regex.
std::string EscapeRegex(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The pre-tokenizer of a byte-level pipeline.
Status ByteLevelPre(const Json& pre_tokenizer, PreTokenizerType* type) {
  std::vector<std::string> regexes;
  bool byte_level = false;
  for (const Json& step : Steps(pre_tokenizer, "pretokenizers")) {
    const std::string t = TypeOf(step);
    if (t == "Split") {
      if (byte_level) return Bad("pre_tokenizer Split after ByteLevel is not supported");
      if (step.value("behavior", "") != "Isolated" || step.value("invert", false)) {
        return Bad("pre_tokenizer Split with behavior " + step.value("behavior", "?") +
                   (step.value("invert", false) ? " (inverted)" : "") +
                   " is not supported (Isolated only)");
      }
      const Json& p = step.value("pattern", Json());
      if (p.contains("Regex") && p["Regex"].is_string()) {
        regexes.push_back(ToLlamaCppRegex(p["Regex"].get<std::string>()));
      } else if (p.contains("String") && p["String"].is_string()) {
        regexes.push_back(EscapeRegex(p["String"].get<std::string>()));
      } else {
        return Bad("pre_tokenizer Split without a Regex or String pattern");
      }
    } else if (t == "ByteLevel") {
      if (step.value("add_prefix_space", false)) {
        return Bad("pre_tokenizer ByteLevel add_prefix_space true is not supported");
      }
      byte_level = true;
      if (step.value("use_regex", true)) {
        PreTokenizerType gpt2;
        RLM_RETURN_IF_ERROR(FindPreTokenizerType("gpt-2", &gpt2));
        regexes.insert(regexes.end(), gpt2.regexes.begin(), gpt2.regexes.end());
      }
    } else if (t == "Digits" && step.value("individual_digits", false)) {
      if (byte_level) return Bad("pre_tokenizer Digits after ByteLevel is not supported");
      regexes.push_back("\\p{N}");
    } else {
      return Bad("pre_tokenizer step '" + (t.empty() ? step.dump() : t) +
                 "' is not supported in a byte-level pipeline");
    }
  }
  if (!byte_level) return Bad("byte-level pipeline without a ByteLevel pre_tokenizer");
  // Name it after the llama.cpp type with the same regexes, if any.
  type->name = "tokenizer.json";
  for (const char* name : {"llama3", "qwen2", "qwen35", "gpt-2", "starcoder", "falcon",
                           "deepseek-llm", "deepseek-coder", "deepseek-v3"}) {
    PreTokenizerType known;
    if (FindPreTokenizerType(name, &known).ok() && known.regexes == regexes) {
      type->name = name;
      break;
    }
  }
  type->regexes = std::move(regexes);
  return Status::Ok();
}

// Checks that a SentencePiece-style pipeline is one we compute: spaces as
// "▁" and (per `add_prefix`) a leading "▁".
Status SpmPipeline(const Json& tj, bool* add_prefix) {
  const std::string kSpace = "\xe2\x96\x81";  // ▁
  bool replace = false;
  *add_prefix = false;
  for (const Json& step : Steps(tj.value("normalizer", Json()), "normalizers")) {
    const std::string t = TypeOf(step);
    if (t == "Prepend" && step.value("prepend", "") == kSpace) {
      *add_prefix = true;
    } else if (t == "Replace" && step.contains("pattern") &&
               step["pattern"].value("String", "") == " " && step.value("content", "") == kSpace) {
      replace = true;
    } else {
      return Bad("normalizer step '" + (t.empty() ? step.dump() : t) +
                 "' is not supported in a byte-fallback BPE pipeline");
    }
  }
  for (const Json& step : Steps(tj.value("pre_tokenizer", Json()), "pretokenizers")) {
    const std::string t = TypeOf(step);
    if (t == "Metaspace" && step.value("replacement", kSpace) == kSpace &&
        !step.value("split", false)) {
      replace = true;
      const std::string scheme = step.value("prepend_scheme", "always");
      if (step.value("add_prefix_space", true) && scheme != "never") *add_prefix = true;
    } else {
      return Bad("pre_tokenizer step '" + (t.empty() ? step.dump() : t) +
                 "' is not supported in a byte-fallback BPE pipeline");
    }
  }
  if (!replace) return Bad("byte-fallback BPE without spaces replaced by \"▁\" is not supported");
  return Status::Ok();
}

// The merges as "left right" strings (tokenizers writes either strings or
// [left, right] pairs).
Status ReadMerges(const Json& model, std::vector<std::string>* merges) {
  if (!model.contains("merges")) return Status::Ok();
  const Json& m = model["merges"];
  if (!m.is_array()) return Bad("model.merges is not an array");
  merges->reserve(m.size());
  for (const Json& e : m) {
    if (e.is_string()) {
      merges->push_back(e.get<std::string>());
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      merges->push_back(e[0].get<std::string>() + " " + e[1].get<std::string>());
    } else {
      return Bad("model.merges entry " + e.dump() + " is not a pair");
    }
  }
  return Status::Ok();
}

// Ids from a config's "eos_token_id" (an int or a list of ints).
void AddEosIds(const Json& config, std::vector<int32_t>* ids) {
  if (!config.is_object() || !config.contains("eos_token_id")) return;
  const Json& e = config["eos_token_id"];
  if (e.is_number_integer()) ids->push_back(e.get<int32_t>());
  if (e.is_array()) {
    for (const Json& v : e) {
      if (v.is_number_integer()) ids->push_back(v.get<int32_t>());
    }
  }
}

}  // namespace

Status LoadHfTokenizer(const std::string& dir, int32_t min_vocab_size,
                       std::unique_ptr<Tokenizer>* out) {
  Json tj, tc, config, gen;
  RLM_RETURN_IF_ERROR(ReadJson(dir, "tokenizer.json", true, &tj));
  RLM_RETURN_IF_ERROR(ReadJson(dir, "tokenizer_config.json", false, &tc));
  RLM_RETURN_IF_ERROR(ReadJson(dir, "config.json", false, &config));
  RLM_RETURN_IF_ERROR(ReadJson(dir, "generation_config.json", false, &gen));
  auto fail = [&](Status s) { return s.WithContext(dir + "/tokenizer.json"); };
  if (!tj.is_object() || !tj.contains("model") || !tj["model"].is_object()) {
    return fail(Bad("no \"model\" object"));
  }
  const Json& model = tj["model"];
  const std::string model_type = TypeOf(model).empty() ? "BPE" : TypeOf(model);
  if (model_type != "BPE") {
    return fail(Bad("model type '" + model_type + "' is not supported (BPE only)"));
  }
  if (!model.value("continuing_subword_prefix", Json()).is_null() &&
      model["continuing_subword_prefix"] != "") {
    return fail(Bad("model.continuing_subword_prefix is not supported"));
  }
  if (!model.value("end_of_word_suffix", Json()).is_null() && model["end_of_word_suffix"] != "") {
    return fail(Bad("model.end_of_word_suffix is not supported"));
  }
  if (!model.value("dropout", Json()).is_null() && model["dropout"] != 0) {
    return fail(Bad("model.dropout is not supported"));
  }

  // Pieces by id: the model's vocab, then the added tokens.
  Vocab vocab;
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    return fail(Bad("model.vocab is not an object"));
  }
  std::vector<std::pair<int64_t, std::string>> entries;
  for (const auto& [piece, id] : model["vocab"].items()) {
    if (!id.is_number_integer()) return fail(Bad("model.vocab id of '" + piece + "' not an integer"));
    entries.emplace_back(id.get<int64_t>(), piece);
  }
  struct Added {
    int64_t id;
    std::string content;
    bool special;
  };
  std::vector<Added> added;
  if (tj.contains("added_tokens") && tj["added_tokens"].is_array()) {
    for (const Json& a : tj["added_tokens"]) {
      if (!a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
          !a["content"].is_string()) {
        return fail(Bad("added_tokens entry " + a.dump() + " lacks id or content"));
      }
      added.push_back({a["id"].get<int64_t>(), a["content"].get<std::string>(),
                       a.value("special", false)});
    }
  }
  int64_t n = std::max<int64_t>(min_vocab_size, 0);
  for (const auto& [id, piece] : entries) n = std::max(n, id + 1);
  for (const Added& a : added) n = std::max(n, a.id + 1);
  if (n <= 0 || n > (int64_t{1} << 24)) return fail(Bad("vocab size " + std::to_string(n)));
  for (const auto& [id, piece] : entries) {
    if (id < 0) return fail(Bad("negative id for '" + piece + "'"));
  }
  vocab.pieces.assign(n, "");
  vocab.types.assign(n, TokenType::kUnused);
  vocab.scores.assign(n, 0.0f);
  std::vector<bool> seen(n, false);
  for (const auto& [id, piece] : entries) {
    vocab.pieces[id] = piece;
    vocab.types[id] = TokenType::kNormal;
    seen[id] = true;
  }
  for (const Added& a : added) {
    if (a.id < 0) return fail(Bad("negative id for added token '" + a.content + "'"));
    vocab.pieces[a.id] = a.content;
    vocab.types[a.id] = a.special ? TokenType::kControl : TokenType::kUserDefined;
    seen[a.id] = true;
  }
  for (int64_t i = 0; i < n; ++i) {
    if (!seen[i]) vocab.pieces[i] = "[PAD" + std::to_string(i) + "]";
  }
  auto find = [&](const std::string& text) -> int32_t {
    if (text.empty()) return -1;
    for (const Added& a : added) {
      if (a.content == text) return static_cast<int32_t>(a.id);
    }
    for (const auto& [id, piece] : entries) {
      if (piece == text) return static_cast<int32_t>(id);
    }
    return -1;
  };

  std::vector<std::string> merges;
  RLM_RETURN_IF_ERROR(fail(ReadMerges(model, &merges)));
  if (merges.size() > static_cast<size_t>(INT32_MAX)) return fail(Bad("too many merges"));

  // Special ids and flags: tokenizer_config.json, else the post_processor
  // (a TemplateProcessing whose single sequence starts with a special
  // token adds it as BOS), else config.json's ids.
  vocab.unk = find(model.value("unk_token", Json()).is_string() ? model["unk_token"].get<std::string>() : "");
  if (vocab.unk >= 0) {
    vocab.types[vocab.unk] = TokenType::kUnknown;
  }
  int32_t post_bos = -1;
  for (const Json& step : Steps(tj.value("post_processor", Json()), "processors")) {
    if (TypeOf(step) != "TemplateProcessing" || !step.contains("single")) continue;
    const Json& single = step["single"];
    if (single.is_array() && !single.empty() && single[0].contains("SpecialToken")) {
      post_bos = find(single[0]["SpecialToken"].value("id", ""));
    }
  }
  vocab.bos = post_bos;
  vocab.eos = -1;
  if (config.is_object()) {
    if (config.contains("bos_token_id") && config["bos_token_id"].is_number_integer()) {
      vocab.bos = config["bos_token_id"].get<int32_t>();
    }
    std::vector<int32_t> eos;
    AddEosIds(config, &eos);
    if (!eos.empty()) vocab.eos = eos[0];
  }
  vocab.add_bos = post_bos >= 0;
  vocab.add_eos = false;
  if (tc.is_object()) {
    if (tc.contains("bos_token") && !TokenText(tc["bos_token"]).empty()) {
      vocab.bos = find(TokenText(tc["bos_token"]));
    }
    if (tc.contains("eos_token") && !TokenText(tc["eos_token"]).empty()) {
      vocab.eos = find(TokenText(tc["eos_token"]));
    }
    if (tc.contains("pad_token") && !TokenText(tc["pad_token"]).empty()) {
      vocab.pad = find(TokenText(tc["pad_token"]));
    }
    if (tc.contains("add_bos_token") && tc["add_bos_token"].is_boolean()) {
      vocab.add_bos = tc["add_bos_token"].get<bool>();
    }
    if (tc.contains("add_eos_token") && tc["add_eos_token"].is_boolean()) {
      vocab.add_eos = tc["add_eos_token"].get<bool>();
    }
    if (tc.contains("chat_template")) {
      const Json& t = tc["chat_template"];
      if (t.is_string()) {
        vocab.chat_template = t.get<std::string>();
      } else if (t.is_array()) {
        // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
        for (const Json& e : t) {
          if (e.is_object() && e.value("name", "") == "default" && e.contains("template") &&
              e["template"].is_string()) {
            vocab.chat_template = e["template"].get<std::string>();
          }
        }
      }
    }
  }
  if (vocab.chat_template.empty()) {
    // Newer checkpoints keep the template in its own file.
    std::error_code ec;
    if (std::filesystem::exists(dir + "/chat_template.jinja", ec)) {
      RLM_RETURN_IF_ERROR(ReadFileToString(dir + "/chat_template.jinja", &vocab.chat_template));
    }
  }
  // End of generation: eos and every eos id of config.json and
  // generation_config.json.
  std::vector<int32_t> eog;
  if (vocab.eos >= 0) eog.push_back(vocab.eos);
  AddEosIds(config, &eog);
  AddEosIds(gen, &eog);
  for (int32_t id : eog) {
    if (id >= 0 && id < n && std::find(vocab.eog.begin(), vocab.eog.end(), id) == vocab.eog.end()) {
      vocab.eog.push_back(id);
    }
  }
  if (vocab.bos >= n) vocab.bos = -1;
  if (vocab.eos >= n) vocab.eos = -1;

  const bool byte_fallback = model.value("byte_fallback", false);
  bool byte_level = false;
  for (const Json& step : Steps(tj.value("pre_tokenizer", Json()), "pretokenizers")) {
    if (TypeOf(step) == "ByteLevel") byte_level = true;
  }
  Status s;
  if (byte_level && !byte_fallback) {
    // Byte-level BPE.
    bool nfc = false;
    for (const Json& step : Steps(tj.value("normalizer", Json()), "normalizers")) {
      if (TypeOf(step) == "NFC") {
        nfc = true;
      } else {
        return fail(Bad("normalizer step '" + TypeOf(step) +
                        "' is not supported in a byte-level pipeline (NFC only)"));
      }
    }
    PreTokenizerType pre;
    RLM_RETURN_IF_ERROR(fail(ByteLevelPre(tj["pre_tokenizer"], &pre)));
    pre.ignore_merges = model.value("ignore_merges", false);
    vocab.add_space_prefix = false;
    std::unique_ptr<Tokenizer> bpe;
    s = BpeTokenizer::Create(std::move(vocab), merges, pre, "", &bpe);
    if (s.ok()) *out = nfc ? std::make_unique<NfcTokenizer>(std::move(bpe)) : std::move(bpe);
  } else if (byte_fallback || !byte_level) {
    // SentencePiece-style BPE: scores from merge ranks (see above).
    RLM_RETURN_IF_ERROR(fail(SpmPipeline(tj, &vocab.add_space_prefix)));
    std::vector<float> score(n, -static_cast<float>(merges.size()) - 1.0f);
    std::unordered_map<std::string, int32_t> id_of;
    id_of.reserve(entries.size());
    for (const auto& [id, piece] : entries) id_of.emplace(piece, static_cast<int32_t>(id));
    for (size_t r = merges.size(); r-- > 0;) {
      const std::string& m = merges[r];
      const size_t space = m.find(' ', 1);
      if (space == std::string::npos) continue;
      auto it = id_of.find(m.substr(0, space) + m.substr(space + 1));
      if (it != id_of.end()) score[it->second] = -static_cast<float>(r);
    }
    for (int64_t i = 0; i < n; ++i) {
      if (vocab.types[i] != TokenType::kNormal) continue;
      vocab.scores[i] = score[i];
      uint8_t byte;
      if (byte_fallback && ParseBytePiece(vocab.pieces[i], &byte)) vocab.types[i] = TokenType::kByte;
    }
    s = SpmTokenizer::Create(std::move(vocab), out);
  }
  return s.ok() ? s : fail(s);
}

}  // namespace radixlm
