#include "tokenizer/bpe_tokenizer.h"

#include <gtest/gtest.h>

namespace radixlm {
namespace {

using Ids = std::vector<int32_t>;

// A toy byte-level vocab: "Ġ" is the space byte.
Vocab ToyVocab() {
  Vocab vocab;
  vocab.pieces = {"a", "b", "c", "\xc4\xa0", "ab", "bc", "abc", "\xc4\xa0" "a", "<|end|>",
                  "<user>", "\xc4\xa0" "ab", "ac"};
  vocab.scores.assign(vocab.pieces.size(), 0.0f);
  vocab.types.assign(vocab.pieces.size(), TokenType::kNormal);
  vocab.types[8] = TokenType::kControl;
  vocab.types[9] = TokenType::kUserDefined;
  vocab.bos = 8;
  vocab.eos = 8;
  vocab.add_bos = false;
  vocab.add_space_prefix = false;
  vocab.eog = {8};
  return vocab;
}

const std::vector<std::string> kMerges = {"a b", "b c", "ab c", "\xc4\xa0 a", "\xc4\xa0" "a b"};

std::unique_ptr<Tokenizer> Make(const std::string& pre, Vocab vocab = ToyVocab()) {
  PreTokenizerType type;
  EXPECT_TRUE(FindPreTokenizerType(pre, &type).ok());
  std::unique_ptr<Tokenizer> tok;
  Status s = BpeTokenizer::Create(std::move(vocab), kMerges, type, "", &tok);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return tok;
}

Ids Encode(const Tokenizer& tok, const std::string& text, bool add_special = false,
           bool parse_special = false) {
  Ids ids;
  EXPECT_TRUE(tok.Encode(text, add_special, parse_special, &ids).ok());
  return ids;
}

TEST(BpeTokenizer, MergesByRank) {
  std::unique_ptr<Tokenizer> tok = Make("gpt-2");
  EXPECT_EQ(Encode(*tok, "abc"), (Ids{6}));
  EXPECT_EQ(Encode(*tok, "bc"), (Ids{5}));
  // "a b" (rank 0) wins over "Ġ a" (rank 3), and "Ġ ab" is no merge.
  EXPECT_EQ(Encode(*tok, " ab"), (Ids{3, 4}));
  EXPECT_EQ(Encode(*tok, " a"), (Ids{7}));
  EXPECT_EQ(Encode(*tok, "ac"), (Ids{0, 2}));
  EXPECT_EQ(tok->Decode(Encode(*tok, "abc ab a")), "abc ab a");
  EXPECT_EQ(tok->Describe(), "bpe (gpt-2), 12 tokens, 5 merges, bos=8 eos=8");
}

TEST(BpeTokenizer, UnknownBytesAreDropped) {
  std::unique_ptr<Tokenizer> tok = Make("gpt-2");
  EXPECT_EQ(Encode(*tok, "a d"), (Ids{0, 3}));
  EXPECT_EQ(Encode(*tok, ""), (Ids{}));
}

TEST(BpeTokenizer, IgnoreMerges) {
  std::unique_ptr<Tokenizer> tok = Make("llama-bpe");
  EXPECT_EQ(Encode(*tok, "ac"), (Ids{11}));  // a piece, though no merge makes it
  EXPECT_EQ(Encode(*tok, "abc"), (Ids{6}));
}

TEST(BpeTokenizer, Specials) {
  std::unique_ptr<Tokenizer> tok = Make("gpt-2");
  // User-defined texts are always split out; control ones only when asked.
  EXPECT_EQ(Encode(*tok, "a<user>b"), (Ids{0, 9, 1}));
  EXPECT_EQ(Encode(*tok, "a<|end|>", false, true), (Ids{0, 8}));
  Ids spelled = Encode(*tok, "<|end|>", false, false);
  EXPECT_EQ(std::find(spelled.begin(), spelled.end(), 8), spelled.end());
  EXPECT_EQ(tok->Decode({0, 9, 8, 1}), "a<user>b");
  EXPECT_TRUE(tok->IsEog(8));

  Vocab vocab = ToyVocab();
  vocab.add_bos = true;
  tok = Make("gpt-2", vocab);
  EXPECT_EQ(Encode(*tok, "b", true), (Ids{8, 1}));
  EXPECT_EQ(Encode(*tok, "b", false), (Ids{1}));
}

TEST(BpeTokenizer, DecodeUnmappedCodePoint) {
  Vocab vocab = ToyVocab();
  vocab.pieces[2] = "\xe4\xb8\x80";  // U+4E00 is not in GPT-2's byte map
  std::unique_ptr<Tokenizer> tok = Make("gpt-2", vocab);
  EXPECT_EQ(tok->DecodeToken(-1, 2), "[UNK_BYTE_0xe4b880\xe4\xb8\x80]");
  EXPECT_EQ(tok->DecodeToken(-1, 99), "");
}

TEST(BpeTokenizer, Rejects) {
  PreTokenizerType type;
  ASSERT_TRUE(FindPreTokenizerType("gpt-2", &type).ok());
  std::unique_ptr<Tokenizer> tok;
  Vocab vocab = ToyVocab();
  vocab.bos = 12;
  EXPECT_EQ(BpeTokenizer::Create(vocab, kMerges, type, "", &tok).code(),
            Status::Code::kInvalidArgument);
  vocab = ToyVocab();
  vocab.types.pop_back();
  EXPECT_EQ(BpeTokenizer::Create(vocab, kMerges, type, "", &tok).code(),
            Status::Code::kInvalidArgument);
  type.regexes = {"(bad"};
  EXPECT_EQ(BpeTokenizer::Create(ToyVocab(), kMerges, type, "", &tok).code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace radixlm
