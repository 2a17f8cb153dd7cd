#include "engine/generator.h"

#include <gtest/gtest.h>

#include "base/mapped_file.h"
#include "model/test_util.h"

namespace radixlm {
namespace {

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Model::Load(StoriesModelPath(), {}, &model_).ok()); }

  std::string Run(const std::string& prompt, const GenerateOptions& opt, GenerateStats* stats) {
    ThreadPool pool(2);
    Transformer tf(*model_, &pool);
    std::string out;
    Status s = Generate(&tf, *model_, prompt, opt, [&](std::string_view t) {
      out += t;
      return true;
    }, stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  static GenerateOptions Greedy(int32_t n) {
    GenerateOptions opt;
    opt.sampling.temperature = 0;
    opt.max_new_tokens = n;
    return opt;
  }

  std::unique_ptr<Model> model_;
};

std::string Expected(const std::string& name) {
  std::string s;
  EXPECT_TRUE(ReadFileToString(RepoPath("tests/data/" + name), &s).ok());
  return s;
}

// The reference texts of models/stories260K/README.md (llama2.c's run.c,
// greedy). "256 steps" from BOS generates 256 tokens.
TEST_F(GeneratorTest, StoriesFromBosMatchesReference) {
  GenerateStats stats;
  EXPECT_EQ(Run("", Greedy(256), &stats), Expected("stories260K_bos_256.txt"));
  EXPECT_EQ(stats.generated_tokens, 256u);
}

// "64 steps in all (prompt tokens included)": BOS + 4 prompt tokens, so
// 64 - 5 + 1 = 60 new tokens.
TEST_F(GeneratorTest, StoriesOnceUponATimeMatchesReference) {
  GenerateStats stats;
  const std::string prompt = "Once upon a time";
  EXPECT_EQ(prompt + Run(prompt, Greedy(60), &stats), Expected("stories260K_once_upon_64.txt"));
  EXPECT_EQ(stats.prompt_tokens, 5u);
}

TEST_F(GeneratorTest, StopStringEndsGenerationBeforeIt) {
  GenerateOptions opt = Greedy(100);
  opt.stop = {"Lily"};
  GenerateStats stats;
  EXPECT_EQ(Run("Once upon a time", opt, &stats), ", there was a little girl named ");
  EXPECT_EQ(stats.finish_reason, "stop");
}

TEST_F(GeneratorTest, SeededSamplingIsReproducible) {
  GenerateOptions opt;
  opt.sampling.temperature = 1.0f;
  opt.sampling.seed = 42;
  opt.max_new_tokens = 40;
  GenerateStats stats;
  const std::string a = Run("Once upon a time", opt, &stats);
  const std::string b = Run("Once upon a time", opt, &stats);
  EXPECT_EQ(a, b);
  opt.sampling.seed = 43;
  EXPECT_NE(Run("Once upon a time", opt, &stats), a);
}

TEST_F(GeneratorTest, ContextLimitEndsWithLength) {
  GenerateOptions opt = Greedy(-1);
  opt.ctx_size = 20;
  GenerateStats stats;
  Run("Once upon a time", opt, &stats);
  EXPECT_EQ(stats.finish_reason, "length");
  EXPECT_EQ(stats.prompt_tokens + stats.generated_tokens, 20u);
}

TEST_F(GeneratorTest, ChunkedPrefillGivesSameText) {
  GenerateOptions opt = Greedy(30);
  GenerateStats stats;
  const std::string whole = Run("Once upon a time there was a dog", opt, &stats);
  opt.batch_size = 3;
  EXPECT_EQ(Run("Once upon a time there was a dog", opt, &stats), whole);
}

TEST_F(GeneratorTest, PromptLongerThanContextIsAnError) {
  ThreadPool pool(1);
  Transformer tf(*model_, &pool);
  GenerateOptions opt = Greedy(5);
  opt.ctx_size = 3;
  GenerateStats stats;
  Status s = Generate(&tf, *model_, "Once upon a time", opt, [](std::string_view) { return true; },
                      &stats);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace radixlm
