#include "tokenizer/spm_tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "tokenizer/text_util.h"

namespace radixlm {
namespace {

// ids: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0xNN>, then the listed pieces.
Vocab MakeVocab(const std::vector<std::pair<std::string, float>>& pieces) {
  Vocab v;
  auto add = [&v](std::string piece, float score, TokenType type) {
    v.pieces.push_back(std::move(piece));
    v.scores.push_back(score);
    v.types.push_back(type);
  };
  add("<unk>", 0, TokenType::kUnknown);
  add("<s>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  for (int b = 0; b < 256; ++b) add(BytePiece(static_cast<uint8_t>(b)), 0, TokenType::kByte);
  for (const auto& [piece, score] : pieces) add(piece, score, TokenType::kNormal);
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.eog = {2};
  return v;
}

constexpr int32_t kFirst = 259;

std::unique_ptr<Tokenizer> Make(Vocab v) {
  std::unique_ptr<Tokenizer> tok;
  Status s = SpmTokenizer::Create(std::move(v), &tok);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return tok;
}

std::vector<int32_t> Encode(const Tokenizer& tok, std::string_view text, bool add_special = false,
                            bool parse_special = false) {
  std::vector<int32_t> ids;
  EXPECT_TRUE(tok.Encode(text, add_special, parse_special, &ids).ok());
  return ids;
}

// Pieces: ▁ a b c ab bc abc ▁a aa
std::unique_ptr<Tokenizer> MakeAbc() {
  return Make(MakeVocab({{"\xe2\x96\x81", -1},  // 259
                         {"a", -2},             // 260
                         {"b", -3},             // 261
                         {"c", -4},             // 262
                         {"ab", -5},            // 263
                         {"bc", -6},            // 264
                         {"abc", -7},           // 265
                         {"\xe2\x96\x81" "a", -8},  // 266
                         {"aa", -9}}));         // 267
}

TEST(SpmTokenizer, MergesBestScoreFirst) {
  auto tok = MakeAbc();
  // "▁a" scores -8, "ab" -5: ab wins, then abc; "▁" stays alone.
  EXPECT_EQ(Encode(*tok, "abc"), (std::vector<int32_t>{259, 265}));
  // Ties between equal pairs go to the leftmost: aa a.
  Vocab v = MakeVocab({{"a", -1}, {"aa", -2}});
  v.add_space_prefix = false;
  auto tok2 = Make(std::move(v));
  EXPECT_EQ(Encode(*tok2, "aaa"), (std::vector<int32_t>{kFirst + 1, kFirst}));
  EXPECT_EQ(Encode(*tok2, "aaaa"), (std::vector<int32_t>{kFirst + 1, kFirst + 1}));
}

TEST(SpmTokenizer, ByteFallback) {
  auto tok = MakeAbc();
  // "é" is not a piece: its two bytes come out as <0xC3> <0xA9>.
  EXPECT_EQ(Encode(*tok, "\xc3\xa9"), (std::vector<int32_t>{259, 3 + 0xC3, 3 + 0xA9}));
  // A truncated sequence at the end is still one (unknown) symbol.
  EXPECT_EQ(Encode(*tok, "a\xe2\x96"), (std::vector<int32_t>{266, 3 + 0xE2, 3 + 0x96}));
  EXPECT_EQ(tok->Decode(Encode(*tok, "\xc3\xa9 x\xf0\x9f\xa6\x99")), "\xc3\xa9 x\xf0\x9f\xa6\x99");
}

TEST(SpmTokenizer, FallsBackToUnkWithoutByteTokens) {
  Vocab v;
  v.pieces = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a"};
  v.scores = {0, 0, 0, -1, -2};
  v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl, TokenType::kNormal,
             TokenType::kNormal};
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  auto tok = Make(std::move(v));
  EXPECT_EQ(Encode(*tok, "ax"), (std::vector<int32_t>{3, 4, 0}));
}

TEST(SpmTokenizer, SpecialTokensAndPrefix) {
  auto tok = MakeAbc();
  EXPECT_EQ(Encode(*tok, "a", true), (std::vector<int32_t>{1, 266}));
  EXPECT_EQ(Encode(*tok, "", true), (std::vector<int32_t>{1}));
  EXPECT_EQ(Encode(*tok, ""), (std::vector<int32_t>{}));
  // Without parse_special "<s>" is spelled out, byte by byte here.
  std::vector<int32_t> spelled = Encode(*tok, "<s>a");
  EXPECT_EQ(spelled.size(), 5u);
  EXPECT_EQ(tok->Decode(spelled), "<s>a");
  // With it, the text after a special token gets the dummy prefix again.
  EXPECT_EQ(Encode(*tok, "a<s>a</s>", false, true), (std::vector<int32_t>{266, 1, 266, 2}));
  EXPECT_EQ(Encode(*tok, "<s>", false, true), (std::vector<int32_t>{1}));

  Vocab v = MakeVocab({{"a", -1}});
  v.add_eos = true;
  v.add_bos = false;
  auto tok2 = Make(std::move(v));
  EXPECT_EQ(Encode(*tok2, "a", true).back(), 2);
  EXPECT_NE(Encode(*tok2, "a", true).front(), 1);
}

TEST(SpmTokenizer, UserDefinedAlwaysSplit) {
  Vocab v = MakeVocab({{"\xe2\x96\x81", -1}, {"a", -2}});
  v.pieces.push_back("<tag>");
  v.scores.push_back(0);
  v.types.push_back(TokenType::kUserDefined);
  int32_t tag = static_cast<int32_t>(v.pieces.size()) - 1;
  auto tok = Make(std::move(v));
  EXPECT_EQ(Encode(*tok, "a<tag>a"), (std::vector<int32_t>{259, 260, tag, 259, 260}));
  EXPECT_EQ(tok->Decode({260, tag, 260}), "a<tag>a");
}

TEST(SpmTokenizer, LongestSpecialFirst) {
  Vocab v = MakeVocab({});
  for (std::string s : {"<a>", "<a><b>"}) {
    v.pieces.push_back(s);
    v.scores.push_back(0);
    v.types.push_back(TokenType::kControl);
  }
  auto tok = Make(std::move(v));
  EXPECT_EQ(Encode(*tok, "<a><b><a>", false, true), (std::vector<int32_t>{kFirst + 1, kFirst}));
}

TEST(SpmTokenizer, DecodeToken) {
  auto tok = MakeAbc();
  EXPECT_EQ(tok->DecodeToken(-1, 266), "a");    // dummy prefix dropped at the start
  EXPECT_EQ(tok->DecodeToken(1, 266), "a");     // and after BOS
  EXPECT_EQ(tok->DecodeToken(260, 266), " a");
  EXPECT_EQ(tok->DecodeToken(-1, 1), "");       // control
  EXPECT_EQ(tok->DecodeToken(-1, 0), "");       // unknown
  EXPECT_EQ(tok->DecodeToken(-1, 3 + 'x'), "x");
  EXPECT_EQ(tok->DecodeToken(-1, -5), "");
  EXPECT_EQ(tok->DecodeToken(-1, 100000), "");
  EXPECT_EQ(tok->Decode({1, 266, 259, 265, 2}), "a abc");
  EXPECT_TRUE(tok->IsEog(2));
  EXPECT_FALSE(tok->IsEog(1));
  EXPECT_FALSE(tok->IsEog(-1));
  EXPECT_EQ(tok->Describe(), "spm, 268 tokens, bos=1 eos=2");
}

TEST(SpmTokenizer, RoundTrip) {
  auto tok = MakeAbc();
  for (std::string text : {"abc abc", " leading", "trailing  ", "a\nb\tc", "\xe4\xbd\xa0\xe5\xa5\xbd",
                           "mixed \xf0\x9f\xa6\x99 emoji", "   ", "\xc3\x28 invalid"}) {
    EXPECT_EQ(tok->Decode(Encode(*tok, text)), text) << text;
  }
}

TEST(SpmTokenizer, LargeInputIsFast) {
  auto tok = MakeAbc();
  std::string text;
  while (text.size() < 200000) text += "abcab aab \xe2\x82\xac";
  auto start = std::chrono::steady_clock::now();
  std::vector<int32_t> ids = Encode(*tok, text);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 2.0);
  EXPECT_EQ(tok->Decode(ids), text);
  // One long run with no spaces at all.
  std::string run(100000, 'a');
  EXPECT_EQ(Encode(*tok, run).size(), 50001u);
}

TEST(SpmTokenizer, CreateValidates) {
  std::unique_ptr<Tokenizer> tok;
  EXPECT_FALSE(SpmTokenizer::Create(Vocab(), &tok).ok());
  Vocab v = MakeVocab({{"a", -1}});
  v.scores.pop_back();
  EXPECT_FALSE(SpmTokenizer::Create(v, &tok).ok());
  v = MakeVocab({{"a", -1}});
  v.bos = 100000;
  EXPECT_FALSE(SpmTokenizer::Create(v, &tok).ok());
  v = MakeVocab({{"a", -1}});
  v.eog = {-3};
  EXPECT_FALSE(SpmTokenizer::Create(v, &tok).ok());
  v = MakeVocab({{"a", -1}});
  v.scores[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(SpmTokenizer::Create(v, &tok).ok());
}

}  // namespace
}  // namespace radixlm
