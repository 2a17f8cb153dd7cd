#include "cache/page_pool.h"

#include <sys/mman.h>

#include <string>

#include "base/check.h"

namespace radixlm {

Status PagePool::Create(const KvLayout& layout, size_t budget_bytes,
                        std::unique_ptr<PagePool>* out) {
  const size_t bytes_per_page = layout.bytes_per_page();
  if (bytes_per_page == 0) {
    return Status::InvalidArgument("PagePool: KV layout has 0 bytes per page");
  }
  const size_t n_pages = budget_bytes / bytes_per_page;
  if (n_pages == 0) {
    return Status::InvalidArgument("PagePool: budget of " + std::to_string(budget_bytes) +
                                   " bytes holds no page of " +
                                   std::to_string(bytes_per_page) + " bytes");
  }
  if (n_pages >= kNoPage) {
    return Status::InvalidArgument("PagePool: too many pages (" + std::to_string(n_pages) + ")");
  }
  // Reserve address space only: pages cost RAM when first written.
  const size_t map_bytes = n_pages * bytes_per_page;
  void* base = mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    return Status::ResourceExhausted("PagePool: cannot reserve " + std::to_string(map_bytes) +
                                     " bytes for " + std::to_string(n_pages) + " KV pages");
  }
  out->reset(new PagePool(layout, n_pages, static_cast<float*>(base), map_bytes));
  return Status::Ok();
}

PagePool::PagePool(const KvLayout& layout, size_t n_pages, float* base, size_t map_bytes)
    : layout_(layout),
      n_pages_(n_pages),
      base_(base),
      map_bytes_(map_bytes),
      refs_(new std::atomic<int32_t>[n_pages]),
      fill_(new std::atomic<uint32_t>[n_pages]) {
  free_list_.reserve(n_pages);
  // LIFO: the last pushed is taken first, so fresh pools hand out 0, 1, 2, ...
  for (size_t i = n_pages; i-- > 0;) {
    refs_[i].store(0, std::memory_order_relaxed);
    fill_[i].store(0, std::memory_order_relaxed);
    free_list_.push_back(static_cast<PageId>(i));
  }
}

PagePool::~PagePool() { munmap(base_, map_bytes_); }

Status PagePool::Allocate(PageId* out) {
  PageId page;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_list_.empty()) {
      return Status::ResourceExhausted("PagePool: all " + std::to_string(n_pages_) +
                                       " KV pages are in use");
    }
    page = free_list_.back();
    free_list_.pop_back();
  }
  fill_[page].store(0, std::memory_order_relaxed);
  refs_[page].store(1, std::memory_order_release);
  *out = page;
  return Status::Ok();
}

void PagePool::Ref(PageId page) {
  RLM_CHECK(page < n_pages_);
  const int32_t prev = refs_[page].fetch_add(1, std::memory_order_relaxed);
  RLM_CHECK_MSG(prev > 0, "PagePool::Ref of a free page");
}

void PagePool::Unref(PageId page) { UnrefIsLast(page); }

bool PagePool::UnrefIsLast(PageId page) {
  RLM_CHECK(page < n_pages_);
  const int32_t prev = refs_[page].fetch_sub(1, std::memory_order_acq_rel);
  RLM_CHECK_MSG(prev > 0, "PagePool::Unref of a free page");
  if (prev != 1) return false;
  std::lock_guard<std::mutex> lock(mu_);
  free_list_.push_back(page);
  return true;
}

int32_t PagePool::refcount(PageId page) const {
  RLM_CHECK(page < n_pages_);
  return refs_[page].load(std::memory_order_acquire);
}

bool PagePool::TryClaim(PageId page, uint32_t from, uint32_t to) {
  RLM_CHECK(page < n_pages_);
  RLM_CHECK(from <= to && to <= layout_.page_size);
  uint32_t expected = from;
  return fill_[page].compare_exchange_strong(expected, to, std::memory_order_acq_rel);
}

void PagePool::SetFill(PageId page, uint32_t fill) {
  RLM_CHECK(page < n_pages_);
  RLM_CHECK(fill <= layout_.page_size);
  fill_[page].store(fill, std::memory_order_release);
}

uint32_t PagePool::fill(PageId page) const {
  RLM_CHECK(page < n_pages_);
  return fill_[page].load(std::memory_order_acquire);
}

float* PagePool::data(PageId page) const {
  RLM_CHECK(page < n_pages_);
  return base_ + static_cast<size_t>(page) * layout_.floats_per_page();
}

size_t PagePool::free_pages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_list_.size();
}

}  // namespace radixlm
