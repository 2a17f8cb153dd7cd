// Internal to src/cache: RadixTree's implementation class, shared by
// radix_tree.cc (matching, insert, pending protocol, locks),
// radix_tree_evict.cc (evictable set, eviction, priority) and
// radix_tree_check.cc (Stats, CheckInvariants).
//
// Thread safety: the public methods take mu_; the *Locked helpers REQUIRE it
// held. Every node field is guarded by mu_. Wait and Insert block on cv_
// (which releases mu_) until a pending node is completed or failed.
#ifndef RADIXLM_CACHE_RADIX_TREE_IMPL_H_
#define RADIXLM_CACHE_RADIX_TREE_IMPL_H_

#include <condition_variable>
#include <map>
#include <mutex>
#include <span>
#include <unordered_set>
#include <vector>

#include "cache/radix_node.h"
#include "cache/radix_tree.h"

namespace radixlm {

class RadixTree::Impl {
 public:
  Impl(PagePool* pool, const RadixTreeOptions& options);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  RadixNode* root() const { return root_; }
  size_t page_size() const { return page_size_; }

  Lookup Match(CacheNamespace ns, std::span<const int32_t> tokens);
  Lookup Acquire(CacheNamespace ns, std::span<const int32_t> tokens);
  void Complete(RadixNode* pending, std::span<const PageId> pages, Logits logits);
  void Fail(RadixNode* pending, const Status& error);
  Status Wait(RadixNode* node);
  RadixNode* Insert(CacheNamespace ns, std::span<const int32_t> tokens,
                    std::span<const PageId> pages, Logits logits, size_t* already_cached);
  void SetLogits(RadixNode* node, size_t length, Logits logits);
  void Lock(RadixNode* node);
  void Unlock(RadixNode* node);
  RadixNode* LockPrefix(RadixNode* node, size_t length);
  void PagesFor(RadixNode* node, size_t length, std::vector<PageId>* out) const;
  size_t NodeEnd(RadixNode* node) const;
  bool IsReady(RadixNode* node) const;

  EvictResult EvictPages(size_t pages);
  EvictResult EvictLeaves(size_t leaves);
  EvictResult EvictAll();
  void SetPriority(RadixNode* node, int32_t priority);

  RadixTreeStats Stats() const;
  void CheckInvariants() const;

 private:
  // Where a match of a token sequence stopped.
  struct Walk {
    RadixNode* node = nullptr;     // deepest ready node, ends at `matched`
    size_t matched = 0;            // tokens matched
    RadixNode* pending = nullptr;  // pending child that blocked the walk
  };

  // --- radix_tree.cc ---
  // Matches tokens from the root, splitting the last node when the match
  // ends inside it, touching every node matched into. Stops at the end of
  // the tokens, at a divergence, or in front of a pending node.
  Walk MatchLocked(CacheNamespace ns, std::span<const int32_t> tokens);
  // Splits ready `node` after its first m tokens (0 < m < length): a new
  // node takes [start, start+m) and becomes node's parent; `node` keeps
  // [start+m, end), its locks, children and logits. Returns the new node.
  RadixNode* SplitLocked(RadixNode* node, size_t m);
  // A new child of `parent` holding tokens[from, n) at positions [from, n).
  RadixNode* NewChildLocked(RadixNode* parent, CacheNamespace ns,
                            std::span<const int32_t> tokens, size_t from,
                            cache_internal::NodeState state);
  void LockLocked(RadixNode* node);
  void UnlockLocked(RadixNode* node);
  void PagesForLocked(const RadixNode* node, size_t length, std::vector<PageId>* out) const;
  // Blocks until node is not pending; releases mu_ while waiting.
  void WaitLocked(std::unique_lock<std::mutex>& lock, RadixNode* node);

  // --- radix_tree_evict.cc ---
  bool EvictableLocked(const RadixNode* node) const;
  cache_internal::EvictKey KeyLocked(const RadixNode* node) const;
  // Re-files node in the evictable set after any change to its state, lock
  // count, children or policy fields.
  void RefreshLocked(RadixNode* node);
  void TouchLocked(RadixNode* node, uint64_t tick);
  // Evicts evictable leaves in policy order while keep_going(result).
  template <typename Pred>
  EvictResult EvictWhileLocked(Pred keep_going);
  void EvictNodeLocked(RadixNode* node, EvictResult* result);

  // --- radix_tree_check.cc ---
  // Every node (root first, then linked nodes, then failed ones still locked).
  std::vector<const RadixNode*> AllNodesLocked() const;

  PagePool* const pool_;
  const EvictionPolicy policy_;
  const size_t page_size_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // signalled when a pending node resolves
  RadixNode* const root_;       // owned, like every node reachable from it
  // Ready unlocked leaves, in eviction order.
  std::map<cache_internal::EvictKey, RadixNode*> evictable_;  // GUARDED_BY(mu_)
  // Failed nodes, unlinked but still locked; owned, freed on last Unlock.
  std::unordered_set<RadixNode*> failed_;  // GUARDED_BY(mu_)
  uint64_t clock_ = 0;                     // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;                   // GUARDED_BY(mu_)
  size_t n_nodes_ = 0;                     // GUARDED_BY(mu_), linked, root excluded
  uint64_t lookups_ = 0;                   // GUARDED_BY(mu_)
  uint64_t hits_ = 0;                      // GUARDED_BY(mu_)
  uint64_t tokens_looked_up_ = 0;          // GUARDED_BY(mu_)
  uint64_t tokens_matched_ = 0;            // GUARDED_BY(mu_)
  uint64_t evicted_nodes_ = 0;             // GUARDED_BY(mu_)
  uint64_t evicted_tokens_ = 0;            // GUARDED_BY(mu_)
};

}  // namespace radixlm

#endif  // RADIXLM_CACHE_RADIX_TREE_IMPL_H_
