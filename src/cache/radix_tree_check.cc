// RadixTree's Stats and CheckInvariants: full scans, O(nodes + pages).
#include <unordered_map>

#include "base/check.h"
#include "cache/radix_tree_impl.h"

namespace radixlm {

using cache_internal::NodeState;
using cache_internal::PageCount;

namespace {

// Per page: refs held by tree nodes, and how many of those come from
// unlocked ready nodes.
struct PageRefs {
  std::vector<int32_t> tree;
  std::vector<int32_t> unlocked;
};

// Classifies every page of the pool: free (refcount 0), evictable (every
// ref comes from an unlocked ready node), or pinned.
struct PageCounts {
  size_t free = 0;
  size_t evictable = 0;
  size_t pinned = 0;
};

PageCounts CountPages(const PagePool& pool, const PageRefs& refs) {
  PageCounts c;
  for (size_t p = 0; p < pool.total_pages(); ++p) {
    const int32_t rc = pool.refcount(static_cast<PageId>(p));
    if (rc == 0) {
      ++c.free;
    } else if (rc == refs.unlocked[p]) {
      ++c.evictable;
    } else {
      ++c.pinned;
    }
  }
  return c;
}

}  // namespace

std::vector<const RadixNode*> RadixTree::Impl::AllNodesLocked() const {
  std::vector<const RadixNode*> nodes = {root_};
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& [key, child] : nodes[i]->children) nodes.push_back(child);
  }
  for (const RadixNode* node : failed_) nodes.push_back(node);
  return nodes;
}

RadixTreeStats RadixTree::Impl::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  RadixTreeStats s;
  PageRefs refs{std::vector<int32_t>(pool_->total_pages()),
                std::vector<int32_t>(pool_->total_pages())};
  for (const RadixNode* node : AllNodesLocked()) {
    if (node->state != NodeState::kReady || node == root_) continue;
    s.cached_tokens += node->length();
    if (node->lock_ref != 0) continue;
    for (PageId page : node->pages) ++refs.unlocked[page];
  }
  const PageCounts c = CountPages(*pool_, refs);
  s.nodes = n_nodes_;
  s.free_pages = pool_->free_pages();
  s.evictable_pages = c.evictable;
  s.pinned_pages = c.pinned;
  s.total_pages = pool_->total_pages();
  s.lookups = lookups_;
  s.hits = hits_;
  s.tokens_looked_up = tokens_looked_up_;
  s.tokens_matched = tokens_matched_;
  s.evicted_nodes = evicted_nodes_;
  s.evicted_tokens = evicted_tokens_;
  return s;
}

void RadixTree::Impl::CheckInvariants() const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::vector<const RadixNode*> nodes = AllNodesLocked();
  PageRefs refs{std::vector<int32_t>(pool_->total_pages()),
                std::vector<int32_t>(pool_->total_pages())};
  // Sum of lock_ref over each node's children, linked or failed.
  std::unordered_map<const RadixNode*, int64_t> child_locks;
  size_t n_evictable = 0;
  size_t n_linked = 0;

  RLM_CHECK(root_->parent == nullptr && root_->start == 0 && root_->end == 0);
  RLM_CHECK(root_->pages.empty() && root_->state == NodeState::kReady);
  for (const RadixNode* node : nodes) {
    const bool failed = node->state == NodeState::kFailed;
    if (node != root_) {
      const RadixNode* parent = node->parent;
      RLM_CHECK(parent != nullptr);
      RLM_CHECK(node->length() > 0);
      RLM_CHECK(node->start == parent->end);
      RLM_CHECK(node->token_buf != nullptr);
      RLM_CHECK(node->token_data >= node->token_buf->data() &&
                node->token_data + node->length() <=
                    node->token_buf->data() + node->token_buf->size());
      if (parent != root_) RLM_CHECK(node->ns == parent->ns);
      RLM_CHECK(parent->state != NodeState::kPending);
      auto it = parent->children.find(node->key());
      if (failed) {
        // Unlinked at once, alive only while locked.
        RLM_CHECK(it == parent->children.end() || it->second != node);
        RLM_CHECK(node->lock_ref > 0);
        RLM_CHECK(failed_.count(const_cast<RadixNode*>(node)) == 1);
      } else {
        RLM_CHECK(it != parent->children.end() && it->second == node);
        ++n_linked;
      }
      child_locks[parent] += node->lock_ref;
    }
    for (const auto& [key, child] : node->children) {
      RLM_CHECK(child->parent == node);
      RLM_CHECK(key == child->key());
    }
    if (node->state == NodeState::kReady && node != root_) {
      RLM_CHECK(node->pages.size() == PageCount(node->start, node->end, page_size_));
    } else {
      RLM_CHECK(node->pages.empty());
    }
    if (node->state != NodeState::kReady) RLM_CHECK(node->children.empty());
    if (node->state == NodeState::kPending) RLM_CHECK(node->lock_ref > 0);
    for (PageId page : node->pages) {
      RLM_CHECK(page < pool_->total_pages());
      ++refs.tree[page];
      if (node->lock_ref == 0) ++refs.unlocked[page];
    }
    RLM_CHECK(node->self_locks >= 0 && node->lock_ref >= node->self_locks);
    // The evictable set holds exactly the ready unlocked leaves.
    const bool evictable = EvictableLocked(node);
    RLM_CHECK(node->in_evictable == evictable);
    if (evictable) {
      ++n_evictable;
      auto it = evictable_.find(node->evict_key);
      RLM_CHECK(it != evictable_.end() && it->second == node);
      RLM_CHECK(node->evict_key == KeyLocked(node));
    }
  }
  // Lock refs: own locks plus the children's.
  for (const RadixNode* node : nodes) {
    auto it = child_locks.find(node);
    const int64_t below = it == child_locks.end() ? 0 : it->second;
    RLM_CHECK(node->lock_ref == node->self_locks + below);
  }
  RLM_CHECK(n_evictable == evictable_.size());
  RLM_CHECK(n_linked == n_nodes_);
  // Pages: the tree never holds more refs than a page has.
  for (size_t p = 0; p < pool_->total_pages(); ++p) {
    RLM_CHECK(refs.tree[p] <= pool_->refcount(static_cast<PageId>(p)));
  }
  // Accounting: free + evictable + pinned == total, with free counted both
  // by the pool's free list and by refcount.
  const PageCounts c = CountPages(*pool_, refs);
  RLM_CHECK(c.free == pool_->free_pages());
  RLM_CHECK(pool_->free_pages() + c.evictable + c.pinned == pool_->total_pages());
}

}  // namespace radixlm
