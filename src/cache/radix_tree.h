// RadixTree: the RadixAttention cache. Maps token sequences (per namespace)
// to the KV pages that hold them, shares common prefixes, pins what is in
// use, evicts what is not, and makes concurrent requests for the same new
// tokens compute them once.
//
// Nodes. A node holds a span of tokens at positions [start, end) of every
// sequence through it, and the pages covering those positions: page indices
// start/P .. (end-1)/P (P = page size), so a page that straddles a node
// boundary appears in both nodes (one physical page, two refs: splitting a
// node never copies KV). A child whose parent ends mid-page either shares
// the parent's last page (when it claimed the free slots, see PagePool) or
// has its own copy of it (copy-on-write done by the engine); either way the
// deeper node's page wins for that index when a path's page table is built.
// Children are keyed by (namespace, first token). The root (start = end = 0)
// is never evicted.
//
// States. A node is kReady (pages and maybe logits present), or kPending
// (created by Acquire for a caller who is computing it; no pages yet), or
// kFailed (its computation failed: it is unlinked from the tree at once and
// its waiters get the error). Matching never descends below a pending node.
//
// Locks. Lock(node) increments lock_ref on the node and every ancestor, so a
// locked node and its whole path are pinned: never evicted, never freed.
// Unlock undoes it. Only ready, unlocked leaves are evictable; the evictable
// set is maintained incrementally (ordered by the policy), and evicting a
// leaf may make its parent an evictable leaf (cascade).
//
// Logits. A ready node may keep the logits of its last position (end - 1):
// a request whose whole sequence is cached with logits computes nothing.
//
// Accounting (checked by tests at quiescent points):
//   pool.free_pages() + stats.evictable_pages + stats.pinned_pages
//     == pool.total_pages()
// where a page is evictable when every ref to it comes from unlocked tree
// nodes, and pinned otherwise (a locked node's ref, or a ref held outside
// the tree, e.g. by a computation in flight).
//
// Thread safety: all methods are thread-safe (one mutex; Wait blocks on a
// condition variable without holding it). Node pointers stay valid while
// the caller holds a lock on them.
#ifndef RADIXLM_CACHE_RADIX_TREE_H_
#define RADIXLM_CACHE_RADIX_TREE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "cache/eviction_policy.h"
#include "cache/page_pool.h"

namespace radixlm {

// Sequences in different namespaces never share nodes (model, adapter,
// tenant's cache_salt hashed into 64 bits by the caller).
using CacheNamespace = uint64_t;

using Logits = std::shared_ptr<const std::vector<float>>;

class RadixNode;  // opaque

struct RadixTreeOptions {
  EvictionPolicy policy = EvictionPolicy::kLru;
};

struct RadixTreeStats {
  size_t nodes = 0;            // excluding the root
  size_t cached_tokens = 0;    // sum of ready nodes' spans
  size_t free_pages = 0;       // pool
  size_t evictable_pages = 0;
  size_t pinned_pages = 0;
  size_t total_pages = 0;
  uint64_t lookups = 0;        // Acquire/Match calls
  uint64_t hits = 0;           // lookups that matched >= 1 token
  uint64_t tokens_looked_up = 0;
  uint64_t tokens_matched = 0;
  uint64_t evicted_nodes = 0;
  uint64_t evicted_tokens = 0;
};

struct EvictResult {
  size_t nodes = 0;
  size_t tokens = 0;
  size_t pages_freed = 0;  // pages that went back to the pool
};

class RadixTree {
 public:
  // REQUIRES: pool outlives the tree.
  RadixTree(PagePool* pool, const RadixTreeOptions& options);
  // Drops every node's page refs. REQUIRES: no locks held, nothing pending.
  ~RadixTree();
  RadixTree(const RadixTree&) = delete;
  RadixTree& operator=(const RadixTree&) = delete;

  RadixNode* root() const;
  size_t page_size() const;

  // The outcome of Acquire.
  struct Lookup {
    enum class Kind {
      kHit,      // the whole sequence is cached
      kWait,     // a pending node covers part of what is missing: Wait, retry
      kCompute,  // a new pending node [prefix_len, n) was created for the caller
    };
    Kind kind = Kind::kHit;
    // Locked; the caller must Unlock it (kCompute: after Complete or Fail).
    // kHit: the node containing position n-1 (root if n == 0).
    // kWait: the pending node. kCompute: the new pending node.
    RadixNode* node = nullptr;
    // kHit: n. kCompute: tokens already cached before the new node.
    size_t prefix_len = 0;
    // kHit: pages of positions [0, n). kCompute: of [0, prefix_len).
    std::vector<PageId> pages;
    // kHit: logits of position n-1 if stored there (node ends at n), else null.
    Logits logits;
  };

  // Matches tokens[0, n) in namespace ns and decides what the caller does.
  // Splits a node when the match ends inside it (no KV copied). Updates
  // access times and hit counts along the matched path and the lookup
  // counters.
  Lookup Acquire(CacheNamespace ns, std::span<const int32_t> tokens);

  // Pure lookup: the longest ready cached prefix of tokens, creating
  // nothing (pending nodes end the match). Returns kind kHit with node = the
  // node ending at the match (root when nothing matched), locked;
  // prefix_len = tokens matched; pages of [0, prefix_len); logits of
  // position prefix_len-1 if stored. Counts as a lookup in the stats.
  Lookup Match(CacheNamespace ns, std::span<const int32_t> tokens);

  // Finishes a kCompute node: pages holds the page ids for its page indices
  // prefix_len/P .. (n-1)/P (the tree takes its own refs; the caller keeps
  // and later drops its own). logits may be null. Wakes waiters.
  void Complete(RadixNode* pending, std::span<const PageId> pages, Logits logits);
  // Fails a kCompute node: unlinks it, waiters' Wait returns `error`. The
  // caller still Unlocks it.
  void Fail(RadixNode* pending, const Status& error);
  // Blocks until `node` is no longer pending; returns the failure status or
  // Ok. REQUIRES: the caller holds a lock on node.
  Status Wait(RadixNode* node);

  // Plain insert of a fully computed sequence: tokens[0, n) with pages for
  // positions [0, n) (ceil(n/P) ids; the tree refs those it keeps). Returns
  // the node containing position n-1, locked, and sets *already_cached to
  // the number of tokens that were in the tree before (their pages in
  // `pages` are not kept: the caller's refs free them). logits may be null
  // (else stored on the returned node if it ends at n and has none). If a
  // pending node lies on the path, waits for it to resolve, then retries.
  // REQUIRES: the caller is not the one computing such a pending node.
  RadixNode* Insert(CacheNamespace ns, std::span<const int32_t> tokens,
                    std::span<const PageId> pages, Logits logits, size_t* already_cached);

  // Stores logits of position length-1 on `node` if node ends exactly there
  // and has none (used after recomputing a cached sequence's last token).
  void SetLogits(RadixNode* node, size_t length, Logits logits);

  // Lock refs (see above). REQUIRES for Unlock: a matching Lock.
  void Lock(RadixNode* node);
  void Unlock(RadixNode* node);
  // Returns the node on `node`'s path that contains position length-1 (the
  // root for length 0), locked. REQUIRES: node locked, length <= node end.
  RadixNode* LockPrefix(RadixNode* node, size_t length);
  // Page ids of positions [0, length) along node's path.
  // REQUIRES: node locked and ready, length <= node end.
  void PagesFor(RadixNode* node, size_t length, std::vector<PageId>* out) const;
  // Position just past node's span (0 for the root).
  size_t NodeEnd(RadixNode* node) const;
  bool IsReady(RadixNode* node) const;

  // Evicts ready unlocked leaves in policy order (cascading to parents that
  // become evictable leaves) until at least `pages` pages went back to the
  // pool or nothing is evictable.
  EvictResult EvictPages(size_t pages);
  // Evicts up to `leaves` leaves in policy order (cascading counts as more
  // leaves).
  EvictResult EvictLeaves(size_t leaves);
  // Evicts everything evictable.
  EvictResult EvictAll();

  // Priority of a node's path for EvictionPolicy::kPriority (higher stays
  // longer); applies to the node and its ancestors (max).
  void SetPriority(RadixNode* node, int32_t priority);

  RadixTreeStats Stats() const;
  // Checks every structural invariant (lock refs equal the sum over locked
  // descendants, evictable set == ready unlocked leaves, page refcounts >=
  // tree refs, the accounting identity above); aborts via RLM_CHECK on a
  // violation. For tests; O(nodes + pages).
  void CheckInvariants() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace radixlm

#endif  // RADIXLM_CACHE_RADIX_TREE_H_
