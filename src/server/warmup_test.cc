#include "server/warmup.h"

#include <gtest/gtest.h>

#include "model/test_util.h"
#include "server/api_prepare.h"

namespace radixlm {
namespace {

class WarmupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions opt;
    opt.threads = 2;
    opt.kv_cache_bytes = 64u << 20;
    ASSERT_TRUE(Engine::Open(StoriesModelPath(), opt, &engine_).ok());
    ASSERT_TRUE(ChatPrompt::Create("", &engine_->model().tokenizer(), &chat_).ok());
  }
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ChatPrompt> chat_;
};

TEST_F(WarmupTest, ParsesArraysAndLines) {
  const Tokenizer& tok = engine_->model().tokenizer();
  std::vector<WarmupEntry> entries;
  ASSERT_TRUE(ParseWarmup(R"(["Once upon a time",
      [{"role":"system","content":"You tell stories."}],
      {"prompt":[1,403,407],"pin":true,"cache_salt":"t"},
      {"messages":[{"role":"user","content":"Hi"}],"add_generation_prompt":true}])",
                          tok, *chat_, &entries)
                  .ok());
  ASSERT_EQ(entries.size(), 4u);
  std::vector<int32_t> want;
  ASSERT_TRUE(tok.Encode("Once upon a time", true, true, &want).ok());
  EXPECT_EQ(entries[0].tokens, want);
  EXPECT_FALSE(entries[0].pin);
  EXPECT_EQ(entries[0].ns, 0u);
  std::string text;
  ASSERT_TRUE(chat_->Render({{"system", "You tell stories."}}, false, &text).ok());
  EXPECT_EQ(text, "system: You tell stories.\n");
  EXPECT_EQ(entries[2].tokens, (std::vector<int32_t>{1, 403, 407}));
  EXPECT_TRUE(entries[2].pin);
  EXPECT_EQ(entries[2].ns, CacheSaltNamespace(std::string("t")));
  ASSERT_TRUE(chat_->Render({{"user", "Hi"}}, true, &text).ok());
  std::vector<int32_t> chat_tokens;
  ASSERT_TRUE(chat_->Tokenize(text, &chat_tokens).ok());
  EXPECT_EQ(entries[3].tokens, chat_tokens);

  ASSERT_TRUE(ParseWarmup("# comment\n\"a\"\n\n{\"prompt\":\"b\",\"pin\":true}\n", tok, *chat_,
                          &entries)
                  .ok());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[1].pin);

  EXPECT_FALSE(ParseWarmup("\"a\"\n{oops\n", tok, *chat_, &entries).ok());
  EXPECT_FALSE(ParseWarmup("[5]", tok, *chat_, &entries).ok());
  EXPECT_FALSE(ParseWarmup(R"([{"prompt":"a","pin":"yes"}])", tok, *chat_, &entries).ok());
}

TEST_F(WarmupTest, ComputesAndPins) {
  const Tokenizer& tok = engine_->model().tokenizer();
  std::vector<WarmupEntry> entries;
  ASSERT_TRUE(ParseWarmup("[{\"prompt\":\"Once upon a time there was a little girl named Lily. "
                          "She loved to play outside in the park.\",\"pin\":true}, \"The cat sat on the mat.\"]",
                          tok, *chat_, &entries)
                  .ok());
  WarmupResult r;
  ASSERT_TRUE(RunWarmup(engine_.get(), entries, &r).ok());
  EXPECT_EQ(r.entries, 2u);
  EXPECT_EQ(r.computed_tokens, r.tokens - 1);  // the second shares the first's BOS
  EXPECT_EQ(r.pinned_tokens, entries[0].tokens.size());
  ASSERT_EQ(r.pinned_handles.size(), 1u);
  EXPECT_GT(engine_->Stats().cache.pinned_pages, 0u);
  EXPECT_EQ(engine_->CachedPrefixLength(entries[1].tokens), entries[1].tokens.size());
  // Pinned survives eviction; the unpinned entry does not.
  engine_->EvictPages(SIZE_MAX);
  EXPECT_EQ(engine_->CachedPrefixLength(entries[0].tokens), entries[0].tokens.size());
  EXPECT_LT(engine_->CachedPrefixLength(entries[1].tokens), entries[1].tokens.size());
  for (uint64_t h : r.pinned_handles) engine_->FreeCache(h);
  EXPECT_EQ(engine_->Stats().cache.pinned_pages, 0u);
  engine_->CheckInvariants();
}

}  // namespace
}  // namespace radixlm
