// Many threads on shared and distinct handles: same-prefix requests compute
// once, results equal single-threaded ones, invariants hold. Run under TSan
// in CI.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "engine/engine.h"
#include "model/test_util.h"

namespace radixlm {
namespace {

std::unique_ptr<Engine> OpenStories(EngineOptions opt = {}) {
  opt.threads = 2;
  if (opt.kv_cache_bytes == 0) opt.kv_cache_bytes = 64 << 20;
  std::unique_ptr<Engine> e;
  EXPECT_TRUE(Engine::Open(StoriesModelPath(), opt, &e).ok());
  return e;
}

std::vector<int32_t> RandomTokens(std::mt19937* rng, size_t n) {
  std::vector<int32_t> v(n);
  for (auto& t : v) t = 3 + (*rng)() % 500;
  return v;
}

TEST(EngineConcurrencyTest, ThunderingHerdComputesOnce) {
  auto engine = OpenStories();
  std::mt19937 rng(7);
  const std::vector<int32_t> seq = RandomTokens(&rng, 50);
  constexpr int kThreads = 16;
  std::vector<std::vector<float>> logits(kThreads, std::vector<float>(512));
  std::vector<uint64_t> handles(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      if (engine->ForwardWithCache(0, seq, logits[i].data(), 512, &handles[i]).ok()) ok++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(engine->Stats().tokens_computed, 50u);
  for (int i = 1; i < kThreads; ++i) EXPECT_EQ(logits[i], logits[0]);
  for (uint64_t h : handles) engine->FreeCache(h);
  engine->CheckInvariants();
}

TEST(EngineConcurrencyTest, ManyThreadsMatchSingleThreadedResults) {
  std::mt19937 rng(11);
  // Sequences sharing stems, computed once single-threaded for reference.
  const std::vector<int32_t> stem_a = RandomTokens(&rng, 37), stem_b = RandomTokens(&rng, 20);
  std::vector<std::vector<int32_t>> seqs;
  for (int i = 0; i < 12; ++i) {
    std::vector<int32_t> s = i % 2 ? stem_a : stem_b;
    const auto tail = RandomTokens(&rng, 1 + rng() % 25);
    s.insert(s.end(), tail.begin(), tail.end());
    seqs.push_back(s);
  }
  std::vector<std::vector<float>> want(seqs.size(), std::vector<float>(512));
  {
    auto ref = OpenStories();
    for (size_t i = 0; i < seqs.size(); ++i) {
      uint64_t h;
      ASSERT_TRUE(ref->ForwardWithCache(0, seqs[i], want[i].data(), 512, &h).ok());
      ref->FreeCache(h);
      ref->EvictPages(SIZE_MAX);
    }
  }
  EngineOptions opt;
  opt.page_size = 4;
  opt.kv_cache_bytes = 200 * 4 * 5 * 2 * 32 * 4;  // 200 small pages: eviction happens
  auto engine = OpenStories(opt);
  constexpr int kThreads = 8;
  std::atomic<int> mismatches{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 r(100 + t);
      std::vector<float> logits(512);
      for (int iter = 0; iter < 25; ++iter) {
        const size_t i = r() % seqs.size();
        const auto& seq = seqs[i];
        // Random split into two forwards, sometimes through a slice.
        const size_t cut = 1 + r() % (seq.size() - 1);
        uint64_t a, b;
        Status s = engine->ForwardWithCache(0, {seq.data(), cut}, logits.data(), 512, &a);
        if (!s.ok()) {
          errors++;
          continue;
        }
        uint64_t base = a;
        size_t from = cut;
        if (r() % 2 && cut > 1) {
          from = cut - 1;
          if (!engine->SliceCache(a, from, &base).ok()) errors++;
        }
        s = engine->ForwardWithCache(base, {seq.data() + from, seq.size() - from},
                                     logits.data(), 512, &b);
        if (!s.ok()) {
          errors++;
        } else {
          double diff = 0, mx = 0;
          for (size_t v = 0; v < 512; ++v) {
            diff = std::max(diff, double(std::abs(logits[v] - want[i][v])));
            mx = std::max(mx, double(std::abs(want[i][v])));
          }
          if (diff > 1e-4 * mx) mismatches++;
          engine->FreeCache(b);
        }
        if (base != a) engine->FreeCache(base);
        engine->FreeCache(a);
        if (iter % 10 == 9) engine->EvictLeaves(3);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(engine->Stats().live_handles, 0u);
  engine->CheckInvariants();
  const EngineStats st = engine->Stats();
  EXPECT_EQ(st.cache.free_pages + st.cache.evictable_pages + st.cache.pinned_pages,
            st.cache.total_pages);
  EXPECT_EQ(st.cache.pinned_pages, 0u);
}

TEST(EngineConcurrencyTest, PoisonedComputationReachesWaiters) {
  EngineOptions opt;
  opt.fail_computation = 1;
  auto engine = OpenStories(opt);
  std::mt19937 rng(3);
  const std::vector<int32_t> seq = RandomTokens(&rng, 200);
  constexpr int kThreads = 8;
  std::atomic<int> failed{0}, succeeded{0};
  std::vector<uint64_t> handles(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      std::vector<float> logits(512);
      Status s = engine->ForwardWithCache(0, seq, logits.data(), 512, &handles[i]);
      (s.ok() ? succeeded : failed)++;
      if (!s.ok()) {
        EXPECT_EQ(s.code(), Status::Code::kInternal);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(failed.load(), 1);
  EXPECT_EQ(failed.load() + succeeded.load(), kThreads);
  for (uint64_t h : handles) engine->FreeCache(h);
  engine->CheckInvariants();
  std::vector<float> logits(512);
  uint64_t h;
  ASSERT_TRUE(engine->ForwardWithCache(0, seq, logits.data(), 512, &h).ok());
  engine->FreeCache(h);
}

}  // namespace
}  // namespace radixlm
