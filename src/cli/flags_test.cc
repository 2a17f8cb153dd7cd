#include "cli/flags.h"

#include <gtest/gtest.h>

namespace radixlm {
namespace {

Status ParseArgs(FlagParser* p, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return p->Parse(static_cast<int>(argv.size()), argv.data(), 0);
}

TEST(FlagParserTest, ParsesShortLongAndInlineForms) {
  std::string model;
  int32_t n = -1;
  float temp = 0.8f;
  bool flag = false;
  std::vector<std::string> stops;
  FlagParser p("test");
  p.AddString("-m,--model", &model, "model");
  p.AddInt("-n,--n-predict", &n, "n");
  p.AddFloat("--temp", &temp, "t");
  p.AddBool("--ignore-eos", &flag, "b");
  p.AddList("--stop", &stops, "s");
  ASSERT_TRUE(ParseArgs(&p, {"-m", "a.gguf", "--n-predict=12", "--temp", "0", "--ignore-eos",
                             "--stop", "x", "--stop", "y"}).ok());
  EXPECT_EQ(model, "a.gguf");
  EXPECT_EQ(n, 12);
  EXPECT_EQ(temp, 0.0f);
  EXPECT_TRUE(flag);
  EXPECT_EQ(stops, (std::vector<std::string>{"x", "y"}));
  EXPECT_NE(p.Help().find("--n-predict"), std::string::npos);
}

TEST(FlagParserTest, RejectsBadInput) {
  int32_t n = 0;
  FlagParser p("test");
  p.AddInt("-n", &n, "n");
  EXPECT_FALSE(ParseArgs(&p, {"-n", "abc"}).ok());
  EXPECT_FALSE(ParseArgs(&p, {"-n"}).ok());
  EXPECT_FALSE(ParseArgs(&p, {"--bogus"}).ok());
  EXPECT_FALSE(ParseArgs(&p, {"-n", "99999999999"}).ok());
  EXPECT_TRUE(ParseArgs(&p, {"--help"}).ok());
  EXPECT_TRUE(p.help_requested());
}

}  // namespace
}  // namespace radixlm
