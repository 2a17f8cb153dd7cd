// KvLayout and PageTable: how the KV of a sequence is laid out in pages.
//
// A page holds the keys and values of `page_size` consecutive positions for
// every layer, as float32: [n_layers][2 (K, V)][page_size][kv_dim]. A
// sequence's KV is a list of pages in position order (its PageTable); the
// pages may be shared with other sequences (prefix sharing) and are owned by
// whoever allocated them (a PagePool, or a SequenceKv).
#ifndef RADIXLM_MODEL_KV_LAYOUT_H_
#define RADIXLM_MODEL_KV_LAYOUT_H_

#include <cstddef>
#include <memory>
#include <vector>

namespace radixlm {

struct KvLayout {
  size_t n_layers = 0;
  size_t kv_dim = 0;
  size_t page_size = 16;

  size_t floats_per_page() const { return n_layers * 2 * page_size * kv_dim; }
  size_t bytes_per_page() const { return floats_per_page() * sizeof(float); }
  // Offsets (in floats) of the K and V rows of `slot` in a page.
  size_t k_offset(size_t layer, size_t slot) const {
    return ((layer * 2 + 0) * page_size + slot) * kv_dim;
  }
  size_t v_offset(size_t layer, size_t slot) const {
    return ((layer * 2 + 1) * page_size + slot) * kv_dim;
  }
};

// A non-owning view of the pages of one sequence, in position order:
// position p lives in pages[p / page_size], slot p % page_size.
struct PageTable {
  float* const* pages = nullptr;
  size_t n_pages = 0;
};

// SequenceKv: pages owned by one sequence (no sharing). Used where no cache
// is wanted: single-sequence generation and tests.
class SequenceKv {
 public:
  explicit SequenceKv(const KvLayout& layout) : layout_(layout) {}
  SequenceKv(const SequenceKv&) = delete;
  SequenceKv& operator=(const SequenceKv&) = delete;

  // Makes room for positions [0, n_tokens).
  void Reserve(size_t n_tokens) {
    while (pages_.size() * layout_.page_size < n_tokens) {
      storage_.push_back(std::make_unique<float[]>(layout_.floats_per_page()));
      pages_.push_back(storage_.back().get());
    }
  }
  PageTable table() const { return PageTable{pages_.data(), pages_.size()}; }
  size_t capacity() const { return pages_.size() * layout_.page_size; }
  const KvLayout& layout() const { return layout_; }

 private:
  KvLayout layout_;
  std::vector<std::unique_ptr<float[]>> storage_;
  std::vector<float*> pages_;
};

}  // namespace radixlm

#endif  // RADIXLM_MODEL_KV_LAYOUT_H_
