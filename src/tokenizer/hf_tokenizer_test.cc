// LoadHfTokenizer: the tokenizer.json of llama2-tiny (SentencePiece-style
// BPE with byte fallback; its 32000-token vocab is Mistral-7B's, as in its
// GGUF) and qwen2-tiny (byte-level BPE) encode llama.cpp's vocab test texts
// to the same ids as the matching GGUF vocab.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/mapped_file.h"
#include "format/gguf.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {
namespace {

std::string TestData(const std::string& rel) { return std::string(RADIXLM_SOURCE_DIR) + "/" + rel; }

// The texts of a llama.cpp .inp file ("\n__ggml_vocab_test__\n" between).
std::vector<std::string> ReadTexts(const std::string& inp_path) {
  std::string inp;
  EXPECT_TRUE(ReadFileToString(inp_path, &inp).ok());
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0; pos < inp.size();) {
    size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  return texts;
}

std::unique_ptr<Tokenizer> FromGguf(const std::string& path) {
  std::unique_ptr<GgufFile> gguf;
  EXPECT_TRUE(GgufFile::Open(path, &gguf).ok());
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadGgufTokenizer(*gguf, &tok);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return tok;
}

std::unique_ptr<Tokenizer> FromHf(const std::string& dir, int32_t min_vocab = 0) {
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadHfTokenizer(dir, min_vocab, &tok);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return tok;
}

struct SameIdsCase {
  const char* name;
  const char* hf_dir;
  const char* gguf;   // the GGUF whose vocab must agree
  const char* texts;  // a llama.cpp .inp file
};

class HfTokenizerVectors : public ::testing::TestWithParam<SameIdsCase> {};

TEST_P(HfTokenizerVectors, SameIdsAsGgufVocab) {
  auto gguf = FromGguf(TestData(GetParam().gguf));
  auto hf = FromHf(TestData(GetParam().hf_dir), gguf ? gguf->vocab_size() : 0);
  ASSERT_TRUE(gguf && hf);
  EXPECT_EQ(hf->vocab_size(), gguf->vocab_size());
  const std::vector<std::string> texts = ReadTexts(TestData(GetParam().texts));
  ASSERT_GT(texts.size(), 40u);
  size_t same = 0;
  for (const std::string& text : texts) {
    for (bool add_special : {false, true}) {
      std::vector<int32_t> a, b;
      ASSERT_TRUE(gguf->Encode(text, add_special, false, &a).ok());
      ASSERT_TRUE(hf->Encode(text, add_special, false, &b).ok());
      EXPECT_EQ(b, a) << "text: '" << text << "' add_special=" << add_special;
      same += a == b;
      EXPECT_EQ(hf->Decode(b), gguf->Decode(a)) << "text: '" << text << "'";
    }
  }
  EXPECT_EQ(same, 2 * texts.size());
}

INSTANTIATE_TEST_SUITE_P(
    Golden, HfTokenizerVectors,
    ::testing::Values(
        SameIdsCase{"qwen2_tiny", "testdata/golden/qwen2-tiny/hf",
                    "testdata/golden/qwen2-tiny/qwen2-tiny-q8_0.gguf",
                    "testdata/vocab/ggml-vocab-qwen2.gguf.inp"},
        SameIdsCase{"qwen2_vocab", "testdata/golden/qwen2-tiny/hf",
                    "testdata/vocab/ggml-vocab-qwen2.gguf",
                    "testdata/vocab/ggml-vocab-qwen2.gguf.inp"}),
    [](const auto& info) { return std::string(info.param.name); });

// llama2-tiny's tokenizer.json ranks its merges differently from the
// scores llama.cpp's converter gave its GGUF (e.g. "▁ ▁" is merge 58876 of
// 58980, while "▁▁" is id 259), so for runs of spaces and some words HF's
// rank order and llama.cpp's score order part: " Hello" is "▁" "▁Hello"
// for HF, "▁▁" "Hello" for the GGUF. The reference here is HF's algorithm
// itself (scripts/hf_bpe_reference.py, a plain transcription of the
// tokenizers library's merge loop): every text must match it, and the GGUF
// wherever the GGUF matches it.
TEST(HfTokenizer, LlamaTinyMatchesHfReference) {
  auto hf = FromHf(TestData("testdata/golden/llama2-tiny/hf"));
  auto gguf = FromGguf(TestData("testdata/golden/llama2-tiny/llama2-tiny-f16.gguf"));
  ASSERT_TRUE(hf && gguf);
  const std::vector<std::string> texts =
      ReadTexts(TestData("testdata/vocab/ggml-vocab-llama-spm.gguf.inp"));
  std::string out;
  ASSERT_TRUE(ReadFileToString(TestData("testdata/golden/llama2-tiny/hf/vocab-test.out"), &out).ok());
  std::istringstream lines(out);
  size_t n = 0, same_as_gguf = 0;
  for (std::string line; std::getline(lines, line) && n < texts.size(); ++n) {
    std::vector<int32_t> want;
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) want.push_back(id);
    std::vector<int32_t> got, from_gguf;
    ASSERT_TRUE(hf->Encode(texts[n], false, false, &got).ok());
    ASSERT_TRUE(gguf->Encode(texts[n], false, false, &from_gguf).ok());
    EXPECT_EQ(got, want) << "text: '" << texts[n] << "'";
    same_as_gguf += from_gguf == want;
    EXPECT_EQ(hf->Decode(got), gguf->Decode(from_gguf)) << "text: '" << texts[n] << "'";
  }
  EXPECT_EQ(n, texts.size());
  std::printf("llama2-tiny: GGUF agrees with HF on %zu of %zu texts\n", same_as_gguf, n);
  EXPECT_GE(same_as_gguf, n / 2);
}

TEST(HfTokenizer, LlamaSpecialsAndTemplate) {
  auto tok = FromHf(TestData("testdata/golden/llama2-tiny/hf"));
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->vocab_size(), 32000);
  EXPECT_EQ(tok->bos(), 1);
  EXPECT_EQ(tok->eos(), 2);
  EXPECT_TRUE(tok->vocab().add_bos);
  EXPECT_TRUE(tok->IsEog(2));
  EXPECT_EQ(tok->vocab().types[0], TokenType::kUnknown);
  EXPECT_EQ(tok->vocab().types[1], TokenType::kControl);
  EXPECT_EQ(tok->vocab().types[3], TokenType::kByte);  // <0x00>
  std::vector<int32_t> ids;
  ASSERT_TRUE(tok->Encode("<s>Hello</s>", false, true, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 22557, 2}));  // "▁Hello" in this vocab
  EXPECT_EQ(tok->Decode(ids), "Hello");
  EXPECT_TRUE(tok->chat_template().empty());  // this tokenizer_config has none
}

TEST(HfTokenizer, Qwen2SpecialsAndTemplate) {
  // Padded to the model's 151936 embedding rows, as the GGUF vocab is.
  auto tok = FromHf(TestData("testdata/golden/qwen2-tiny/hf"), 151936);
  auto gguf = FromGguf(TestData("testdata/vocab/ggml-vocab-qwen2.gguf"));
  ASSERT_TRUE(tok && gguf);
  EXPECT_EQ(tok->vocab_size(), 151936);
  EXPECT_EQ(tok->vocab().types[151935], TokenType::kUnused);
  EXPECT_FALSE(tok->vocab().add_bos);
  EXPECT_EQ(tok->eos(), 151645);  // <|im_end|>, from tokenizer_config.json
  EXPECT_TRUE(tok->IsEog(151645));
  // Every id below the added tokens spells the same piece as the GGUF's.
  for (int32_t id = 0; id < 151643; ++id) {
    ASSERT_EQ(tok->vocab().pieces[id], gguf->vocab().pieces[id]) << id;
  }
  std::vector<int32_t> ids;
  ASSERT_TRUE(tok->Encode("<|im_start|>user\nHi<|im_end|>", false, true, &ids).ok());
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 151644);
  EXPECT_EQ(ids.back(), 151645);
  const std::string& t = tok->chat_template();
  EXPECT_NE(t.find("<|im_start|>"), std::string::npos);
  EXPECT_NE(t.find("add_generation_prompt"), std::string::npos);
}

// NFC: a decomposed "é" (e + U+0301) encodes as the composed one.
TEST(HfTokenizer, Qwen2NormalizesToNfc) {
  auto tok = FromHf(TestData("testdata/golden/qwen2-tiny/hf"));
  ASSERT_TRUE(tok);
  std::vector<int32_t> composed, decomposed;
  ASSERT_TRUE(tok->Encode("caf\xc3\xa9", false, false, &composed).ok());
  ASSERT_TRUE(tok->Encode("cafe\xcc\x81", false, false, &decomposed).ok());
  EXPECT_EQ(composed, decomposed);
}

TEST(HfTokenizer, GgufChatTemplate) {
  auto tok = FromGguf(TestData("testdata/golden/qwen2-tiny/qwen2-tiny-q8_0.gguf"));
  ASSERT_TRUE(tok);
  EXPECT_NE(tok->chat_template().find("<|im_start|>"), std::string::npos);
}

TEST(HfTokenizer, UnsupportedModelTypeIsNamed) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("radixlm_hftok_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct Case {
    const char* json;
    const char* names;
  };
  const Case cases[] = {
      {R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})", "Unigram"},
      {R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})", "WordPiece"},
      {R"({"normalizer": {"type": "NFKC"}, "pre_tokenizer": {"type": "ByteLevel"},
          "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})", "NFKC"},
      {R"({"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split",
          "pattern": {"Regex": "a"}, "behavior": "Removed"}, {"type": "ByteLevel"}]},
          "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})", "Removed"},
      {R"({"pre_tokenizer": {"type": "Whitespace"},
          "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})", "Whitespace"},
  };
  for (const Case& c : cases) {
    std::ofstream(dir / "tokenizer.json") << c.json;
    std::unique_ptr<Tokenizer> tok;
    Status s = LoadHfTokenizer(dir.string(), 0, &tok);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << c.json;
    EXPECT_NE(s.ToString().find(c.names), std::string::npos) << s.ToString();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace radixlm
