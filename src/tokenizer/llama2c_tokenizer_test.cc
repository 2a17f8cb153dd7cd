#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "base/mapped_file.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {
namespace {

const std::string kTok512 = std::string(RADIXLM_SOURCE_DIR) + "/models/stories260K/tok512.bin";

std::unique_ptr<Tokenizer> LoadTok512() {
  std::unique_ptr<Tokenizer> tok;
  Status s = LoadLlama2cTokenizer(kTok512, 512, &tok);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return tok;
}

std::vector<int32_t> Encode(const Tokenizer& tok, std::string_view text) {
  std::vector<int32_t> ids;
  EXPECT_TRUE(tok.Encode(text, /*add_special=*/true, /*parse_special=*/false, &ids).ok());
  return ids;
}

TEST(Llama2cTokenizer, LoadsTok512) {
  auto tok = LoadTok512();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->vocab_size(), 512);
  EXPECT_EQ(tok->bos(), 1);
  EXPECT_EQ(tok->eos(), 2);
  const Vocab& v = tok->vocab();
  EXPECT_EQ(v.types[0], TokenType::kUnknown);
  EXPECT_EQ(v.types[1], TokenType::kControl);
  EXPECT_EQ(v.pieces[1], "<s>");
  EXPECT_EQ(v.pieces[2], "</s>");
  for (int i = 3; i <= 258; ++i) EXPECT_EQ(v.types[i], TokenType::kByte) << i;
  EXPECT_EQ(v.pieces[259], "\xe2\x96\x81t");  // " t" in the file
  EXPECT_TRUE(tok->IsEog(2));
  EXPECT_TRUE(tok->IsEog(1));  // run.c stops on BOS
  EXPECT_EQ(tok->Describe(), "spm, 512 tokens, bos=1 eos=2");
}

// Expected ids from llama2.c's run.c encode() (bos=1, eos=0).
TEST(Llama2cTokenizer, MatchesRunC) {
  auto tok = LoadTok512();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(Encode(*tok, "Once upon a time"), (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(Encode(*tok, "Lily and Ben went to the park."),
            (std::vector<int32_t>{1, 317, 269, 368, 302, 263, 377, 267, 265, 282, 295, 433, 426}));
  EXPECT_EQ(Encode(*tok, "Hello\nworld"),
            (std::vector<int32_t>{1, 346, 306, 414, 13, 424, 304, 341}));
  EXPECT_EQ(Encode(*tok, "caf\xc3\xa9 \xf0\x9f\xa6\x99!"),
            (std::vector<int32_t>{1, 280, 412, 431, 485, 410, 243, 162, 169, 156, 443}));
  EXPECT_EQ(Encode(*tok, "  two  spaces"),
            (std::vector<int32_t>{1, 410, 410, 259, 424, 414, 410, 262, 427, 412, 331, 419}));
  EXPECT_EQ(Encode(*tok, "x<s>y"), (std::vector<int32_t>{1, 410, 444, 504, 419, 505, 422}));
}

TEST(Llama2cTokenizer, RoundTrip) {
  auto tok = LoadTok512();
  ASSERT_NE(tok, nullptr);
  const char* texts[] = {
      "Once upon a time, there was a little girl named Lily.",
      " leading space",
      "trailing space ",
      "tabs\tand\nnew\nlines\n",
      "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",        // Привет
      "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c",        // 你好世界
      "emoji \xf0\x9f\xa6\x99\xf0\x9f\x98\x80 and \xe2\x82\xac",  // 🦙😀 €
      "<s> and </s> stay text",
      "",
  };
  for (const char* text : texts) {
    std::vector<int32_t> ids = Encode(*tok, text);
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(ids[0], 1);
    EXPECT_EQ(tok->Decode(ids), text);
  }
  // DecodeToken as run.c uses it: the dummy-prefix space after BOS is dropped.
  EXPECT_EQ(tok->DecodeToken(1, 403), "Once");
  EXPECT_EQ(tok->DecodeToken(403, 407), " upon");
  EXPECT_EQ(tok->DecodeToken(407, 3 + 'A'), "A");
  EXPECT_EQ(tok->DecodeToken(407, 512), "");
}

class Llama2cCorruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ReadFileToString(kTok512, &good_).ok());
    path_ = ::testing::TempDir() + "/tok_corrupt.bin";
  }
  void TearDown() override { std::remove(path_.c_str()); }

  Status LoadBytes(const std::string& bytes, int32_t vocab_size = 512) {
    FILE* f = std::fopen(path_.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    std::unique_ptr<Tokenizer> tok;
    return LoadLlama2cTokenizer(path_, vocab_size, &tok);
  }
  static void PutInt(std::string* s, size_t offset, int32_t v) {
    std::memcpy(&(*s)[offset], &v, sizeof(v));
  }

  std::string good_;
  std::string path_;
};

TEST_F(Llama2cCorruptTest, Rejects) {
  EXPECT_TRUE(LoadBytes(good_).ok());
  EXPECT_EQ(LoadBytes(good_, 513).code(), Status::Code::kCorruption);  // runs off the end
  EXPECT_EQ(LoadBytes(good_, 0).code(), Status::Code::kInvalidArgument);
  for (size_t cut : {size_t{0}, size_t{2}, size_t{4}, size_t{10}, good_.size() - 1}) {
    EXPECT_EQ(LoadBytes(good_.substr(0, cut)).code(), Status::Code::kCorruption) << cut;
  }
  std::string bad = good_;
  PutInt(&bad, 0, -1);  // max_token_length
  EXPECT_EQ(LoadBytes(bad).code(), Status::Code::kCorruption);
  bad = good_;
  PutInt(&bad, 8, -5);  // first piece's length
  EXPECT_EQ(LoadBytes(bad).code(), Status::Code::kCorruption);
  bad = good_;
  PutInt(&bad, 8, 0x7fffffff);
  EXPECT_EQ(LoadBytes(bad).code(), Status::Code::kCorruption);
  std::unique_ptr<Tokenizer> tok;
  EXPECT_EQ(LoadLlama2cTokenizer("/nonexistent/tok.bin", 512, &tok).code(),
            Status::Code::kIOError);
}

}  // namespace
}  // namespace radixlm
