#include "tokenizer/text_util.h"

#include <gtest/gtest.h>

namespace radixlm {
namespace {

TEST(TextUtil, Utf8LeadLength) {
  EXPECT_EQ(Utf8LeadLength('a'), 1u);
  EXPECT_EQ(Utf8LeadLength(0x80), 1u);  // stray continuation byte
  EXPECT_EQ(Utf8LeadLength(0xC3), 2u);
  EXPECT_EQ(Utf8LeadLength(0xE2), 3u);
  EXPECT_EQ(Utf8LeadLength(0xF0), 4u);
  EXPECT_EQ(Utf8LeadLength(0xFF), 4u);
}

TEST(TextUtil, Whitespace) {
  std::string escaped = "x";
  AppendEscapedWhitespace(" a  b ", &escaped);
  EXPECT_EQ(escaped, "x\xe2\x96\x81" "a\xe2\x96\x81\xe2\x96\x81" "b\xe2\x96\x81");
  EXPECT_EQ(UnescapeWhitespace(escaped), "x a  b ");
  EXPECT_EQ(UnescapeWhitespace("plain"), "plain");
}

TEST(TextUtil, BytePieces) {
  uint8_t b = 0;
  EXPECT_TRUE(ParseBytePiece("<0x0A>", &b));
  EXPECT_EQ(b, 0x0A);
  EXPECT_TRUE(ParseBytePiece("<0xff>", &b));
  EXPECT_EQ(b, 0xFF);
  EXPECT_FALSE(ParseBytePiece("<0xG0>", &b));
  EXPECT_FALSE(ParseBytePiece("<0x0A", &b));
  EXPECT_FALSE(ParseBytePiece("<0x0A> ", &b));
  EXPECT_EQ(BytePiece(0x0A), "<0x0A>");
  EXPECT_EQ(BytePiece(0xFE), "<0xFE>");
  for (int i = 0; i < 256; ++i) {
    ASSERT_TRUE(ParseBytePiece(BytePiece(static_cast<uint8_t>(i)), &b));
    EXPECT_EQ(b, i);
  }
}

}  // namespace
}  // namespace radixlm
