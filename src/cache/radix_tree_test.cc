#include "cache/radix_tree.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include "cache/test_util.h"

namespace radixlm {
namespace {

using Kind = RadixTree::Lookup::Kind;

std::vector<int32_t> Range(int32_t from, int32_t to) {
  std::vector<int32_t> v(static_cast<size_t>(to - from));
  std::iota(v.begin(), v.end(), from);
  return v;
}

std::vector<int32_t> Concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Logits MakeLogits(float v) { return std::make_shared<const std::vector<float>>(3, v); }

class RadixTreeTest : public ::testing::Test {
 protected:
  void Init(size_t n_pages, size_t page_size, EvictionPolicy policy = EvictionPolicy::kLru) {
    pool_ = test::MakePool(n_pages, page_size);
    RadixTreeOptions options;
    options.policy = policy;
    tree_ = std::make_unique<RadixTree>(pool_.get(), options);
  }
  void TearDown() override {
    if (tree_ != nullptr) tree_->CheckInvariants();
  }

  size_t P() const { return pool_->page_size(); }

  struct Inserted {
    RadixNode* node = nullptr;  // locked
    std::vector<PageId> pages;  // what the caller offered
    size_t already = 0;
  };
  // Inserts tokens with fresh pages and drops the caller's refs, as the
  // engine does after handing KV to the tree. The node stays locked.
  Inserted InsertFresh(CacheNamespace ns, const std::vector<int32_t>& tokens,
                       Logits logits = nullptr) {
    Inserted r;
    r.pages = test::AllocPages(pool_.get(), test::PagesFor(tokens.size(), P()));
    r.node = tree_->Insert(ns, tokens, r.pages, std::move(logits), &r.already);
    test::UnrefAll(pool_.get(), r.pages);
    return r;
  }
  // Inserts and unlocks; returns the pages offered.
  std::vector<PageId> Put(CacheNamespace ns, const std::vector<int32_t>& tokens,
                          Logits logits = nullptr) {
    Inserted r = InsertFresh(ns, tokens, std::move(logits));
    tree_->Unlock(r.node);
    return r.pages;
  }
  // Whether tokens are fully cached (a hit is unlocked again; a miss fails
  // the pending node it created, leaving the tree as it was but for splits).
  bool Cached(CacheNamespace ns, const std::vector<int32_t>& tokens) {
    RadixTree::Lookup l = tree_->Acquire(ns, tokens);
    EXPECT_NE(l.kind, Kind::kWait);
    if (l.kind == Kind::kCompute) tree_->Fail(l.node, Status::Cancelled("probe"));
    tree_->Unlock(l.node);
    return l.kind == Kind::kHit;
  }
  void ExpectAccounting() {
    const RadixTreeStats s = tree_->Stats();
    EXPECT_EQ(s.free_pages + s.evictable_pages + s.pinned_pages, s.total_pages);
    tree_->CheckInvariants();
  }

  std::unique_ptr<PagePool> pool_;
  std::unique_ptr<RadixTree> tree_;
};

TEST_F(RadixTreeTest, EmptyLookupHitsRoot) {
  Init(8, 4);
  RadixTree::Lookup l = tree_->Acquire(0, {});
  EXPECT_EQ(l.kind, Kind::kHit);
  EXPECT_EQ(l.node, tree_->root());
  EXPECT_EQ(l.prefix_len, 0u);
  EXPECT_TRUE(l.pages.empty());
  EXPECT_EQ(tree_->NodeEnd(l.node), 0u);
  tree_->Unlock(l.node);
}

TEST_F(RadixTreeTest, ExactHitReturnsPagesAndLogits) {
  Init(8, 4);
  const auto tokens = Range(1, 10);
  const Logits logits = MakeLogits(1.5f);
  const std::vector<PageId> pages = Put(0, tokens, logits);
  EXPECT_EQ(pool_->free_pages(), 8u - 3);

  RadixTree::Lookup l = tree_->Acquire(0, tokens);
  ASSERT_EQ(l.kind, Kind::kHit);
  EXPECT_EQ(l.prefix_len, 9u);
  EXPECT_EQ(l.pages, pages);
  EXPECT_EQ(l.logits, logits);
  EXPECT_EQ(tree_->NodeEnd(l.node), 9u);
  EXPECT_TRUE(tree_->IsReady(l.node));
  ExpectAccounting();
  EXPECT_EQ(tree_->Stats().pinned_pages, 3u);
  tree_->Unlock(l.node);
  EXPECT_EQ(tree_->Stats().evictable_pages, 3u);

  const RadixTreeStats s = tree_->Stats();
  EXPECT_EQ(s.nodes, 1u);
  EXPECT_EQ(s.cached_tokens, 9u);
  EXPECT_EQ(s.lookups, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.tokens_matched, 9u);
}

TEST_F(RadixTreeTest, PrefixHitInsideNodeSplitsWithoutCopy) {
  Init(8, 4);
  const auto tokens = Range(0, 12);
  const Logits logits = MakeLogits(2.0f);
  const std::vector<PageId> pages = Put(0, tokens, logits);  // A B C

  const std::vector<int32_t> prefix(tokens.begin(), tokens.begin() + 6);
  RadixTree::Lookup l = tree_->Acquire(0, prefix);
  ASSERT_EQ(l.kind, Kind::kHit);
  EXPECT_EQ(tree_->NodeEnd(l.node), 6u);
  EXPECT_EQ(l.pages, (std::vector<PageId>{pages[0], pages[1]}));
  EXPECT_EQ(l.logits, nullptr);  // logits belong to position 11
  EXPECT_EQ(tree_->Stats().nodes, 2u);
  EXPECT_EQ(pool_->refcount(pages[1]), 2);  // straddling page: both halves
  EXPECT_EQ(pool_->refcount(pages[0]), 1);
  EXPECT_EQ(pool_->free_pages(), 5u);
  ExpectAccounting();
  tree_->Unlock(l.node);

  RadixTree::Lookup full = tree_->Acquire(0, tokens);
  ASSERT_EQ(full.kind, Kind::kHit);
  EXPECT_EQ(full.pages, pages);
  EXPECT_EQ(full.logits, logits);  // the deeper half kept them
  tree_->Unlock(full.node);

  // Evicting everything drops both refs of the straddling page.
  const EvictResult r = tree_->EvictAll();
  EXPECT_EQ(r.nodes, 2u);
  EXPECT_EQ(r.tokens, 12u);
  EXPECT_EQ(r.pages_freed, 3u);
  EXPECT_EQ(pool_->free_pages(), 8u);
}

class RadixTreePageSizeTest : public RadixTreeTest,
                              public ::testing::WithParamInterface<size_t> {};

TEST_P(RadixTreePageSizeTest, DivergenceMidPageKeepsDeeperPage) {
  const size_t page = GetParam();
  Init(64, page);
  const int32_t n = static_cast<int32_t>(2 * page + 3);
  const int32_t split = static_cast<int32_t>(page + 2);  // mid-page
  const auto x = Range(0, n);
  const auto y = Concat(Range(0, split), Range(1000, 1000 + n));
  const std::vector<PageId> xp = Put(0, x);

  Inserted yi = InsertFresh(0, y);
  EXPECT_EQ(yi.already, static_cast<size_t>(split));
  EXPECT_EQ(tree_->NodeEnd(yi.node), y.size());
  // The tree kept y's pages from the page holding position `split` on; the
  // earlier ones were duplicates and went back to the pool.
  const size_t y_pages = test::PagesFor(y.size(), page);
  const size_t kept = y_pages - split / page;
  EXPECT_EQ(pool_->free_pages(), 64 - xp.size() - kept);
  for (size_t i = 0; i < split / page; ++i) EXPECT_EQ(pool_->refcount(yi.pages[i]), 0);

  std::vector<PageId> got;
  tree_->PagesFor(yi.node, y.size(), &got);
  std::vector<PageId> want(xp.begin(), xp.begin() + split / page);
  want.insert(want.end(), yi.pages.begin() + split / page, yi.pages.end());
  EXPECT_EQ(got, want);
  // A shorter prefix through y's node takes the same pages.
  tree_->PagesFor(yi.node, split - 1, &got);
  EXPECT_EQ(got, std::vector<PageId>(want.begin(), want.begin() + test::PagesFor(split - 1, page)));
  tree_->Unlock(yi.node);

  // x is whole; its straddling page is shared by the two halves of x.
  RadixTree::Lookup lx = tree_->Acquire(0, x);
  ASSERT_EQ(lx.kind, Kind::kHit);
  EXPECT_EQ(lx.pages, xp);
  EXPECT_EQ(pool_->refcount(xp[split / page]), split % page != 0 ? 2 : 1);
  tree_->Unlock(lx.node);
  ExpectAccounting();

  EXPECT_EQ(tree_->EvictAll().nodes, 3u);
  EXPECT_EQ(pool_->free_pages(), 64u);
}

TEST_P(RadixTreePageSizeTest, ComputeExtendsMidPageSharingClaimedPage) {
  const size_t page = GetParam();
  if (page < 4) GTEST_SKIP() << "needs a page with room to append";
  Init(64, page);
  const size_t n1 = page + 2;
  const auto a = Range(0, static_cast<int32_t>(n1));
  RadixTree::Lookup l = tree_->Acquire(0, a);
  ASSERT_EQ(l.kind, Kind::kCompute);
  EXPECT_EQ(l.prefix_len, 0u);
  EXPECT_TRUE(l.pages.empty());
  std::vector<PageId> ap = test::AllocPages(pool_.get(), 2);
  ASSERT_TRUE(pool_->TryClaim(ap[1], 0, 2));
  tree_->Complete(l.node, ap, MakeLogits(1));
  tree_->Unlock(l.node);
  test::UnrefAll(pool_.get(), ap);

  // Extend a by page + 1 tokens: the caller appends into a's last page.
  const auto b = Concat(a, Range(500, 500 + static_cast<int32_t>(page) + 1));
  RadixTree::Lookup lb = tree_->Acquire(0, b);
  ASSERT_EQ(lb.kind, Kind::kCompute);
  EXPECT_EQ(lb.prefix_len, n1);
  EXPECT_EQ(lb.pages, ap);
  ASSERT_TRUE(pool_->TryClaim(ap[1], 2, static_cast<uint32_t>(page)));
  std::vector<PageId> bp = {ap[1]};
  const std::vector<PageId> more = test::AllocPages(pool_.get(), 1);
  bp.push_back(more[0]);
  // Slots of the last page are taken by b now: another extension must copy.
  EXPECT_FALSE(pool_->TryClaim(ap[1], 2, 3));
  tree_->Complete(lb.node, bp, nullptr);
  EXPECT_EQ(pool_->refcount(ap[1]), 2);  // a's node and b's node
  tree_->Unlock(lb.node);
  test::UnrefAll(pool_.get(), more);

  RadixTree::Lookup hit = tree_->Acquire(0, b);
  ASSERT_EQ(hit.kind, Kind::kHit);
  EXPECT_EQ(hit.pages, (std::vector<PageId>{ap[0], ap[1], more[0]}));
  EXPECT_EQ(hit.logits, nullptr);
  tree_->Unlock(hit.node);
  ExpectAccounting();
  EXPECT_EQ(tree_->EvictAll().pages_freed, 3u);
  EXPECT_EQ(pool_->free_pages(), 64u);
}

INSTANTIATE_TEST_SUITE_P(PageSizes, RadixTreePageSizeTest, ::testing::Values(1, 4, 16));

TEST_F(RadixTreeTest, NamespacesIsolateAndSurviveSplits) {
  Init(16, 4);
  const auto t = Range(1, 9);
  Put(7, t);
  EXPECT_FALSE(Cached(8, t));
  EXPECT_EQ(tree_->Stats().nodes, 1u);
  Put(8, t);
  EXPECT_EQ(tree_->Stats().nodes, 2u);
  EXPECT_EQ(pool_->free_pages(), 16u - 4);

  // Split ns 7's node; its halves keep namespace 7 keys.
  EXPECT_TRUE(Cached(7, Range(1, 4)));
  EXPECT_TRUE(Cached(7, t));
  EXPECT_TRUE(Cached(8, t));
  EXPECT_EQ(tree_->Stats().nodes, 3u);
  tree_->CheckInvariants();
  // Extending in ns 8 never reaches ns 7's nodes.
  Inserted e = InsertFresh(8, Concat(Range(1, 4), {99}));
  EXPECT_EQ(e.already, 3u);
  tree_->Unlock(e.node);
  EXPECT_FALSE(Cached(7, Concat(Range(1, 4), {99})));
}

TEST_F(RadixTreeTest, InsertReturnsAlreadyCachedAndFreesDuplicates) {
  Init(16, 4);
  const auto t = Range(0, 16);
  Inserted first = InsertFresh(0, t);
  EXPECT_EQ(first.already, 0u);
  tree_->Unlock(first.node);
  EXPECT_EQ(pool_->free_pages(), 12u);

  Inserted again = InsertFresh(0, t);
  EXPECT_EQ(again.already, 16u);
  EXPECT_EQ(again.node, first.node);
  EXPECT_EQ(pool_->free_pages(), 12u);  // duplicates went back
  tree_->Unlock(again.node);

  Inserted longer = InsertFresh(0, Concat(t, {100, 101}));
  EXPECT_EQ(longer.already, 16u);
  EXPECT_EQ(pool_->free_pages(), 11u);  // one new page kept
  EXPECT_EQ(pool_->refcount(longer.pages[4]), 1);
  tree_->Unlock(longer.node);
  ExpectAccounting();
}

TEST_F(RadixTreeTest, LogitsStoredPerNodeEnd) {
  Init(16, 4);
  const auto t = Range(0, 10);
  const Logits l10 = MakeLogits(10);
  Put(0, t, l10);
  const std::vector<int32_t> p5(t.begin(), t.begin() + 5);

  RadixTree::Lookup l = tree_->Acquire(0, p5);
  ASSERT_EQ(l.kind, Kind::kHit);
  EXPECT_EQ(l.logits, nullptr);
  const Logits l5 = MakeLogits(5);
  tree_->SetLogits(l.node, 4, l5);  // wrong length: ignored
  tree_->SetLogits(l.node, 5, l5);
  tree_->SetLogits(l.node, 5, MakeLogits(6));  // already set: ignored
  tree_->Unlock(l.node);

  l = tree_->Acquire(0, p5);
  EXPECT_EQ(l.logits, l5);
  tree_->Unlock(l.node);
  l = tree_->Acquire(0, t);
  EXPECT_EQ(l.logits, l10);
  tree_->Unlock(l.node);

  // An insert of a cached sequence supplies logits where none were stored.
  const Logits l3 = MakeLogits(3);
  Put(0, Range(0, 3));
  Inserted again = InsertFresh(0, Range(0, 3), l3);
  tree_->Unlock(again.node);
  l = tree_->Acquire(0, Range(0, 3));
  EXPECT_EQ(l.logits, l3);
  tree_->Unlock(l.node);
}

TEST_F(RadixTreeTest, LockPrefixPinsTheNodeContainingPosition) {
  Init(16, 4);
  const auto t = Range(0, 12);
  Inserted in = InsertFresh(0, t);
  RadixNode* node = in.node;

  RadixNode* whole = tree_->LockPrefix(node, 5);  // inside the node
  EXPECT_EQ(whole, node);
  RadixNode* root = tree_->LockPrefix(node, 0);
  EXPECT_EQ(root, tree_->root());
  tree_->Unlock(root);
  tree_->Unlock(node);  // the Insert lock; `whole` still pins the path

  // Split at 6: the prefix of length 5 now lives in the upper half.
  EXPECT_TRUE(Cached(0, Range(0, 6)));
  RadixNode* upper = tree_->LockPrefix(whole, 5);
  EXPECT_NE(upper, whole);
  EXPECT_EQ(tree_->NodeEnd(upper), 6u);
  EXPECT_EQ(tree_->NodeEnd(whole), 12u);
  std::vector<PageId> pages;
  tree_->PagesFor(upper, 5, &pages);
  EXPECT_EQ(pages, (std::vector<PageId>{in.pages[0], in.pages[1]}));

  tree_->Unlock(whole);
  EXPECT_EQ(tree_->EvictAll().nodes, 1u);  // only the lower half is free
  EXPECT_TRUE(tree_->IsReady(upper));
  ExpectAccounting();
  tree_->Unlock(upper);
  EXPECT_EQ(tree_->EvictAll().nodes, 1u);
  EXPECT_EQ(pool_->free_pages(), 16u);
}

TEST_F(RadixTreeTest, LruEvictsLeastRecentlyUsedFirst) {
  Init(32, 4, EvictionPolicy::kLru);
  const auto a = Range(0, 4), b = Range(10, 14), c = Range(20, 24);
  Put(0, a);
  Put(0, b);
  Put(0, c);
  EXPECT_TRUE(Cached(0, a));  // a is now the most recent
  EXPECT_EQ(tree_->EvictLeaves(1).nodes, 1u);
  EXPECT_EQ(tree_->Stats().nodes, 2u);
  EXPECT_TRUE(Cached(0, a));
  EXPECT_TRUE(Cached(0, c));
  EXPECT_FALSE(Cached(0, b));
  EXPECT_EQ(tree_->EvictLeaves(1).nodes, 1u);
  EXPECT_TRUE(Cached(0, c));
  EXPECT_FALSE(Cached(0, a));
}

TEST_F(RadixTreeTest, LfuEvictsFewestHitsFirst) {
  Init(32, 4, EvictionPolicy::kLfu);
  const auto a = Range(0, 4), b = Range(10, 14), c = Range(20, 24);
  Put(0, a);
  Put(0, b);
  Put(0, c);
  for (int i = 0; i < 3; ++i) Cached(0, a);
  Cached(0, b);
  for (int i = 0; i < 2; ++i) Cached(0, c);
  EXPECT_EQ(tree_->EvictLeaves(1).nodes, 1u);
  EXPECT_FALSE(Cached(0, b));
  EXPECT_EQ(tree_->EvictLeaves(1).nodes, 1u);
  EXPECT_TRUE(Cached(0, a));
  EXPECT_FALSE(Cached(0, c));
}

TEST_F(RadixTreeTest, PriorityEvictsLowestFirstAndPropagatesUp) {
  Init(32, 4, EvictionPolicy::kPriority);
  const auto a = Range(0, 4), b = Range(10, 14), c = Range(20, 24);
  Inserted ia = InsertFresh(0, a), ib = InsertFresh(0, b), ic = InsertFresh(0, c);
  tree_->SetPriority(ia.node, 5);
  tree_->SetPriority(ib.node, -1);
  tree_->SetPriority(ic.node, 3);
  tree_->Unlock(ia.node);
  tree_->Unlock(ib.node);
  tree_->Unlock(ic.node);
  Cached(0, b);  // recency does not outrank priority
  EXPECT_EQ(tree_->EvictLeaves(1).nodes, 1u);
  EXPECT_FALSE(Cached(0, b));
  EXPECT_EQ(tree_->EvictLeaves(1).nodes, 1u);
  EXPECT_TRUE(Cached(0, a));
  EXPECT_FALSE(Cached(0, c));

  // A child's priority raises its ancestors: after the child goes, the
  // parent still outranks a priority-1 leaf.
  Inserted deep = InsertFresh(0, Concat(a, {7, 7}));
  tree_->SetPriority(deep.node, 9);
  tree_->Unlock(deep.node);
  Inserted low = InsertFresh(0, Range(40, 44));
  tree_->SetPriority(low.node, 1);
  tree_->Unlock(low.node);
  EXPECT_EQ(tree_->EvictLeaves(1).nodes, 1u);
  EXPECT_FALSE(Cached(0, Range(40, 44)));
  EXPECT_EQ(tree_->EvictLeaves(1).nodes, 1u);  // the deep leaf (9) ...
  EXPECT_TRUE(Cached(0, a));                   // ... before its parent (9)
}

TEST_F(RadixTreeTest, EvictionCascadesToParents) {
  Init(32, 4);
  const auto x = Range(0, 8);
  const auto y = Concat(Range(0, 4), Range(50, 54));
  Put(0, x);
  Put(0, y);  // splits x at 4: [0,4) with children [4,8) and [4,8)'
  EXPECT_EQ(tree_->Stats().nodes, 3u);
  EXPECT_EQ(tree_->EvictLeaves(3).nodes, 3u);  // two leaves, then their parent
  EXPECT_EQ(tree_->Stats().nodes, 0u);
  EXPECT_EQ(pool_->free_pages(), 32u);
  EXPECT_EQ(tree_->Stats().evicted_nodes, 3u);
  EXPECT_EQ(tree_->Stats().evicted_tokens, 12u);
}

TEST_F(RadixTreeTest, PinnedNodesAndTheirPathsAreNeverEvicted) {
  Init(32, 4);
  const auto x = Range(0, 8);
  const auto y = Concat(Range(0, 4), Range(50, 54));
  Put(0, x);
  Inserted iy = InsertFresh(0, y);  // stays locked
  Put(0, Range(100, 110));
  const EvictResult r = tree_->EvictAll();
  EXPECT_EQ(r.nodes, 2u);  // x's lower half and the unrelated sequence
  EXPECT_TRUE(tree_->IsReady(iy.node));
  const RadixTreeStats s = tree_->Stats();
  EXPECT_EQ(s.pinned_pages, 2u);
  EXPECT_EQ(s.evictable_pages, 0u);
  ExpectAccounting();
  std::vector<PageId> pages;
  tree_->PagesFor(iy.node, y.size(), &pages);
  EXPECT_EQ(pages[1], iy.pages[1]);
  tree_->Unlock(iy.node);
  EXPECT_EQ(tree_->Stats().evictable_pages, 2u);
  EXPECT_EQ(tree_->EvictAll().nodes, 2u);
}

TEST_F(RadixTreeTest, PagesHeldOutsideTheTreeArePinnedAndNotFreed) {
  Init(16, 4);
  const auto t = Range(0, 8);
  std::vector<PageId> pages = test::AllocPages(pool_.get(), 2);
  size_t already = 0;
  RadixNode* node = tree_->Insert(0, t, pages, nullptr, &already);
  tree_->Unlock(node);
  // The caller still holds its refs: the pages are pinned, not evictable.
  EXPECT_EQ(tree_->Stats().pinned_pages, 2u);
  const EvictResult r = tree_->EvictAll();
  EXPECT_EQ(r.nodes, 1u);
  EXPECT_EQ(r.pages_freed, 0u);
  EXPECT_EQ(pool_->free_pages(), 14u);
  test::UnrefAll(pool_.get(), pages);
  EXPECT_EQ(pool_->free_pages(), 16u);
}

TEST_F(RadixTreeTest, EvictPagesFreesAtLeastWhatWasAsked) {
  Init(32, 4);
  for (int i = 0; i < 5; ++i) Put(0, Range(100 * i, 100 * i + 12));  // 3 pages each
  EXPECT_EQ(pool_->free_pages(), 17u);
  EvictResult r = tree_->EvictPages(4);
  EXPECT_GE(r.pages_freed, 4u);
  EXPECT_EQ(r.nodes, 2u);
  EXPECT_EQ(pool_->free_pages(), 17u + r.pages_freed);
  r = tree_->EvictPages(100);  // more than there is: frees everything
  EXPECT_EQ(r.pages_freed, 9u);
  EXPECT_EQ(pool_->free_pages(), 32u);
  EXPECT_EQ(tree_->EvictPages(1).nodes, 0u);
}

TEST_F(RadixTreeTest, ComputeThenCompleteThenHit) {
  Init(16, 4);
  const auto t = Range(0, 10);
  RadixTree::Lookup l = tree_->Acquire(0, t);
  ASSERT_EQ(l.kind, Kind::kCompute);
  EXPECT_FALSE(tree_->IsReady(l.node));
  EXPECT_EQ(tree_->NodeEnd(l.node), 10u);
  ExpectAccounting();
  std::vector<PageId> pages = test::AllocPages(pool_.get(), 3);
  const Logits logits = MakeLogits(4);
  tree_->Complete(l.node, pages, logits);
  EXPECT_TRUE(tree_->IsReady(l.node));
  EXPECT_TRUE(tree_->Wait(l.node).ok());
  tree_->Unlock(l.node);
  test::UnrefAll(pool_.get(), pages);

  RadixTree::Lookup hit = tree_->Acquire(0, t);
  ASSERT_EQ(hit.kind, Kind::kHit);
  EXPECT_EQ(hit.pages, pages);
  EXPECT_EQ(hit.logits, logits);
  tree_->Unlock(hit.node);
  EXPECT_EQ(tree_->Stats().lookups, 2u);
  EXPECT_EQ(tree_->Stats().hits, 1u);
}

TEST_F(RadixTreeTest, FailUnlinksAndWakesWaiters) {
  Init(16, 4);
  const auto t = Range(0, 10);
  RadixTree::Lookup owner = tree_->Acquire(0, t);
  ASSERT_EQ(owner.kind, Kind::kCompute);
  RadixTree::Lookup waiter = tree_->Acquire(0, Concat(t, {1, 2}));
  ASSERT_EQ(waiter.kind, Kind::kWait);
  EXPECT_EQ(waiter.node, owner.node);

  std::thread th([&] {
    const Status s = tree_->Wait(waiter.node);
    EXPECT_EQ(s.code(), Status::Code::kCancelled);
    tree_->Unlock(waiter.node);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  tree_->Fail(owner.node, Status::Cancelled("request aborted"));
  tree_->CheckInvariants();  // unlinked, still alive while locked
  EXPECT_EQ(tree_->Stats().nodes, 0u);
  th.join();
  tree_->Unlock(owner.node);

  RadixTree::Lookup retry = tree_->Acquire(0, t);
  EXPECT_EQ(retry.kind, Kind::kCompute);
  tree_->Fail(retry.node, Status::Ok());  // an ok status still fails
  EXPECT_FALSE(tree_->Wait(retry.node).ok());
  tree_->Unlock(retry.node);
  ExpectAccounting();
}

TEST_F(RadixTreeTest, InsertWaitsForPendingNode) {
  Init(16, 4);
  const auto t = Range(0, 8);
  RadixTree::Lookup owner = tree_->Acquire(0, t);
  ASSERT_EQ(owner.kind, Kind::kCompute);
  std::atomic<bool> inserted{false};
  std::thread th([&] {
    Inserted in = InsertFresh(0, t);
    EXPECT_EQ(in.already, 8u);
    inserted = true;
    tree_->Unlock(in.node);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(inserted.load());
  std::vector<PageId> pages = test::AllocPages(pool_.get(), 2);
  tree_->Complete(owner.node, pages, nullptr);
  th.join();
  tree_->Unlock(owner.node);
  test::UnrefAll(pool_.get(), pages);
  EXPECT_EQ(pool_->free_pages(), 14u);
}

TEST_F(RadixTreeTest, ConcurrentAcquireComputesOnce) {
  Init(64, 4);
  const auto t = Range(0, 30);
  constexpr int kThreads = 16;
  std::atomic<int> computes{0}, waits{0}, ready{0};
  std::vector<std::vector<PageId>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      for (;;) {
        RadixTree::Lookup l = tree_->Acquire(0, t);
        if (l.kind == Kind::kHit) {
          seen[i] = l.pages;
          tree_->Unlock(l.node);
          return;
        }
        if (l.kind == Kind::kWait) {
          waits.fetch_add(1);
          EXPECT_TRUE(tree_->Wait(l.node).ok());
          tree_->Unlock(l.node);
          continue;
        }
        computes.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::vector<PageId> pages = test::AllocPages(pool_.get(), 8);
        tree_->Complete(l.node, pages, nullptr);
        tree_->Unlock(l.node);
        test::UnrefAll(pool_.get(), pages);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(computes.load(), 1);
  EXPECT_GE(waits.load(), 1);
  for (int i = 1; i < kThreads; ++i) EXPECT_EQ(seen[i], seen[0]);
  EXPECT_EQ(seen[0].size(), 8u);
  ExpectAccounting();
}

}  // namespace
}  // namespace radixlm
