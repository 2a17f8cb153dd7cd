// Internal to src/cache: the node of a RadixTree and the keys that index it.
// Nothing here is thread-safe on its own: every field is guarded by the
// owning tree's mutex.
#ifndef RADIXLM_CACHE_RADIX_NODE_H_
#define RADIXLM_CACHE_RADIX_NODE_H_

#include <compare>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "cache/page_pool.h"
#include "cache/radix_tree.h"

namespace radixlm {
namespace cache_internal {

// Children are keyed by (namespace, first token of the child's span).
struct ChildKey {
  CacheNamespace ns = 0;
  int32_t token = 0;
  bool operator==(const ChildKey&) const = default;
};

struct ChildKeyHash {
  size_t operator()(const ChildKey& k) const {
    uint64_t h = k.ns * 0x9E3779B97F4A7C15ull ^ static_cast<uint32_t>(k.token);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

// Position of an evictable leaf in eviction order (smallest goes first).
// The meaning of primary/secondary depends on the policy; id breaks ties.
struct EvictKey {
  uint64_t primary = 0;
  uint64_t secondary = 0;
  uint64_t id = 0;
  auto operator<=>(const EvictKey&) const = default;
};

enum class NodeState { kReady, kPending, kFailed };

// Page indices covered by positions [start, end): start/P .. (end-1)/P.
inline size_t PageCount(size_t start, size_t end, size_t page_size) {
  return end > start ? (end - 1) / page_size - start / page_size + 1 : 0;
}

}  // namespace cache_internal

class RadixNode {
 public:
  RadixNode() = default;
  RadixNode(const RadixNode&) = delete;
  RadixNode& operator=(const RadixNode&) = delete;

  size_t length() const { return end - start; }
  std::span<const int32_t> tokens() const { return {token_data, length()}; }
  cache_internal::ChildKey key() const { return {ns, token_data[0]}; }

  uint64_t id = 0;
  CacheNamespace ns = 0;
  // Null for the root. A failed node keeps its parent (its locks still count
  // on the path) although the parent no longer lists it.
  RadixNode* parent = nullptr;
  // Positions [start, end) of every sequence through this node.
  size_t start = 0;
  size_t end = 0;
  // The span's tokens: token_data[0, length()) inside token_buf. Both halves
  // of a split share the buffer, so splitting never copies tokens.
  std::shared_ptr<const std::vector<int32_t>> token_buf;
  const int32_t* token_data = nullptr;
  // Ready nodes: one ref'd page per index start/P .. (end-1)/P. Else empty.
  std::vector<PageId> pages;
  std::unordered_map<cache_internal::ChildKey, RadixNode*, cache_internal::ChildKeyHash>
      children;
  // Locks on this node plus lock_ref of every child (and failed child still
  // locked). self_locks: Lock() calls on this node itself.
  int64_t lock_ref = 0;
  int64_t self_locks = 0;
  uint64_t last_access = 0;  // the tree's logical clock at the last access
  uint64_t hit_count = 0;    // lookups/inserts that matched into this node
  int32_t priority = 0;
  cache_internal::NodeState state = cache_internal::NodeState::kReady;
  Status error;   // kFailed: why
  Logits logits;  // of position end - 1, may be null
  // Membership in the tree's evictable set, under the key it was filed with.
  bool in_evictable = false;
  cache_internal::EvictKey evict_key;
};

}  // namespace radixlm

#endif  // RADIXLM_CACHE_RADIX_NODE_H_
