// PagePool: fixed-size KV pages for all layers, refcounted, carved from one
// allocation sized by a byte budget.
//
// A page holds KV for `page_size` consecutive positions of every layer in the
// model/kv_layout.h layout. Besides its refcount a page has a fill mark: how
// many of its slots (from slot 0) have been claimed by some sequence. A
// sequence may append into a page in place only if it atomically moves the
// fill mark from exactly its first slot (TryClaim); otherwise the slots are
// someone else's and it must copy the page (copy-on-write).
//
// Thread safety: all methods are thread-safe. Refcounts and fill marks are
// atomics; the free list is guarded by mu_.
// Invariant: free_pages() + (pages with refcount > 0) == total_pages().
#ifndef RADIXLM_CACHE_PAGE_POOL_H_
#define RADIXLM_CACHE_PAGE_POOL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "model/kv_layout.h"

namespace radixlm {

using PageId = uint32_t;
inline constexpr PageId kNoPage = UINT32_MAX;

class PagePool {
 public:
  // Creates a pool of floor(budget_bytes / layout.bytes_per_page()) pages.
  // InvalidArgument if that is 0; ResourceExhausted if the memory cannot be
  // reserved. Memory is reserved, not touched: pages cost RAM when used.
  static Status Create(const KvLayout& layout, size_t budget_bytes, std::unique_ptr<PagePool>* out);
  ~PagePool();
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  // Takes a free page: refcount 1, fill mark 0. ResourceExhausted when none
  // is free (the caller may evict from the cache and retry).
  Status Allocate(PageId* out);
  // Refcount +1. REQUIRES: refcount > 0.
  void Ref(PageId page);
  // Refcount -1; at 0 the page returns to the free list.
  void Unref(PageId page);
  // Unref that returns true when it dropped the last ref (the page is free).
  bool UnrefIsLast(PageId page);
  int32_t refcount(PageId page) const;

  // Claims slots [from, to) of `page` for appending iff its fill mark is
  // exactly `from` (moves it to `to`). Returns false when another sequence
  // already claimed slot `from` (then copy the page instead).
  bool TryClaim(PageId page, uint32_t from, uint32_t to);
  // Sets the fill mark of a page this caller owns exclusively (after a copy).
  void SetFill(PageId page, uint32_t fill);
  // The fill mark (for tests and diagnostics).
  uint32_t fill(PageId page) const;

  float* data(PageId page) const;
  const KvLayout& layout() const { return layout_; }
  size_t page_size() const { return layout_.page_size; }
  size_t total_pages() const { return n_pages_; }
  size_t free_pages() const;
  size_t bytes_per_page() const { return layout_.bytes_per_page(); }

 private:
  PagePool(const KvLayout& layout, size_t n_pages, float* base, size_t map_bytes);

  const KvLayout layout_;
  const size_t n_pages_;
  float* const base_;
  const size_t map_bytes_;
  std::unique_ptr<std::atomic<int32_t>[]> refs_;
  std::unique_ptr<std::atomic<uint32_t>[]> fill_;
  mutable std::mutex mu_;
  std::vector<PageId> free_list_;  // GUARDED_BY(mu_)
};

}  // namespace radixlm

#endif  // RADIXLM_CACHE_PAGE_POOL_H_
