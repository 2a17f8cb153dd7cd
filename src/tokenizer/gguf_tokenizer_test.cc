#include <gtest/gtest.h>

#include <fstream>
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

TEST(GgufTokenizer, Gpt2Unsupported) {
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadFromGguf(TestData("testdata/golden/qwen2-tiny/qwen2-tiny-q8_0.gguf"), &tok);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("unsupported tokenizer model 'gpt2' (byte-level BPE comes later)"),
            std::string::npos)
      << s.ToString();
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
  w_.AddString("tokenizer.ggml.model", "gpt2");
  Status s = Load(&tok);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("unsupported tokenizer model 'gpt2'"), std::string::npos);

  GgufWriter empty;
  empty.AddString("general.architecture", "llama");
  std::string bytes = empty.Serialize();
  std::unique_ptr<GgufFile> gguf;
  ASSERT_TRUE(GgufFile::Parse(MappedFile::FromBuffer(bytes.data(), bytes.size()), &gguf).ok());
  EXPECT_EQ(LoadGgufTokenizer(*gguf, &tok).code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace radixlm
