#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace radixlm {
namespace {

TEST(ThreadPoolTest, CoversRangeExactlyOnce) {
  for (size_t threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (size_t n : {0, 1, 5, 64, 1000}) {
      for (size_t grain : {1, 4, 16}) {
        std::vector<std::atomic<int>> hits(n);
        pool.ParallelFor(n, grain, [&](size_t b, size_t e, size_t t) {
          EXPECT_LT(t, threads);
          for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
        });
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << n << " " << i;
      }
    }
  }
}

TEST(ThreadPoolTest, ManyBackToBackJobs) {
  ThreadPool pool(4);
  std::atomic<long> sum{0};
  for (int job = 0; job < 2000; ++job) {
    pool.RunOnAll([&](size_t t) { sum.fetch_add(static_cast<long>(t) + 1); });
  }
  EXPECT_EQ(sum.load(), 2000L * (1 + 2 + 3 + 4));
}

}  // namespace
}  // namespace radixlm
