// Concurrency stress test of RadixTree (run under TSan too): threads
// acquire, compute, insert, lock, unlock and evict shared and private
// sequences; each checks the KV of every hit (page slot == token).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cache/radix_tree.h"
#include "cache/test_util.h"

namespace radixlm {
namespace {

using Kind = RadixTree::Lookup::Kind;
using Tokens = std::vector<int32_t>;

constexpr size_t kPageSize = 4;
constexpr int kThreads = 8;
constexpr int kIterations = 5000;

class Worker {
 public:
  Worker(PagePool* pool, RadixTree* tree, const std::vector<Tokens>* shared, int index)
      : pool_(pool), tree_(tree), shared_(shared), index_(index), rng_(1000 + index) {}

  void Run() {
    for (int i = 0; i < kIterations; ++i) {
      const int op = Uniform(0, 99);
      if (op < 60) {
        Acquire(PickSequence());
      } else if (op < 70) {
        Insert(PickSequence());
      } else if (op < 90) {
        if (!held_.empty()) Release(static_cast<size_t>(Uniform(0, static_cast<int>(held_.size()) - 1)));
      } else if (op < 97) {
        tree_->EvictPages(static_cast<size_t>(Uniform(1, 16)));
      } else {
        tree_->EvictLeaves(static_cast<size_t>(Uniform(1, 4)));
      }
      if (::testing::Test::HasFailure()) break;
    }
    while (!held_.empty()) Release(held_.size() - 1);
  }

 private:
  struct Held {
    Tokens tokens;
    RadixNode* node;
    std::vector<PageId> pages;
  };

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // A shared sequence, a prefix of one, one extended with private tokens,
  // or a private sequence.
  Tokens PickSequence() {
    Tokens t;
    const int kind = Uniform(0, 3);
    if (kind < 3) {
      const Tokens& s = (*shared_)[Uniform(0, static_cast<int>(shared_->size()) - 1)];
      t.assign(s.begin(), s.begin() + Uniform(1, static_cast<int>(s.size())));
    }
    if (kind >= 2) {
      const int extra = Uniform(1, 20);
      for (int i = 0; i < extra; ++i) t.push_back(10000 * (index_ + 1) + Uniform(0, 3));
    }
    return t;
  }

  static void Write(PagePool* pool, PageId page, size_t slot, int32_t token) {
    pool->data(page)[pool->layout().k_offset(0, slot)] = static_cast<float>(token);
  }
  static int32_t Read(PagePool* pool, PageId page, size_t slot) {
    return static_cast<int32_t>(pool->data(page)[pool->layout().k_offset(0, slot)]);
  }
  void ExpectKv(const Tokens& t, const std::vector<PageId>& pages) {
    ASSERT_EQ(pages.size(), test::PagesFor(t.size(), kPageSize));
    for (size_t pos = 0; pos < t.size(); ++pos) {
      ASSERT_EQ(Read(pool_, pages[pos / kPageSize], pos % kPageSize), t[pos]);
    }
  }

  bool AllocatePage(PageId* out) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (pool_->Allocate(out).ok()) return true;
      tree_->EvictPages(4);
    }
    return false;
  }

  void Keep(const Tokens& t, RadixNode* node, std::vector<PageId> pages) {
    if (held_.size() < 4 && Uniform(0, 1) == 0) {
      held_.push_back({t, node, std::move(pages)});
    } else {
      tree_->Unlock(node);
    }
  }

  void Release(size_t i) {
    Held& h = held_[i];
    std::vector<PageId> pages;
    tree_->PagesFor(h.node, h.tokens.size(), &pages);
    EXPECT_EQ(pages, h.pages);
    ExpectKv(h.tokens, pages);
    tree_->Unlock(h.node);
    held_.erase(held_.begin() + static_cast<ptrdiff_t>(i));
  }

  void Acquire(const Tokens& t) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      RadixTree::Lookup l = tree_->Acquire(0, t);
      if (l.kind == Kind::kHit) {
        ExpectKv(t, l.pages);
        Keep(t, l.node, std::move(l.pages));
        return;
      }
      if (l.kind == Kind::kWait) {
        tree_->Wait(l.node);  // ok or failed: retry either way
        tree_->Unlock(l.node);
        continue;
      }
      Compute(t, l);
      return;
    }
    ADD_FAILURE() << "no progress";
  }

  // Computes [prefix_len, n) the way the engine does: appends into the
  // prefix's partial last page when it can claim it, else copies it.
  void Compute(const Tokens& t, const RadixTree::Lookup& l) {
    const size_t n = t.size();
    std::vector<PageId> pages;
    bool ok = true;
    for (size_t idx = l.prefix_len / kPageSize; idx * kPageSize < n; ++idx) {
      const size_t lo = std::max(idx * kPageSize, l.prefix_len) - idx * kPageSize;
      const size_t hi = std::min(n - idx * kPageSize, kPageSize);
      PageId page;
      if (lo > 0 && pool_->TryClaim(l.pages[idx], static_cast<uint32_t>(lo),
                                    static_cast<uint32_t>(hi))) {
        page = l.pages[idx];
        pool_->Ref(page);
      } else {
        if (!AllocatePage(&page)) {
          ok = false;
          break;
        }
        for (size_t s = 0; s < lo; ++s) Write(pool_, page, s, Read(pool_, l.pages[idx], s));
        pool_->SetFill(page, static_cast<uint32_t>(hi));
      }
      for (size_t s = lo; s < hi; ++s) Write(pool_, page, s, t[idx * kPageSize + s]);
      pages.push_back(page);
    }
    if (ok && Uniform(0, 19) != 0) {
      tree_->Complete(l.node, pages, nullptr);
      std::vector<PageId> all;
      tree_->PagesFor(l.node, n, &all);
      ExpectKv(t, all);
      Keep(t, l.node, std::move(all));
    } else {
      tree_->Fail(l.node, Status::ResourceExhausted("stress: no page"));
      tree_->Unlock(l.node);
    }
    test::UnrefAll(pool_, pages);
  }

  void Insert(const Tokens& t) {
    std::vector<PageId> pages;
    for (size_t idx = 0; idx * kPageSize < t.size(); ++idx) {
      PageId page;
      if (!AllocatePage(&page)) {
        test::UnrefAll(pool_, pages);
        return;
      }
      const size_t hi = std::min(t.size() - idx * kPageSize, kPageSize);
      for (size_t s = 0; s < hi; ++s) Write(pool_, page, s, t[idx * kPageSize + s]);
      pool_->SetFill(page, static_cast<uint32_t>(hi));
      pages.push_back(page);
    }
    size_t already = 0;
    RadixNode* node = tree_->Insert(0, t, pages, nullptr, &already);
    EXPECT_LE(already, t.size());
    test::UnrefAll(pool_, pages);
    std::vector<PageId> all;
    tree_->PagesFor(node, t.size(), &all);
    ExpectKv(t, all);
    Keep(t, node, std::move(all));
  }

  PagePool* const pool_;
  RadixTree* const tree_;
  const std::vector<Tokens>* const shared_;
  const int index_;
  std::mt19937 rng_;
  std::vector<Held> held_;
};

class RadixTreeStressTest : public ::testing::TestWithParam<EvictionPolicy> {};

TEST_P(RadixTreeStressTest, ThreadsShareOneTree) {
  auto pool = test::MakePool(700, kPageSize);
  RadixTreeOptions options;
  options.policy = GetParam();
  RadixTree tree(pool.get(), options);

  // Shared sequences: three trunks, each with a few branches.
  std::vector<Tokens> shared;
  std::mt19937 rng(7);
  for (int trunk = 0; trunk < 3; ++trunk) {
    Tokens base;
    for (int i = 0; i < 22; ++i) base.push_back(static_cast<int32_t>(rng() % 3) + 100 * trunk);
    for (int branch = 0; branch < 3; ++branch) {
      Tokens t = base;
      for (int i = 0; i < 15; ++i) t.push_back(static_cast<int32_t>(rng() % 3) + 100 * trunk + 50);
      shared.push_back(std::move(t));
    }
  }

  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { Worker(pool.get(), &tree, &shared, i).Run(); });
  }
  for (auto& t : threads) t.join();

  tree.CheckInvariants();
  const RadixTreeStats s = tree.Stats();
  EXPECT_EQ(s.pinned_pages, 0u);
  EXPECT_EQ(s.free_pages + s.evictable_pages, s.total_pages);
  EXPECT_GT(s.hits, 0u);
  tree.EvictAll();
  EXPECT_EQ(tree.Stats().nodes, 0u);
  EXPECT_EQ(pool->free_pages(), pool->total_pages());
}

INSTANTIATE_TEST_SUITE_P(Policies, RadixTreeStressTest,
                         ::testing::Values(EvictionPolicy::kLru, EvictionPolicy::kLfu,
                                           EvictionPolicy::kPriority),
                         [](const ::testing::TestParamInfo<EvictionPolicy>& info) {
                           return std::string(EvictionPolicyName(info.param));
                         });

}  // namespace
}  // namespace radixlm
