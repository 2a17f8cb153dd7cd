#include "tokenizer/special_split.h"

#include <gtest/gtest.h>

namespace radixlm {
namespace {

Vocab SpecialVocab() {
  Vocab v;
  v.pieces = {"<unk>", "<s>", "x", "<tag>", "<s><s>", ""};
  v.scores.assign(v.pieces.size(), 0.0f);
  v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kNormal,
             TokenType::kUserDefined, TokenType::kControl, TokenType::kControl};
  return v;
}

std::string Render(std::string_view text, const std::vector<Fragment>& fragments) {
  std::string out;
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      out.append("[").append(std::to_string(f.token)).append("]");
    } else {
      out.append("'").append(text.substr(f.offset, f.length)).append("'");
    }
  }
  return out;
}

TEST(SpecialSplit, Collect) {
  Vocab v = SpecialVocab();
  EXPECT_EQ(CollectSpecialTokens(v), (std::vector<int32_t>{4, 0, 3, 1}));
}

TEST(SpecialSplit, Split) {
  Vocab v = SpecialVocab();
  std::vector<int32_t> specials = CollectSpecialTokens(v);
  std::vector<Fragment> f;
  std::string_view text = "a<s><s><s>b<tag><unk>";
  SplitOnSpecialTokens(text, v, specials, true, &f);
  EXPECT_EQ(Render(text, f), "'a'[4][1]'b'[3][0]");
  SplitOnSpecialTokens(text, v, specials, false, &f);
  EXPECT_EQ(Render(text, f), "'a<s><s><s>b'[3]'<unk>'");
  SplitOnSpecialTokens("", v, specials, true, &f);
  EXPECT_TRUE(f.empty());
  SplitOnSpecialTokens("<s>", v, specials, true, &f);
  EXPECT_EQ(Render("<s>", f), "[1]");
}

}  // namespace
}  // namespace radixlm
