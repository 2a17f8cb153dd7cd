#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "model/test_util.h"

namespace radixlm {
namespace {

// Collects one request's events and waits for its end.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<TokenEvent> events;
  FinishEvent finish;
  bool done = false;

  RequestCallbacks Callbacks() {
    RequestCallbacks cb;
    cb.on_token = [this](const TokenEvent& ev) {
      std::lock_guard<std::mutex> lock(mu);
      text += ev.text;
      tokens.push_back(ev.token);
      events.push_back(ev);
    };
    cb.on_finish = [this](const FinishEvent& f) {
      std::lock_guard<std::mutex> lock(mu);
      finish = f;
      done = true;
      cv.notify_all();
    };
    return cb;
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
};

class SchedulerTest : public ::testing::Test {
 protected:
  void Open(size_t kv_pages = 2000, size_t page_size = 16) {
    EngineOptions opt;
    opt.threads = 2;
    opt.page_size = page_size;
    opt.kv_cache_bytes = kv_pages * page_size * 5 * 2 * 32 * 4;
    ASSERT_TRUE(Engine::Open(StoriesModelPath(), opt, &engine_).ok());
  }
  GenerationRequest Greedy(const std::string& prompt, int32_t max_tokens) {
    GenerationRequest r;
    EXPECT_TRUE(engine_->model().tokenizer().Encode(prompt, true, false, &r.prompt).ok());
    r.sampling.temperature = 0;
    r.max_tokens = max_tokens;
    return r;
  }
  std::unique_ptr<Engine> engine_;
};

TEST_F(SchedulerTest, GreedyMatchesTheReferenceText) {
  Open();
  Scheduler sched(engine_.get(), SchedulerOptions{});
  Collector c;
  ASSERT_TRUE(sched.Submit(Greedy("Once upon a time", 60), c.Callbacks(), nullptr).ok());
  c.Wait();
  EXPECT_EQ(c.finish.reason, "length");
  EXPECT_EQ(c.finish.completion_tokens, 60u);
  EXPECT_EQ(c.finish.prompt_tokens, 5u);
  EXPECT_EQ(c.text,
            ", there was a little girl named Lily. She loved to play outside in the park. One "
            "day, she saw a big, red ball. She wanted to play with it, but it was too high.\nLily");
}

TEST_F(SchedulerTest, ConcurrentRequestsEqualSequentialOnesAndShareThePrompt) {
  Open();
  const std::vector<std::string> prompts = {"Once upon a time", "The cat sat", "Lily and Ben",
                                            "One day, a little"};
  std::vector<std::string> sequential;
  {
    Scheduler sched(engine_.get(), SchedulerOptions{});
    for (const auto& p : prompts) {
      Collector c;
      ASSERT_TRUE(sched.Submit(Greedy(p, 40), c.Callbacks(), nullptr).ok());
      c.Wait();
      sequential.push_back(c.text);
    }
  }
  engine_->EvictPages(SIZE_MAX);  // so the concurrent run computes again
  SchedulerOptions opt;
  opt.max_running = 8;
  Scheduler sched(engine_.get(), opt);
  std::vector<Collector> cs(16);
  for (size_t i = 0; i < cs.size(); ++i) {
    ASSERT_TRUE(sched.Submit(Greedy(prompts[i % prompts.size()], 40), cs[i].Callbacks(), nullptr).ok());
  }
  size_t cached = 0;
  for (size_t i = 0; i < cs.size(); ++i) {
    cs[i].Wait();
    EXPECT_EQ(cs[i].text, sequential[i % prompts.size()]) << i;
    cached += cs[i].finish.cached_tokens;
  }
  EXPECT_GE(cached, 12u * 3);  // each prompt computed once, reused by the other three
  EXPECT_GT(engine_->Stats().runner.max_batch_sequences, 1u);
}

TEST_F(SchedulerTest, StopStringsLogprobsAndCancel) {
  Open();
  Scheduler sched(engine_.get(), SchedulerOptions{});
  Collector c;
  GenerationRequest r = Greedy("Once upon a time", 100);
  r.stop = {"Lily"};
  r.top_logprobs = 3;
  ASSERT_TRUE(sched.Submit(r, c.Callbacks(), nullptr).ok());
  c.Wait();
  EXPECT_EQ(c.finish.reason, "stop");
  EXPECT_EQ(c.text, ", there was a little girl named ");
  ASSERT_FALSE(c.events.empty());
  for (const auto& ev : c.events) {
    ASSERT_EQ(ev.top_logprobs.size(), 3u);
    EXPECT_EQ(ev.top_logprobs[0].first, ev.token);  // greedy picks the best
    EXPECT_LE(ev.logprob, 0.0f);
    EXPECT_FLOAT_EQ(ev.logprob, ev.top_logprobs[0].second);
  }
  Collector c2;
  std::shared_ptr<RequestHandle> handle;
  ASSERT_TRUE(sched.Submit(Greedy("Once upon a time", 400), c2.Callbacks(), &handle).ok());
  handle->Cancel();
  c2.Wait();
  EXPECT_EQ(c2.finish.reason, "cancelled");
  sched.Drain();
  EXPECT_EQ(engine_->Stats().live_handles, 0u);
  engine_->CheckInvariants();
}

TEST_F(SchedulerTest, BadRequestsAndQueueLimit) {
  Open();
  SchedulerOptions opt;
  opt.max_running = 1;
  opt.max_queue = 1;
  Scheduler sched(engine_.get(), opt);
  GenerationRequest empty;
  EXPECT_EQ(sched.Submit(empty, {}, nullptr).code(), Status::Code::kInvalidArgument);
  GenerationRequest bad = Greedy("x", 5);
  bad.prompt.push_back(100000);
  EXPECT_EQ(sched.Submit(bad, {}, nullptr).code(), Status::Code::kInvalidArgument);
  GenerationRequest long_prompt;
  long_prompt.prompt.assign(600, 5);
  EXPECT_EQ(sched.Submit(long_prompt, {}, nullptr).code(), Status::Code::kInvalidArgument);
  // One running, one queued, the third is rejected.
  std::vector<Collector> cs(3);
  std::vector<Status> st;
  for (auto& c : cs) st.push_back(sched.Submit(Greedy("Once upon a time", 200), c.Callbacks(), nullptr));
  int rejected = 0;
  for (size_t i = 0; i < cs.size(); ++i) {
    if (st[i].code() == Status::Code::kResourceExhausted) {
      rejected++;
    } else {
      cs[i].Wait();
    }
  }
  EXPECT_GE(rejected, 1);
}

TEST_F(SchedulerTest, PreemptionWhenPagesRunOutLosesNoOutput) {
  // Reference outputs with plenty of pages.
  Open();
  std::vector<std::string> want;
  const std::vector<std::string> prompts = {"Once upon a time", "The cat sat", "Lily and Ben"};
  {
    Scheduler sched(engine_.get(), SchedulerOptions{});
    for (const auto& p : prompts) {
      Collector c;
      ASSERT_TRUE(sched.Submit(Greedy(p, 150), c.Callbacks(), nullptr).ok());
      c.Wait();
      want.push_back(c.text);
    }
  }
  // 30 pages of 16 tokens: three 155-token sequences (10 pages each plus
  // copies) do not all fit at once.
  Open(24, 16);
  SchedulerOptions opt;
  opt.max_running = 3;
  Scheduler sched(engine_.get(), opt);
  std::vector<Collector> cs(3);
  for (size_t i = 0; i < cs.size(); ++i) {
    ASSERT_TRUE(sched.Submit(Greedy(prompts[i], 150), cs[i].Callbacks(), nullptr).ok());
  }
  for (size_t i = 0; i < cs.size(); ++i) {
    cs[i].Wait();
    EXPECT_EQ(cs[i].finish.reason, "length") << cs[i].finish.status.ToString();
    EXPECT_EQ(cs[i].text, want[i]) << i;
  }
  EXPECT_GT(sched.Stats().preemptions, 0u);
  sched.Drain();
  engine_->CheckInvariants();
}

TEST_F(SchedulerTest, LpmAdmitsTheLongestCachedPrefixFirst) {
  Open();
  SchedulerOptions opt;
  opt.policy = SchedulePolicy::kLpm;
  opt.max_running = 1;
  opt.lpm_aging_tokens_per_second = 0;
  Scheduler sched(engine_.get(), opt);
  // Warm the cache with one prompt, then block the single slot.
  Collector warm;
  ASSERT_TRUE(sched.Submit(Greedy("Once upon a time there was a dog", 1), warm.Callbacks(), nullptr).ok());
  warm.Wait();
  Collector blocker, cold, hot;
  std::mutex order_mu;
  std::vector<std::string> order;
  auto tagged = [&](Collector* c, const std::string& tag) {
    RequestCallbacks cb = c->Callbacks();
    auto inner = cb.on_token;
    bool* seen = new bool(false);
    cb.on_token = [&, inner, tag, seen](const TokenEvent& ev) {
      if (!*seen) {
        *seen = true;
        std::lock_guard<std::mutex> lock(order_mu);
        order.push_back(tag);
      }
      inner(ev);
    };
    auto fin = cb.on_finish;
    cb.on_finish = [fin, seen](const FinishEvent& f) {
      delete seen;
      fin(f);
    };
    return cb;
  };
  // The blocker holds the only slot (its first token's callback waits) until
  // both others have had ample time to queue behind it.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  RequestCallbacks blocker_cb = tagged(&blocker, "blocker");
  auto blocker_token = blocker_cb.on_token;
  blocker_cb.on_token = [blocker_token, released](const TokenEvent& ev) {
    released.wait();
    blocker_token(ev);
  };
  ASSERT_TRUE(sched.Submit(Greedy("Lily", 5), blocker_cb, nullptr).ok());
  while (sched.Stats().running == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(sched.Submit(Greedy("Ben went to", 3), tagged(&cold, "cold"), nullptr).ok());
  ASSERT_TRUE(sched.Submit(Greedy("Once upon a time there was a dog", 3), tagged(&hot, "hot"), nullptr).ok());
  while (sched.Stats().queued < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // their threads reach the queue
  release.set_value();
  blocker.Wait();
  cold.Wait();
  hot.Wait();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], "blocker");
  EXPECT_EQ(order[1], "hot");
  EXPECT_EQ(order[2], "cold");
}

}  // namespace
}  // namespace radixlm
