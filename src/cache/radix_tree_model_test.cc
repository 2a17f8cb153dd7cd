// Randomized model-based test of RadixTree: thousands of interleaved
// operations on a tiny vocabulary (so prefixes collide and nodes split all
// the time), checked after every step against a reference of what must
// still be there, and against the KV itself: every page slot holds the
// token of its position, written the way the engine does (append in place
// after TryClaim, or copy-on-write of a partial page).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cache/radix_tree.h"
#include "cache/test_util.h"

namespace radixlm {
namespace {

using Kind = RadixTree::Lookup::Kind;
using Tokens = std::vector<int32_t>;

size_t CommonPrefix(const Tokens& a, const Tokens& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

class Harness {
 public:
  Harness(size_t page_size, EvictionPolicy policy, uint32_t seed)
      : rng_(seed), page_size_(page_size) {
    pool_ = test::MakePool(240 / page_size + 48, page_size);
    RadixTreeOptions options;
    options.policy = policy;
    tree_ = std::make_unique<RadixTree>(pool_.get(), options);
  }

  void Run(int steps) {
    for (int step = 0; step < steps; ++step) {
      const int op = Uniform(0, 199);
      if (op < 70) {
        DoAcquire();
      } else if (op < 100) {
        DoInsert();
      } else if (op < 130) {
        DoUnlock();
      } else if (op < 146) {
        DoLockPrefix();
      } else if (op < 170) {
        DoResolvePending();
      } else if (op < 182) {
        tree_->EvictPages(static_cast<size_t>(Uniform(1, 8)));
      } else if (op < 192) {
        tree_->EvictLeaves(static_cast<size_t>(Uniform(1, 3)));
      } else if (op < 193) {
        tree_->EvictAll();
      } else {
        DoSetPriority();
      }
      Verify();
      if (HasFatalFailure()) return;
    }
    // Drain: with nothing held or pending everything is evictable.
    for (const Held& h : held_) tree_->Unlock(h.node);
    held_.clear();
    for (const Pending& p : pending_) {
      tree_->Fail(p.node, Status::Cancelled("drain"));
      tree_->Unlock(p.node);
    }
    pending_.clear();
    tree_->CheckInvariants();
    tree_->EvictAll();
    const RadixTreeStats s = tree_->Stats();
    EXPECT_EQ(s.nodes, 0u);
    EXPECT_EQ(s.cached_tokens, 0u);
    EXPECT_EQ(pool_->free_pages(), pool_->total_pages());
  }

 private:
  // A sequence pinned by a lock: it must stay whole and unchanged.
  struct Held {
    CacheNamespace ns;
    Tokens tokens;
    RadixNode* node;
    std::vector<PageId> pages;
  };
  // A kCompute node not yet completed or failed.
  struct Pending {
    CacheNamespace ns;
    Tokens tokens;
    size_t prefix_len;
    std::vector<PageId> prefix_pages;
    RadixNode* node;
  };

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  static bool HasFatalFailure() { return ::testing::Test::HasFatalFailure(); }

  // Random sequences over 4 tokens; often an extension of a held one.
  std::pair<CacheNamespace, Tokens> RandomSequence() {
    CacheNamespace ns = static_cast<CacheNamespace>(Uniform(0, 3) == 0 ? 1 : 0);
    Tokens t;
    if (!held_.empty() && Uniform(0, 2) == 0) {
      const Held& h = held_[Uniform(0, static_cast<int>(held_.size()) - 1)];
      ns = h.ns;
      t.assign(h.tokens.begin(), h.tokens.begin() + Uniform(0, static_cast<int>(h.tokens.size())));
    }
    const int extra = Uniform(t.empty() ? 1 : 0, 12);
    for (int i = 0; i < extra; ++i) t.push_back(Uniform(0, 3));
    return {ns, t};
  }

  // Longest prefix of t that some held sequence guarantees to be cached.
  size_t GuaranteedPrefix(CacheNamespace ns, const Tokens& t) const {
    size_t best = 0;
    for (const Held& h : held_) {
      if (h.ns == ns) best = std::max(best, CommonPrefix(h.tokens, t));
    }
    return best;
  }

  // Whether a pending node lies on t's path (an Insert would block on it).
  bool BlockedByPending(CacheNamespace ns, const Tokens& t) const {
    for (const Pending& p : pending_) {
      if (p.ns == ns && CommonPrefix(p.tokens, t) > p.prefix_len) return true;
    }
    return false;
  }

  void WriteSlot(PageId page, size_t slot, int32_t token) {
    pool_->data(page)[pool_->layout().k_offset(0, slot)] = static_cast<float>(token);
  }
  int32_t ReadSlot(PageId page, size_t slot) const {
    return static_cast<int32_t>(pool_->data(page)[pool_->layout().k_offset(0, slot)]);
  }
  // Every position of t is in its page at its slot.
  void ExpectKv(const Tokens& t, const std::vector<PageId>& pages) const {
    ASSERT_EQ(pages.size(), test::PagesFor(t.size(), page_size_));
    for (size_t pos = 0; pos < t.size(); ++pos) {
      ASSERT_EQ(ReadSlot(pages[pos / page_size_], pos % page_size_), t[pos]) << "position " << pos;
    }
  }
  // Full pages shared with any held sequence must be the same physical page.
  void ExpectSharedPages(CacheNamespace ns, const Tokens& t,
                         const std::vector<PageId>& pages) const {
    for (const Held& h : held_) {
      if (h.ns != ns) continue;
      const size_t full = CommonPrefix(h.tokens, t) / page_size_;
      for (size_t i = 0; i < full; ++i) ASSERT_EQ(pages[i], h.pages[i]);
    }
  }

  // Allocates a page, evicting when the pool is empty. False when even
  // eviction cannot free one (everything pinned).
  bool AllocatePage(PageId* out) {
    if (pool_->Allocate(out).ok()) return true;
    tree_->EvictPages(1);
    return pool_->Allocate(out).ok();
  }

  void Hold(CacheNamespace ns, const Tokens& t, RadixNode* node) {
    Held h{ns, t, node, {}};
    tree_->PagesFor(node, t.size(), &h.pages);
    ExpectKv(t, h.pages);
    ExpectSharedPages(ns, t, h.pages);
    held_.push_back(std::move(h));
  }

  void DoAcquire() {
    auto [ns, t] = RandomSequence();
    const size_t guaranteed = GuaranteedPrefix(ns, t);
    RadixTree::Lookup l = tree_->Acquire(ns, t);
    switch (l.kind) {
      case Kind::kHit:
        ASSERT_EQ(l.prefix_len, t.size());
        ASSERT_EQ(tree_->NodeEnd(l.node), t.size());
        ExpectKv(t, l.pages);
        ExpectSharedPages(ns, t, l.pages);
        if (held_.size() < 8 && Uniform(0, 1) == 0) {
          Hold(ns, t, l.node);
        } else {
          tree_->Unlock(l.node);
        }
        break;
      case Kind::kWait:
        // Single-threaded: the pending node is ours, so just let go.
        ASSERT_FALSE(tree_->IsReady(l.node));
        tree_->Unlock(l.node);
        break;
      case Kind::kCompute:
        ASSERT_GE(l.prefix_len, guaranteed);
        ASSERT_LT(l.prefix_len, t.size());
        ASSERT_EQ(tree_->NodeEnd(l.node), t.size());
        {
          Tokens prefix(t.begin(), t.begin() + l.prefix_len);
          ExpectKv(prefix, l.pages);
        }
        pending_.push_back({ns, t, l.prefix_len, l.pages, l.node});
        if (pending_.size() > 3 || Uniform(0, 2) != 0) ResolvePending(pending_.size() - 1);
        break;
    }
  }

  void DoResolvePending() {
    if (!pending_.empty()) ResolvePending(Uniform(0, static_cast<int>(pending_.size()) - 1));
  }

  // Completes (computing the KV like the engine) or fails pending_[i].
  void ResolvePending(size_t i) {
    Pending p = std::move(pending_[i]);
    pending_.erase(pending_.begin() + static_cast<ptrdiff_t>(i));
    const size_t n = p.tokens.size();
    const size_t first = p.prefix_len / page_size_;
    std::vector<PageId> pages;  // our refs, page indices first .. (n-1)/P
    bool ok = Uniform(0, 9) != 0;
    for (size_t idx = first; ok && idx * page_size_ < n; ++idx) {
      const size_t lo = std::max(idx * page_size_, p.prefix_len) - idx * page_size_;
      const size_t hi = std::min(n - idx * page_size_, page_size_);
      PageId page;
      if (lo > 0) {
        // The prefix's last page is partial: append in place or copy it.
        const PageId shared = p.prefix_pages[idx];
        if (Uniform(0, 1) == 0 && pool_->TryClaim(shared, static_cast<uint32_t>(lo),
                                                  static_cast<uint32_t>(hi))) {
          pool_->Ref(shared);
          page = shared;
        } else {
          if (!AllocatePage(&page)) {
            ok = false;
            break;
          }
          for (size_t s = 0; s < lo; ++s) WriteSlot(page, s, ReadSlot(shared, s));
          pool_->SetFill(page, static_cast<uint32_t>(hi));
        }
      } else {
        if (!AllocatePage(&page)) {
          ok = false;
          break;
        }
        pool_->SetFill(page, static_cast<uint32_t>(hi));
      }
      for (size_t s = lo; s < hi; ++s) WriteSlot(page, s, p.tokens[idx * page_size_ + s]);
      pages.push_back(page);
    }
    if (ok) {
      tree_->Complete(p.node, pages, nullptr);
      ASSERT_TRUE(tree_->IsReady(p.node));
      if (held_.size() < 8 && Uniform(0, 1) == 0) {
        Hold(p.ns, p.tokens, p.node);
        std::vector<PageId> want(p.prefix_pages.begin(), p.prefix_pages.begin() + first);
        want.insert(want.end(), pages.begin(), pages.end());
        ASSERT_EQ(held_.back().pages, want);
      } else {
        tree_->Unlock(p.node);
      }
    } else {
      tree_->Fail(p.node, Status::ResourceExhausted("model: no page"));
      ASSERT_FALSE(tree_->Wait(p.node).ok());
      tree_->Unlock(p.node);
    }
    test::UnrefAll(pool_.get(), pages);
  }

  void DoInsert() {
    auto [ns, t] = RandomSequence();
    if (BlockedByPending(ns, t)) return;
    const size_t guaranteed = GuaranteedPrefix(ns, t);
    std::vector<PageId> pages;
    for (size_t idx = 0; idx * page_size_ < t.size(); ++idx) {
      PageId page;
      if (!AllocatePage(&page)) {
        test::UnrefAll(pool_.get(), pages);
        return;
      }
      const size_t hi = std::min(t.size() - idx * page_size_, page_size_);
      for (size_t s = 0; s < hi; ++s) WriteSlot(page, s, t[idx * page_size_ + s]);
      pool_->SetFill(page, static_cast<uint32_t>(hi));
      pages.push_back(page);
    }
    size_t already = 0;
    RadixNode* node = tree_->Insert(ns, t, pages, nullptr, &already);
    ASSERT_GE(already, guaranteed);
    ASSERT_LE(already, t.size());
    ASSERT_EQ(tree_->NodeEnd(node), t.size());
    std::vector<PageId> got;
    tree_->PagesFor(node, t.size(), &got);
    if (already < t.size()) {
      for (size_t idx = already / page_size_; idx < got.size(); ++idx) {
        ASSERT_EQ(got[idx], pages[idx]);
      }
    }
    test::UnrefAll(pool_.get(), pages);
    if (held_.size() < 8 && Uniform(0, 1) == 0) {
      Hold(ns, t, node);
    } else {
      tree_->Unlock(node);
    }
  }

  void DoUnlock() {
    if (held_.empty()) return;
    const size_t i = static_cast<size_t>(Uniform(0, static_cast<int>(held_.size()) - 1));
    tree_->Unlock(held_[i].node);
    held_.erase(held_.begin() + static_cast<ptrdiff_t>(i));
  }

  void DoLockPrefix() {
    if (held_.empty() || held_.size() >= 8) return;
    const Held& h = held_[Uniform(0, static_cast<int>(held_.size()) - 1)];
    const size_t len = static_cast<size_t>(Uniform(0, static_cast<int>(h.tokens.size())));
    RadixNode* node = tree_->LockPrefix(h.node, len);
    ASSERT_GE(tree_->NodeEnd(node), len);
    if (len == 0) {
      ASSERT_EQ(node, tree_->root());
    }
    // Copies first: Hold appends to held_, which h points into.
    const CacheNamespace ns = h.ns;
    const Tokens prefix(h.tokens.begin(), h.tokens.begin() + len);
    Hold(ns, prefix, node);
  }

  void DoSetPriority() {
    if (held_.empty()) return;
    tree_->SetPriority(held_[Uniform(0, static_cast<int>(held_.size()) - 1)].node, Uniform(-2, 5));
  }

  // Every held sequence is still whole, ready and on the same pages.
  void Verify() {
    tree_->CheckInvariants();
    for (const Held& h : held_) {
      ASSERT_TRUE(tree_->IsReady(h.node));
      ASSERT_GE(tree_->NodeEnd(h.node), h.tokens.size());
      std::vector<PageId> pages;
      tree_->PagesFor(h.node, h.tokens.size(), &pages);
      ASSERT_EQ(pages, h.pages);
      ExpectKv(h.tokens, pages);
    }
    const RadixTreeStats s = tree_->Stats();
    ASSERT_EQ(s.free_pages + s.evictable_pages + s.pinned_pages, s.total_pages);
  }

  std::mt19937 rng_;
  const size_t page_size_;
  std::unique_ptr<PagePool> pool_;
  std::unique_ptr<RadixTree> tree_;
  std::vector<Held> held_;
  std::vector<Pending> pending_;
};

class RadixTreeModelTest
    : public ::testing::TestWithParam<std::tuple<size_t, EvictionPolicy, uint32_t>> {};

TEST_P(RadixTreeModelTest, RandomOperationsKeepPinnedSequencesAndInvariants) {
  const auto [page_size, policy, seed] = GetParam();
  Harness h(page_size, policy, seed);
  h.Run(4000);
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, RadixTreeModelTest,
    ::testing::Combine(::testing::Values<size_t>(1, 3, 4),
                       ::testing::Values(EvictionPolicy::kLru, EvictionPolicy::kLfu,
                                         EvictionPolicy::kPriority),
                       ::testing::Values<uint32_t>(1, 2)),
    [](const ::testing::TestParamInfo<RadixTreeModelTest::ParamType>& info) {
      std::string name = "P";
      name += std::to_string(std::get<0>(info.param));
      name += '_';
      name += EvictionPolicyName(std::get<1>(info.param));
      name += "_seed";
      name += std::to_string(std::get<2>(info.param));
      return name;
    });

}  // namespace
}  // namespace radixlm
