// The evictable set and eviction of RadixTree.
//
// evictable_ holds exactly the ready, unlocked leaves (root excluded), keyed
// by the policy. Every change that can alter a node's membership or key
// (lock 0 <-> 1, a child added or removed, completion, access, priority)
// calls RefreshLocked on that node, so the set never needs a scan.
#include <algorithm>

#include "base/check.h"
#include "cache/radix_tree_impl.h"

namespace radixlm {

using cache_internal::EvictKey;
using cache_internal::NodeState;

bool RadixTree::Impl::EvictableLocked(const RadixNode* node) const {
  return node != root_ && node->state == NodeState::kReady && node->lock_ref == 0 &&
         node->children.empty();
}

EvictKey RadixTree::Impl::KeyLocked(const RadixNode* node) const {
  switch (policy_) {
    case EvictionPolicy::kLru:
      return {node->last_access, 0, node->id};
    case EvictionPolicy::kLfu:
      return {node->hit_count, node->last_access, node->id};
    case EvictionPolicy::kPriority: {
      // Order int32 priorities as unsigned: lowest first.
      const uint64_t p = static_cast<uint64_t>(static_cast<int64_t>(node->priority) -
                                               static_cast<int64_t>(INT32_MIN));
      return {p, node->last_access, node->id};
    }
  }
  return {0, 0, node->id};
}

void RadixTree::Impl::RefreshLocked(RadixNode* node) {
  if (node->in_evictable) {
    evictable_.erase(node->evict_key);
    node->in_evictable = false;
  }
  if (EvictableLocked(node)) {
    node->evict_key = KeyLocked(node);
    evictable_.emplace(node->evict_key, node);
    node->in_evictable = true;
  }
}

void RadixTree::Impl::TouchLocked(RadixNode* node, uint64_t tick) {
  node->last_access = tick;
  ++node->hit_count;
  if (node->in_evictable) RefreshLocked(node);
}

void RadixTree::Impl::EvictNodeLocked(RadixNode* node, EvictResult* result) {
  RLM_CHECK(EvictableLocked(node));
  evictable_.erase(node->evict_key);
  node->in_evictable = false;
  RadixNode* parent = node->parent;
  parent->children.erase(node->key());
  // A page straddling the boundary with the parent loses only this ref.
  for (PageId page : node->pages) {
    if (pool_->UnrefIsLast(page)) ++result->pages_freed;
  }
  ++result->nodes;
  result->tokens += node->length();
  ++evicted_nodes_;
  evicted_tokens_ += node->length();
  --n_nodes_;
  delete node;
  RefreshLocked(parent);  // cascade: the parent may be an evictable leaf now
}

template <typename Pred>
EvictResult RadixTree::Impl::EvictWhileLocked(Pred keep_going) {
  EvictResult result;
  while (!evictable_.empty() && keep_going(result)) {
    EvictNodeLocked(evictable_.begin()->second, &result);
  }
  return result;
}

EvictResult RadixTree::Impl::EvictPages(size_t pages) {
  std::lock_guard<std::mutex> lock(mu_);
  return EvictWhileLocked([pages](const EvictResult& r) { return r.pages_freed < pages; });
}

EvictResult RadixTree::Impl::EvictLeaves(size_t leaves) {
  std::lock_guard<std::mutex> lock(mu_);
  return EvictWhileLocked([leaves](const EvictResult& r) { return r.nodes < leaves; });
}

EvictResult RadixTree::Impl::EvictAll() {
  std::lock_guard<std::mutex> lock(mu_);
  return EvictWhileLocked([](const EvictResult&) { return true; });
}

void RadixTree::Impl::SetPriority(RadixNode* node, int32_t priority) {
  std::lock_guard<std::mutex> lock(mu_);
  for (RadixNode* n = node; n != root_ && n != nullptr; n = n->parent) {
    if (n->priority >= priority) continue;
    n->priority = priority;
    RefreshLocked(n);
  }
}

}  // namespace radixlm
