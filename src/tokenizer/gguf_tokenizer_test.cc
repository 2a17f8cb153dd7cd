#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "base/mapped_file.h"
#include "format/gguf.h"
#include "format/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {
namespace {

std::string TestData(const std::string& rel) { return std::string(RADIXLM_SOURCE_DIR) + "/" + rel; }

const char kSpmVocab[] = "testdata/vocab/ggml-vocab-llama-spm.gguf";

struct VocabCase {
  std::string text;
  std::vector<int32_t> ids;
};

// Reads the .inp/.out pair as llama.cpp's test-tokenizer-0 does: inputs
// separated by "\n__ggml_vocab_test__\n" (a trailing separator ends the
// list), one line of space-separated ids per input.
std::vector<VocabCase> ReadCases(const std::string& base) {
  std::string inp, out;
  EXPECT_TRUE(ReadFileToString(base + ".inp", &inp).ok());
  EXPECT_TRUE(ReadFileToString(base + ".out", &out).ok());
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
  std::vector<VocabCase> cases;
  std::istringstream lines(out);
  std::string line;
  for (size_t i = 0; std::getline(lines, line); ++i) {
    if (i >= texts.size()) break;
    VocabCase c{texts[i], {}};
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(cases.size(), texts.size());
  return cases;
}

Status LoadFromGguf(const std::string& path, std::unique_ptr<Tokenizer>* tok) {
  std::unique_ptr<GgufFile> gguf;
  RLM_RETURN_IF_ERROR(GgufFile::Open(path, &gguf));
  return LoadGgufTokenizer(*gguf, tok);
}

TEST(GgufTokenizer, LlamaSpmVocabVectors) {
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadFromGguf(TestData(kSpmVocab), &tok);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(tok->vocab_size(), 32000);
  EXPECT_EQ(tok->bos(), 1);
  EXPECT_EQ(tok->eos(), 2);
  EXPECT_TRUE(tok->IsEog(2));
  EXPECT_TRUE(tok->vocab().add_bos);
  EXPECT_TRUE(tok->vocab().add_space_prefix);

  std::vector<VocabCase> cases = ReadCases(TestData(kSpmVocab));
  ASSERT_EQ(cases.size(), 46u);
  int passed = 0;
  for (const VocabCase& c : cases) {
    std::vector<int32_t> ids;
    ASSERT_TRUE(tok->Encode(c.text, /*add_special=*/false, /*parse_special=*/false, &ids).ok());
    EXPECT_EQ(ids, c.ids) << "text: '" << c.text << "'";
    passed += ids == c.ids;
    EXPECT_EQ(tok->Decode(ids), c.text);
  }
  EXPECT_EQ(passed, 46);

  std::vector<int32_t> ids;
  ASSERT_TRUE(tok->Encode("Hello world", true, false, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 15043, 3186}));
  ids.clear();
  ASSERT_TRUE(tok->Encode("<s>Hello</s>", false, true, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 15043, 2}));
  EXPECT_EQ(tok->Decode(ids), "Hello");
}

TEST(GgufTokenizer, LlamaModelFile) {
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadFromGguf(TestData("testdata/golden/llama2-tiny/llama2-tiny-f16.gguf"), &tok);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(tok->Describe(), "spm, 32000 tokens, bos=1 eos=2");
}

// llama.cpp's tokenizer vectors (test-tokenizer-0) for each vocab, encoded
// without specials: every case must give exactly llama.cpp's ids.
struct VectorCase {
  const char* vocab;
  const char* describe;
};

class VocabVectorTest : public ::testing::TestWithParam<VectorCase> {};

TEST_P(VocabVectorTest, MatchesLlamaCpp) {
  std::string base = TestData(std::string("testdata/vocab/ggml-vocab-") + GetParam().vocab + ".gguf");
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadFromGguf(base, &tok);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(tok->Describe(), GetParam().describe);
  std::vector<VocabCase> cases = ReadCases(base);
  ASSERT_GT(cases.size(), 40u);
  size_t passed = 0;
  for (const VocabCase& c : cases) {
    std::vector<int32_t> ids;
    ASSERT_TRUE(tok->Encode(c.text, /*add_special=*/false, /*parse_special=*/false, &ids).ok());
    EXPECT_EQ(ids, c.ids) << "text: '" << c.text << "'";
    passed += ids == c.ids;
    // Byte-level BPE spells every byte, so decoding gives the text back.
    if (std::string(GetParam().describe).rfind("bpe", 0) == 0) {
      EXPECT_EQ(tok->Decode(ids), c.text);
    }
  }
  EXPECT_EQ(passed, cases.size());
}

INSTANTIATE_TEST_SUITE_P(
    Vocabs, VocabVectorTest,
    ::testing::Values(
        VectorCase{"qwen2", "bpe (qwen2), 151936 tokens, 151387 merges, bos=151643 eos=151643"},
        VectorCase{"llama-bpe", "bpe (llama-bpe), 128256 tokens, 280147 merges, bos=128000 eos=128001"},
        VectorCase{"gpt-2", "bpe (gpt-2), 50257 tokens, 50000 merges, bos=50256 eos=50256"},
        VectorCase{"deepseek-coder", "bpe (deepseek-coder), 32256 tokens, 31757 merges, bos=32013 eos=32014"},
        VectorCase{"falcon", "bpe (falcon), 65024 tokens, 64784 merges, bos=11 eos=11"},
        VectorCase{"starcoder", "bpe (starcoder), 49152 tokens, 48872 merges, bos=0 eos=0"},
        VectorCase{"phi-3", "spm, 32064 tokens, bos=1 eos=32000"}),
    [](const ::testing::TestParamInfo<VectorCase>& info) {
      std::string name = info.param.vocab;
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

TEST(GgufTokenizer, Qwen2Specials) {
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadFromGguf(TestData("testdata/vocab/ggml-vocab-qwen2.gguf"), &tok);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(tok->vocab().add_bos);
  std::vector<int32_t> ids;
  ASSERT_TRUE(tok->Encode("<|im_start|>user\nHi<|im_end|>", true, true, &ids).ok());
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(tok->vocab().pieces[ids[0]], "<|im_start|>");
  EXPECT_EQ(tok->vocab().pieces[ids[4]], "<|im_end|>");
  EXPECT_TRUE(tok->IsEog(ids[4]));
  EXPECT_EQ(tok->Decode(ids), "user\nHi");  // control tokens decode to ""
  // Without parse_special the texts are spelled out.
  ids.clear();
  ASSERT_TRUE(tok->Encode("<|im_end|>", false, false, &ids).ok());
  EXPECT_GT(ids.size(), 1u);
  EXPECT_EQ(tok->Decode(ids), "<|im_end|>");
}

TEST(GgufTokenizer, LlamaBpeAddsBos) {
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadFromGguf(TestData("testdata/vocab/ggml-vocab-llama-bpe.gguf"), &tok);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(tok->vocab().add_bos);
  std::vector<int32_t> ids;
  ASSERT_TRUE(tok->Encode("Hello world", true, false, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int32_t>{128000, 9906, 1917}));
  ids.clear();
  ASSERT_TRUE(tok->Encode("<|begin_of_text|>Hi<|eot_id|>", false, true, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int32_t>{128000, 13347, 128009}));
  EXPECT_TRUE(tok->IsEog(128009));
  EXPECT_TRUE(tok->IsEog(128001));
}

// Random text over ASCII, Latin, Greek/Cyrillic, CJK, emoji and
// whitespace, with `n_chars` characters.
std::string RandomText(std::mt19937* rng, size_t n_chars) {
  static const uint32_t kRanges[][2] = {
      {0x20, 0x7E}, {0x20, 0x7E}, {0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0x17F},
      {0x370, 0x4FF}, {0x4E00, 0x9FA5}, {0x3000, 0x303F}, {0x1F300, 0x1F64F}, {0x2000, 0x206F},
  };
  std::string text;
  for (size_t i = 0; i < n_chars; ++i) {
    const uint32_t* range = kRanges[(*rng)() % std::size(kRanges)];
    uint32_t cpt = range[0] + (*rng)() % (range[1] - range[0] + 1);
    if (cpt < 0x80) {
      text.push_back(static_cast<char>(cpt));
    } else if (cpt < 0x800) {
      text.push_back(static_cast<char>(0xC0 | (cpt >> 6)));
      text.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
    } else if (cpt < 0x10000) {
      text.push_back(static_cast<char>(0xE0 | (cpt >> 12)));
      text.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
      text.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
    } else {
      text.push_back(static_cast<char>(0xF0 | (cpt >> 18)));
      text.push_back(static_cast<char>(0x80 | ((cpt >> 12) & 0x3F)));
      text.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
      text.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
    }
  }
  return text;
}

TEST(GgufTokenizer, Qwen2ModelFileRoundTrip) {
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadFromGguf(TestData("testdata/golden/qwen2-tiny/qwen2-tiny-q8_0.gguf"), &tok);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(tok->vocab_size(), 151936);
  EXPECT_EQ(tok->Describe().rfind("bpe (qwen2), 151936 tokens", 0), 0u) << tok->Describe();

  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    std::string text = RandomText(&rng, 1 + rng() % 40);
    std::vector<int32_t> ids;
    ASSERT_TRUE(tok->Encode(text, false, false, &ids).ok());
    ASSERT_EQ(tok->Decode(ids), text) << "case " << i;
  }
  // Invalid UTF-8 is encoded as llama.cpp does: each bad byte as U+FFFD.
  std::vector<int32_t> ids;
  ASSERT_TRUE(tok->Encode("a\xff\xc3", false, false, &ids).ok());
  EXPECT_EQ(tok->Decode(ids), "a\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(GgufTokenizer, BpeEncodesFast) {
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadFromGguf(TestData("testdata/vocab/ggml-vocab-qwen2.gguf"), &tok);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::mt19937 rng(7);
  std::string text;
  while (text.size() < 100 * 1024) text += RandomText(&rng, 64);
  std::vector<int32_t> ids;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(tok->Encode(text, false, false, &ids).ok());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 1.0) << ids.size() << " tokens";
  EXPECT_EQ(tok->Decode(ids), text);
}

// Builds a small GGUF tokenizer whose keys the test then spoils.
class GgufTokenizerHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    w_.AddString("tokenizer.ggml.model", "llama");
    w_.AddStringArray("tokenizer.ggml.tokens",
                      {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a", "<|eot_id|>"});
    w_.AddF32Array("tokenizer.ggml.scores", {0, 0, 0, -1, -2, 0});
    w_.AddI32Array("tokenizer.ggml.token_type", {2, 3, 3, 1, 1, 4});
  }
  Status Load(std::unique_ptr<Tokenizer>* tok) {
    bytes_ = w_.Serialize();
    std::unique_ptr<GgufFile> gguf;
    RLM_RETURN_IF_ERROR(GgufFile::Parse(MappedFile::FromBuffer(bytes_.data(), bytes_.size()), &gguf));
    return LoadGgufTokenizer(*gguf, tok);
  }
  GgufWriter w_;
  std::string bytes_;
};

TEST_F(GgufTokenizerHostileTest, Good) {
  w_.AddU32("tokenizer.ggml.eot_token_id", 4);
  w_.AddBool("tokenizer.ggml.add_bos_token", false);
  w_.AddBool("tokenizer.ggml.add_eos_token", true);
  w_.AddU32("tokenizer.ggml.padding_token_id", 99);  // ignored
  std::unique_ptr<Tokenizer> tok;
  Status s = Load(&tok);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(tok->IsEog(2));
  EXPECT_TRUE(tok->IsEog(4));
  EXPECT_TRUE(tok->IsEog(5));  // by its text, and now a control token
  EXPECT_EQ(tok->vocab().types[5], TokenType::kControl);
  EXPECT_EQ(tok->vocab().pad, -1);
  std::vector<int32_t> ids;
  ASSERT_TRUE(tok->Encode("a", true, false, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int32_t>{3, 4, 2}));
}

TEST_F(GgufTokenizerHostileTest, NoSpacePrefix) {
  w_.AddBool("tokenizer.ggml.add_space_prefix", false);
  std::unique_ptr<Tokenizer> tok;
  ASSERT_TRUE(Load(&tok).ok());
  std::vector<int32_t> ids;
  ASSERT_TRUE(tok->Encode("a a", false, false, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int32_t>{4, 3, 4}));
  EXPECT_EQ(tok->Decode(ids), "a a");
}

TEST_F(GgufTokenizerHostileTest, Rejects) {
  std::unique_ptr<Tokenizer> tok;
  w_.AddF32Array("tokenizer.ggml.scores", {0, 0, 0});
  EXPECT_EQ(Load(&tok).code(), Status::Code::kCorruption);
  SetUp();
  w_.AddI32Array("tokenizer.ggml.token_type", {1, 1, 1, 1, 1, 1, 1});
  EXPECT_EQ(Load(&tok).code(), Status::Code::kCorruption);
  SetUp();
  w_.AddU32("tokenizer.ggml.bos_token_id", 6);
  EXPECT_EQ(Load(&tok).code(), Status::Code::kCorruption);
  SetUp();
  w_.AddI32("tokenizer.ggml.eos_token_id", -1);
  EXPECT_EQ(Load(&tok).code(), Status::Code::kCorruption);
  SetUp();
  w_.AddString("tokenizer.ggml.bos_token_id", "one");
  EXPECT_FALSE(Load(&tok).ok());
  SetUp();
  w_.AddString("tokenizer.ggml.model", "bert");
  Status s = Load(&tok);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("unsupported tokenizer model 'bert'"), std::string::npos);
  SetUp();
  w_.AddString("tokenizer.ggml.model", "gpt2");  // no merges
  EXPECT_EQ(Load(&tok).code(), Status::Code::kNotFound);
  SetUp();
  w_.AddString("tokenizer.ggml.model", "gpt2");
  w_.AddStringArray("tokenizer.ggml.merges", {"a a"});
  w_.AddString("tokenizer.ggml.pre", "no-such-pre");
  s = Load(&tok);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("'no-such-pre'"), std::string::npos) << s.ToString();

  GgufWriter empty;
  empty.AddString("general.architecture", "llama");
  std::string bytes = empty.Serialize();
  std::unique_ptr<GgufFile> gguf;
  ASSERT_TRUE(GgufFile::Parse(MappedFile::FromBuffer(bytes.data(), bytes.size()), &gguf).ok());
  EXPECT_EQ(LoadGgufTokenizer(*gguf, &tok).code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace radixlm
