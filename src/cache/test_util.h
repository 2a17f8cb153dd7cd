// Helpers for the cache tests: small pools and page bookkeeping.
#ifndef RADIXLM_CACHE_TEST_UTIL_H_
#define RADIXLM_CACHE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "cache/page_pool.h"

namespace radixlm {
namespace test {

// A pool of exactly n_pages pages of page_size slots (1 layer, kv_dim 2).
inline std::unique_ptr<PagePool> MakePool(size_t n_pages, size_t page_size) {
  KvLayout layout;
  layout.n_layers = 1;
  layout.kv_dim = 2;
  layout.page_size = page_size;
  std::unique_ptr<PagePool> pool;
  const Status s = PagePool::Create(layout, n_pages * layout.bytes_per_page(), &pool);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return pool;
}

// Allocates n pages (aborts the test on exhaustion).
inline std::vector<PageId> AllocPages(PagePool* pool, size_t n) {
  std::vector<PageId> pages(n);
  for (PageId& p : pages) {
    const Status s = pool->Allocate(&p);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return pages;
}

inline void UnrefAll(PagePool* pool, const std::vector<PageId>& pages) {
  for (PageId p : pages) pool->Unref(p);
}

inline size_t PagesFor(size_t n_tokens, size_t page_size) {
  return (n_tokens + page_size - 1) / page_size;
}

}  // namespace test
}  // namespace radixlm

#endif  // RADIXLM_CACHE_TEST_UTIL_H_
