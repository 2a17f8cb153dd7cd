#include "cache/page_pool.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "cache/test_util.h"

namespace radixlm {
namespace {

TEST(PagePoolTest, CreateSizesPoolFromBudget) {
  KvLayout layout;
  layout.n_layers = 2;
  layout.kv_dim = 8;
  layout.page_size = 16;
  std::unique_ptr<PagePool> pool;
  ASSERT_TRUE(PagePool::Create(layout, layout.bytes_per_page() * 10 + 7, &pool).ok());
  EXPECT_EQ(pool->total_pages(), 10u);
  EXPECT_EQ(pool->free_pages(), 10u);
  EXPECT_EQ(pool->bytes_per_page(), 2u * 2 * 16 * 8 * sizeof(float));
  EXPECT_EQ(pool->page_size(), 16u);

  std::unique_ptr<PagePool> tiny;
  EXPECT_EQ(PagePool::Create(layout, layout.bytes_per_page() - 1, &tiny).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(PagePool::Create(KvLayout{}, 1 << 20, &tiny).code(), Status::Code::kInvalidArgument);
}

TEST(PagePoolTest, AllocatesEveryPageThenExhausts) {
  auto pool = test::MakePool(8, 4);
  std::set<PageId> seen;
  for (int i = 0; i < 8; ++i) {
    PageId p;
    ASSERT_TRUE(pool->Allocate(&p).ok());
    EXPECT_LT(p, 8u);
    EXPECT_TRUE(seen.insert(p).second);
    EXPECT_EQ(pool->refcount(p), 1);
    EXPECT_EQ(pool->fill(p), 0u);
  }
  EXPECT_EQ(pool->free_pages(), 0u);
  PageId p;
  EXPECT_EQ(pool->Allocate(&p).code(), Status::Code::kResourceExhausted);

  pool->Unref(3);
  EXPECT_EQ(pool->free_pages(), 1u);
  ASSERT_TRUE(pool->Allocate(&p).ok());
  EXPECT_EQ(p, 3u);
}

TEST(PagePoolTest, PageDataIsDisjointAndWritable) {
  auto pool = test::MakePool(4, 4);
  const std::vector<PageId> pages = test::AllocPages(pool.get(), 4);
  const size_t floats = pool->layout().floats_per_page();
  for (PageId p : pages) {
    float* d = pool->data(p);
    for (size_t i = 0; i < floats; ++i) d[i] = static_cast<float>(p);
  }
  for (PageId p : pages) {
    EXPECT_EQ(pool->data(p)[0], static_cast<float>(p));
    EXPECT_EQ(pool->data(p)[floats - 1], static_cast<float>(p));
  }
}

TEST(PagePoolTest, RefcountsFreeOnLastUnref) {
  auto pool = test::MakePool(2, 4);
  PageId p;
  ASSERT_TRUE(pool->Allocate(&p).ok());
  pool->Ref(p);
  pool->Ref(p);
  EXPECT_EQ(pool->refcount(p), 3);
  EXPECT_FALSE(pool->UnrefIsLast(p));
  pool->Unref(p);
  EXPECT_EQ(pool->free_pages(), 1u);
  EXPECT_TRUE(pool->UnrefIsLast(p));
  EXPECT_EQ(pool->refcount(p), 0);
  EXPECT_EQ(pool->free_pages(), 2u);
}

TEST(PagePoolDeathTest, UnrefOfFreePageAborts) {
  auto pool = test::MakePool(2, 4);
  PageId p;
  ASSERT_TRUE(pool->Allocate(&p).ok());
  pool->Unref(p);
  EXPECT_DEATH(pool->Unref(p), "Unref of a free page");
  EXPECT_DEATH(pool->Ref(p), "Ref of a free page");
}

TEST(PagePoolTest, TryClaimMovesFillMarkOnlyFromExpectedSlot) {
  auto pool = test::MakePool(2, 8);
  PageId p;
  ASSERT_TRUE(pool->Allocate(&p).ok());
  EXPECT_TRUE(pool->TryClaim(p, 0, 3));
  EXPECT_EQ(pool->fill(p), 3u);
  // Slot 0 is taken: a second sequence starting there must copy.
  EXPECT_FALSE(pool->TryClaim(p, 0, 2));
  // A sequence continuing at slot 3 may append.
  EXPECT_TRUE(pool->TryClaim(p, 3, 5));
  EXPECT_FALSE(pool->TryClaim(p, 3, 8));
  EXPECT_EQ(pool->fill(p), 5u);
  pool->SetFill(p, 2);
  EXPECT_TRUE(pool->TryClaim(p, 2, 8));
  // A freed and reallocated page starts empty again.
  pool->Unref(p);
  ASSERT_TRUE(pool->Allocate(&p).ok());
  EXPECT_EQ(pool->fill(p), 0u);
}

TEST(PagePoolTest, TryClaimRaceHasOneWinner) {
  auto pool = test::MakePool(1, 16);
  PageId p;
  ASSERT_TRUE(pool->Allocate(&p).ok());
  pool->SetFill(p, 4);
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      if (pool->TryClaim(p, 4, 5 + t)) winners.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

TEST(PagePoolTest, ConcurrentAllocateAndFree) {
  constexpr size_t kPages = 64;
  auto pool = test::MakePool(kPages, 4);
  std::vector<std::thread> threads;
  std::atomic<int> exhausted{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      std::vector<PageId> held;
      for (int i = 0; i < 2000; ++i) {
        if (held.size() < 12 && i % 3 != 2) {
          PageId p;
          const Status s = pool->Allocate(&p);
          if (s.ok()) {
            EXPECT_EQ(pool->refcount(p), 1);
            pool->Ref(p);  // share and release, as the tree does
            pool->Unref(p);
            held.push_back(p);
          } else {
            EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
            exhausted.fetch_add(1);
          }
        } else if (!held.empty()) {
          pool->Unref(held.back());
          held.pop_back();
        }
      }
      for (PageId p : held) pool->Unref(p);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(pool->free_pages(), kPages);
  for (PageId p = 0; p < kPages; ++p) EXPECT_EQ(pool->refcount(p), 0);
}

}  // namespace
}  // namespace radixlm
