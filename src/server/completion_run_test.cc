#include "server/completion_run.h"

#include <gtest/gtest.h>

#include "model/test_util.h"

namespace radixlm {
namespace {

using json = nlohmann::json;

class CompletionRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions opt;
    opt.threads = 2;
    opt.kv_cache_bytes = 64u << 20;
    ASSERT_TRUE(Engine::Open(StoriesModelPath(), opt, &engine_).ok());
    ASSERT_TRUE(ChatPrompt::Create("", &engine_->model().tokenizer(), &chat_).ok());
    sched_ = std::make_unique<Scheduler>(engine_.get(), SchedulerOptions{});
    limits_.context = engine_->model().config().max_seq_len;
  }

  std::shared_ptr<CompletionRun> Start(const std::string& body, ApiEndpoint ep) {
    ApiRequest req;
    ApiError err;
    EXPECT_TRUE(ParseApiRequest(body, ep, ApiLimits{}, &req, &err)) << err.message;
    std::vector<PreparedPrompt> prompts;
    EXPECT_TRUE(PreparePrompts(req, engine_->model().tokenizer(), chat_.get(), limits_, &prompts,
                               &err))
        << err.message;
    ResponseMeta meta{ep, NewResponseId(ep), 1, "m"};
    auto run = std::make_shared<CompletionRun>(meta, req, prompts, &engine_->model().tokenizer(),
                                               &metrics_);
    EXPECT_TRUE(run->Submit(sched_.get(), req.sampling.seed, limits_, &err)) << err.message;
    return run;
  }

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ChatPrompt> chat_;
  std::unique_ptr<Scheduler> sched_;
  ServingLimits limits_;
  ServerMetrics metrics_;
};

TEST_F(CompletionRunTest, WholeResponseWithNChoicesAndLogprobs) {
  auto run = Start(R"({"prompt":"Once upon a time","max_tokens":20,"temperature":0,"n":2,
      "logprobs":2,"echo":true})", ApiEndpoint::kCompletions);
  json r;
  ApiError err;
  ASSERT_TRUE(run->WaitForResponse(&r, &err));
  ASSERT_EQ(r["choices"].size(), 2u);
  const std::string text = r["choices"][0]["text"];
  EXPECT_EQ(text, "Once upon a time, there was a little girl named Lily. She loved to play outsid");
  EXPECT_EQ(r["choices"][1]["text"], text);  // greedy: both choices agree
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r["choices"][0]["logprobs"]["tokens"].size(), 20u);
  EXPECT_EQ(r["choices"][0]["logprobs"]["text_offset"][0], 16);
  EXPECT_EQ(r["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(r["usage"]["completion_tokens"], 40);
}

TEST_F(CompletionRunTest, StreamMatchesWholeResponse) {
  const std::string body = R"({"messages":[{"role":"user","content":"Tell me a story."}],
      "max_tokens":30,"temperature":0,"stop":["Lily"],"stream":true,
      "stream_options":{"include_usage":true}})";
  auto whole = Start(body, ApiEndpoint::kChatCompletions);
  json r;
  ApiError err;
  ASSERT_TRUE(whole->WaitForResponse(&r, &err));
  auto run = Start(body, ApiEndpoint::kChatCompletions);
  std::string sse;
  while (run->NextSse(std::chrono::milliseconds(100), &sse)) {
  }
  ASSERT_GE(sse.size(), 14u);
  EXPECT_EQ(sse.substr(sse.size() - 14), "data: [DONE]\n\n");
  std::string text;
  std::string finish;
  json usage;
  size_t pos = 0;
  while ((pos = sse.find("data: {", pos)) != std::string::npos) {
    const size_t end = sse.find("\n\n", pos);
    json chunk = json::parse(sse.substr(pos + 6, end - pos - 6));
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    if (!chunk["usage"].is_null()) usage = chunk["usage"];
    for (const json& c : chunk["choices"]) {
      if (c["delta"].contains("content")) text += c["delta"]["content"].get<std::string>();
      if (!c["finish_reason"].is_null()) finish = c["finish_reason"];
    }
    pos = end;
  }
  EXPECT_EQ(text, r["choices"][0]["message"]["content"]);
  EXPECT_EQ(finish, r["choices"][0]["finish_reason"]);
  EXPECT_EQ(usage["completion_tokens"], r["usage"]["completion_tokens"]);
  // The second run found the whole prompt cached.
  EXPECT_EQ(usage["prompt_tokens_details"]["cached_tokens"], usage["prompt_tokens"]);
}

TEST_F(CompletionRunTest, CancelFreesPages) {
  auto run = Start(R"({"prompt":"Once upon a time","max_tokens":400,"ignore_eos":true,
      "stream":true})", ApiEndpoint::kCompletions);
  std::string sse;
  ASSERT_TRUE(run->NextSse(std::chrono::milliseconds(100), &sse));
  run->CancelAll();
  while (run->NextSse(std::chrono::milliseconds(100), &sse)) {
  }
  sched_->Drain();
  EXPECT_EQ(sched_->Stats().cancelled, 1u);
  EXPECT_EQ(engine_->Stats().cache.pinned_pages, 0u);
  engine_->CheckInvariants();
}

}  // namespace
}  // namespace radixlm
