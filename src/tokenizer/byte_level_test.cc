#include "tokenizer/byte_level.h"

#include <gtest/gtest.h>

#include <set>

namespace radixlm {
namespace {

TEST(ByteLevel, Gpt2ByteMap) {
  EXPECT_EQ(ByteToUnicode(' '), "\xc4\xa0");   // "Ġ" U+0120
  EXPECT_EQ(ByteToUnicode('\n'), "\xc4\x8a");  // "Ċ" U+010A
  EXPECT_EQ(ByteToUnicode('a'), "a");
  EXPECT_EQ(ByteToUnicode(0xE9), "\xc3\xa9");  // 'é' maps to itself
  EXPECT_EQ(ByteToUnicode(0xAD), "\xc5\x83");  // soft hyphen: U+0143
  std::set<std::string> seen;
  for (int b = 0; b < 256; ++b) {
    std::string_view text = ByteToUnicode(static_cast<uint8_t>(b));
    seen.insert(std::string(text));
    std::vector<uint32_t> cpts;
    DecodeUtf8Lenient(text, &cpts);
    ASSERT_EQ(cpts.size(), 1u);
    EXPECT_EQ(UnicodeToByte(cpts[0]), b);
  }
  EXPECT_EQ(seen.size(), 256u);
  EXPECT_EQ(UnicodeToByte(' '), -1);
  EXPECT_EQ(UnicodeToByte(0x144), -1);
  EXPECT_EQ(UnicodeToByte(0x4E00), -1);
}

TEST(ByteLevel, DecodeUtf8Lenient) {
  std::vector<uint32_t> cpts;
  DecodeUtf8Lenient("a\xc3\xa9\xe4\xb8\x80\xf0\x9f\x98\x80", &cpts);
  EXPECT_EQ(cpts, (std::vector<uint32_t>{'a', 0xE9, 0x4E00, 0x1F600}));
  cpts.clear();
  // Stray continuation, truncated sequence, bad continuation, 0xFF.
  DecodeUtf8Lenient("\x80" "b\xe4\xb8" "c\xc3(\xff", &cpts);
  EXPECT_EQ(cpts, (std::vector<uint32_t>{0xFFFD, 'b', 0xFFFD, 0xFFFD, 'c', 0xFFFD, '(', 0xFFFD}));
  cpts.clear();
  DecodeUtf8Lenient("\xc0\x80\xed\xa0\x80", &cpts);  // overlong NUL, surrogate: accepted
  EXPECT_EQ(cpts, (std::vector<uint32_t>{0, 0xD800}));
}

TEST(ByteLevel, AppendUtf8) {
  std::string out;
  for (uint32_t cpt : {0x41u, 0xE9u, 0x4E00u, 0x1F600u, 0x110000u}) AppendUtf8(cpt, &out);
  EXPECT_EQ(out, "A\xc3\xa9\xe4\xb8\x80\xf0\x9f\x98\x80\xef\xbf\xbd");
}

}  // namespace
}  // namespace radixlm
