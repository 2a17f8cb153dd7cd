#include "tokenizer/pre_types.h"

#include <iterator>

namespace radixlm {

namespace {

// Regex chains, copied verbatim from llama.cpp's src/llama-vocab.cpp
// (llm_tokenizer_bpe), named after its LLAMA_VOCAB_PRE_TYPE_* values.

const char* const kLlama3[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kJais2[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}"
};

const char* const kDeepseekLlm[] = {
    "[\r\n]",
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
    "\\s+$",
    "[一-龥ࠀ-一가-퟿]+",
    "\\p{N}+"
};

const char* const kDeepseek3[] = {
    "\\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kSpark25[] = {
    "\\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+",
    "\\p{N}"
};

const char* const kDeepseekCoder[] = {
    "[\r\n]",
    "\\s?\\p{L}+",
    "\\s?\\p{P}+",
    "[一-龥ࠀ-一가-퟿]+",
    "\\p{N}"
};

const char* const kFalcon[] = {
    "[\\p{P}\\$\\+<=>\\^~\\|`]+",
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
    "[0-9][0-9][0-9]"
};

const char* const kStarcoder[] = {
    "\\p{N}",
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
};

const char* const kGpt2[] = {
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
};

const char* const kQwen2[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kQwen35[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kPoro[] = {
    " ?[^(\\s|.,!?…。，、।۔،)]+"
};

const char* const kViking[] = {
    " ?[^(\\s|.,!?…。，、।۔،)]+",
    "\\p{N}"
};

const char* const kTekken[] = {
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kChameleon[] = {
    "<sentinel:[0-9]+>",
    "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
    "([\\t\\n]|    |  )",
    "\\p{N}",
    "[\\p{P}!-/:-@\\[-`{-~]",
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
};

const char* const kGpt4o[] = {
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kGraniteEmbMulti[] = {
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))*((?=[\\p{L}\\p{M}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))+((?=[\\p{L}\\p{M}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kBailingmoe[] = {
    "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"
};

const char* const kSeedCoder[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kUfakzeka[] = {
    "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kLaguna[] = {
    "[^\\n]+|[\\n]+",
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kExaoneMoe[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"
};

const char* const kMinicpm5[] = {
    "\\p{N}{1,3}",
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
};

const char* const kDefault[] = {
    "[\\p{P}\\$\\+<=>\\^~\\|]+",
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
    "\\p{N}+",
    "[0-9][0-9][0-9]"
};

// Flags a type carries besides its regexes.
enum Flags : unsigned {
  kNone = 0,
  kIgnoreMerges = 1,
  kAddBos = 2,
  kNoBos = 4,
};

struct Entry {
  const char* name;
  const char* const* regexes;
  size_t n_regexes;
  unsigned flags;
};

#define RLM_PRE(name, table, flags) {name, table, std::size(table), flags}

// tokenizer.ggml.pre values, as llama.cpp's llama_vocab::impl::load maps them.
const Entry kEntries[] = {
    RLM_PRE("default", kDefault, kNone),
    RLM_PRE("llama3", kLlama3, kIgnoreMerges | kAddBos),
    RLM_PRE("llama-v3", kLlama3, kIgnoreMerges | kAddBos),
    RLM_PRE("llama-bpe", kLlama3, kIgnoreMerges | kAddBos),
    RLM_PRE("falcon3", kLlama3, kIgnoreMerges | kAddBos),
    RLM_PRE("falcon-h1", kLlama3, kIgnoreMerges | kAddBos),
    RLM_PRE("pixtral", kLlama3, kIgnoreMerges | kAddBos),
    RLM_PRE("midm-2.0", kLlama3, kIgnoreMerges | kAddBos),
    RLM_PRE("lfm2", kLlama3, kIgnoreMerges | kAddBos),
    RLM_PRE("jina-v5-nano", kLlama3, kIgnoreMerges | kAddBos),
    RLM_PRE("dbrx", kLlama3, kNone),
    RLM_PRE("smaug-bpe", kLlama3, kNone),
    RLM_PRE("jais-2", kJais2, kNone),
    RLM_PRE("deepseek-llm", kDeepseekLlm, kNone),
    RLM_PRE("deepseek-coder", kDeepseekCoder, kNone),
    RLM_PRE("deepseek-v3", kDeepseek3, kNone),
    RLM_PRE("hunyuan-dense", kDeepseek3, kNone),
    RLM_PRE("hy_v4", kDeepseek3, kNone),
    RLM_PRE("joyai-llm", kDeepseek3, kNone),
    RLM_PRE("spark2_5", kSpark25, kNone),
    RLM_PRE("falcon", kFalcon, kNone),
    RLM_PRE("starcoder", kStarcoder, kNone),
    RLM_PRE("refact", kStarcoder, kNone),
    RLM_PRE("command-r", kStarcoder, kNone),
    RLM_PRE("smollm", kStarcoder, kNone),
    RLM_PRE("codeshell", kStarcoder, kNone),
    RLM_PRE("exaone", kStarcoder, kNone),
    RLM_PRE("minerva-7b", kStarcoder, kNone),
    RLM_PRE("mellum2", kStarcoder, kNone),
    RLM_PRE("gpt-2", kGpt2, kNone),
    RLM_PRE("phi-2", kGpt2, kNone),
    RLM_PRE("jina-es", kGpt2, kNone),
    RLM_PRE("jina-de", kGpt2, kNone),
    RLM_PRE("gigachat", kGpt2, kNone),
    RLM_PRE("jina-v2-es", kGpt2, kNone),
    RLM_PRE("jina-v2-de", kGpt2, kNone),
    RLM_PRE("a.x-4.0", kGpt2, kNone),
    RLM_PRE("mellum", kGpt2, kNone),
    RLM_PRE("modern-bert", kGpt2, kNone),
    RLM_PRE("mpt", kGpt2, kNone),
    RLM_PRE("olmo", kGpt2, kNone),
    RLM_PRE("jais", kGpt2, kNone),
    RLM_PRE("trillion", kGpt2, kNone),
    RLM_PRE("granite-docling", kGpt2, kNone),
    RLM_PRE("exaone4", kGpt2, kNone),
    RLM_PRE("qwen2", kQwen2, kNone),
    RLM_PRE("deepseek-r1-qwen", kQwen2, kNone),
    RLM_PRE("kormo", kQwen2, kNone),
    RLM_PRE("f2llmv2", kQwen2, kNone),
    RLM_PRE("megrez", kQwen2, kNone),
    RLM_PRE("stablelm2", kQwen2, kNone),
    RLM_PRE("hunyuan", kQwen2, kNone),
    RLM_PRE("solar-open", kQwen2, kNone),
    RLM_PRE("grok-2", kQwen2, kNone),
    RLM_PRE("qwen35", kQwen35, kNone),
    RLM_PRE("poro-chat", kPoro, kNone),
    RLM_PRE("bloom", kPoro, kNone),
    RLM_PRE("gpt3-finnish", kPoro, kNone),
    RLM_PRE("glm4", kLlama3, kNoBos),
    RLM_PRE("chatglm-bpe", kLlama3, kNoBos),
    RLM_PRE("viking", kViking, kNone),
    RLM_PRE("tekken", kTekken, kIgnoreMerges | kAddBos),
    RLM_PRE("chameleon", kChameleon, kAddBos),
    RLM_PRE("gpt-4o", kGpt4o, kNone),
    RLM_PRE("llama4", kGpt4o, kNone),
    RLM_PRE("kanana2", kGpt4o, kNone),
    RLM_PRE("talkie", kGpt4o, kNone),
    RLM_PRE("minimax-m2", kGpt4o, kNone),
    RLM_PRE("granite-embed-multi-97m", kGraniteEmbMulti, kIgnoreMerges),
    RLM_PRE("bailingmoe", kBailingmoe, kNone),
    RLM_PRE("bailingmoe2", kBailingmoe, kNone),
    RLM_PRE("llada-moe", kBailingmoe, kNone),
    RLM_PRE("seed-coder", kSeedCoder, kNone),
    RLM_PRE("ufakzeka", kUfakzeka, kNone),
    RLM_PRE("laguna", kLaguna, kNone),
    RLM_PRE("exaone-moe", kExaoneMoe, kNone),
    RLM_PRE("minicpm5", kMinicpm5, kIgnoreMerges),
};

#undef RLM_PRE

}  // namespace

Status FindPreTokenizerType(std::string_view pre, PreTokenizerType* out) {
  std::string_view name = pre.empty() ? std::string_view("default") : pre;
  for (const Entry& entry : kEntries) {
    if (name != entry.name) continue;
    out->name = entry.name;
    out->regexes.assign(entry.regexes, entry.regexes + entry.n_regexes);
    out->ignore_merges = (entry.flags & kIgnoreMerges) != 0;
    out->add_bos = (entry.flags & kAddBos) != 0;
    out->no_bos = (entry.flags & kNoBos) != 0;
    return Status::Ok();
  }
  return Status::InvalidArgument("unknown or unsupported pre-tokenizer type '" + std::string(pre) +
                                 "'");
}

}  // namespace radixlm
