#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include "tokenizer/byte_level.h"
#include "tokenizer/pre_types.h"

namespace radixlm {
namespace {

// Splits `text` with the regexes of pre-tokenizer type `pre`.
std::vector<std::string> Words(const std::string& pre, const std::string& text) {
  PreTokenizerType type;
  EXPECT_TRUE(FindPreTokenizerType(pre, &type).ok()) << pre;
  std::unique_ptr<PreTokenizer> splitter;
  Status s = PreTokenizer::Create(type.regexes, &splitter);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return {};
  std::vector<uint32_t> cpts;
  DecodeUtf8Lenient(text, &cpts);
  std::vector<WordSpan> spans;
  EXPECT_TRUE(splitter->Split(cpts, &spans).ok());
  std::vector<std::string> words;
  for (const WordSpan& span : spans) {
    std::string word;
    for (size_t i = span.begin; i < span.end; ++i) AppendUtf8(cpts[i], &word);
    words.push_back(word);
  }
  return words;
}

using W = std::vector<std::string>;

TEST(PreTokenizer, Translate) {
  EXPECT_EQ(PreTokenizer::TranslateRegex("\\s+(?!\\S)"),
            "[\\t\\n\\x0B\\f\\r ]+(?![^\\t\\n\\x0B\\f\\r ])");
  EXPECT_EQ(PreTokenizer::TranslateRegex("[^\\s\\p{L}]\\d[\\d]"),
            "[^\\t\\n\\x0B\\f\\r \\p{L}][0-9][0-9]");
  EXPECT_EQ(PreTokenizer::TranslateRegex("[]\\s]\\\\s"), "[]\\t\\n\\x0B\\f\\r ]\\\\s");
}

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(Words("gpt-2", "Hello world's  12345 !!\n\n x"),
            (W{"Hello", " world", "'s", " ", " 12345", " !!", "\n\n", " x"}));
  EXPECT_EQ(Words("gpt-2", "a \t"), (W{"a", " \t"}));
}

TEST(PreTokenizer, Llama3AndQwen2Digits) {
  EXPECT_EQ(Words("llama-bpe", "abc 1234567 I'M"),
            (W{"abc", " ", "123", "456", "7", " I", "'M"}));
  EXPECT_EQ(Words("qwen2", "x 123"), (W{"x", " ", "1", "2", "3"}));
  EXPECT_EQ(Words("qwen2", "a\n\n  b"), (W{"a", "\n\n", " ", " b"}));
}

TEST(PreTokenizer, UnicodeWhitespaceIsSpace) {
  // U+3000 and U+00A0 are whitespace; U+180E is not (as in llama.cpp).
  EXPECT_EQ(Words("gpt-2", "a\xe3\x80\x80" "b"), (W{"a", "\xe3\x80\x80", "b"}));
  EXPECT_EQ(Words("gpt-2", "a\xe1\xa0\x8e" "b"), (W{"a", "\xe1\xa0\x8e", "b"}));
  EXPECT_EQ(Words("qwen2", "\xc2\xa0\xc2\xa0x"), (W{"\xc2\xa0", "\xc2\xa0x"}));
}

TEST(PreTokenizer, ChainAndAnchors) {
  // deepseek-llm: "\s+$" only at the end of a piece; U+3000 is matched as
  // whitespace, not as a member of the CJK punctuation class.
  EXPECT_EQ(Words("deepseek-llm", "ab  \ncd  "), (W{"ab", "  ", "\n", "cd", "  "}));
  EXPECT_EQ(Words("deepseek-llm", "\xe3\x80\x81\xe3\x80\x80"), (W{"\xe3\x80\x81", "\xe3\x80\x80"}));
  // default: punctuation runs first, then the GPT-2 regex.
  EXPECT_EQ(Words("", "a+b!=c"), (W{"a", "+", "b", "!=", "c"}));
}

TEST(PreTokenizer, EmptyMatchesSplit) {
  std::unique_ptr<PreTokenizer> splitter;
  ASSERT_TRUE(PreTokenizer::Create({"(?=(\\d{3})+(?!\\d))"}, &splitter).ok());
  std::vector<uint32_t> cpts;
  DecodeUtf8Lenient("1234567", &cpts);
  std::vector<WordSpan> spans;
  ASSERT_TRUE(splitter->Split(cpts, &spans).ok());
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].end, 1u);
  EXPECT_EQ(spans[1].end, 4u);
  EXPECT_EQ(spans[2].end, 7u);
}

TEST(PreTokenizer, InvalidInputIsMatchable) {
  // Surrogates and out-of-range values reach PCRE2 as a private-use
  // character; they must not break matching.
  std::vector<uint32_t> cpts = {'a', 0xD800, 0x1FFFFF, ' ', 'b'};
  PreTokenizerType type;
  ASSERT_TRUE(FindPreTokenizerType("qwen2", &type).ok());
  std::unique_ptr<PreTokenizer> splitter;
  ASSERT_TRUE(PreTokenizer::Create(type.regexes, &splitter).ok());
  std::vector<WordSpan> spans;
  ASSERT_TRUE(splitter->Split(cpts, &spans).ok());
  ASSERT_EQ(spans.size(), 3u);  // "a", two "other" characters, " b"
  EXPECT_EQ(spans[1].begin, 1u);
  EXPECT_EQ(spans[1].end, 3u);
}

TEST(PreTokenizer, Errors) {
  std::unique_ptr<PreTokenizer> splitter;
  EXPECT_EQ(PreTokenizer::Create({"(unclosed"}, &splitter).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(PreTokenizer::Create({}, &splitter).code(), Status::Code::kInvalidArgument);
  PreTokenizerType type;
  EXPECT_EQ(FindPreTokenizerType("kimi-k2", &type).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(FindPreTokenizerType("nonsense", &type).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(FindPreTokenizerType("", &type).ok());
  EXPECT_EQ(type.name, "default");
  EXPECT_EQ(type.regexes.size(), 4u);
  ASSERT_TRUE(FindPreTokenizerType("llama-bpe", &type).ok());
  EXPECT_TRUE(type.ignore_merges);
  EXPECT_TRUE(type.add_bos);
}

TEST(PreTokenizer, AllTypesCompile) {
  for (const char* name :
       {"default", "llama3", "dbrx", "jais-2", "deepseek-llm", "deepseek-coder", "deepseek-v3",
        "spark2_5", "falcon", "starcoder", "gpt-2", "qwen2", "qwen35", "poro-chat", "glm4",
        "viking", "tekken", "chameleon", "gpt-4o", "granite-embed-multi-97m", "bailingmoe",
        "seed-coder", "ufakzeka", "laguna", "exaone-moe", "minicpm5"}) {
    PreTokenizerType type;
    ASSERT_TRUE(FindPreTokenizerType(name, &type).ok()) << name;
    std::unique_ptr<PreTokenizer> splitter;
    Status s = PreTokenizer::Create(type.regexes, &splitter);
    EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
  }
}

}  // namespace
}  // namespace radixlm
