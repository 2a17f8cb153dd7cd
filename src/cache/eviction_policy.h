// Eviction policies of the radix cache: which evictable leaf goes first.
#ifndef RADIXLM_CACHE_EVICTION_POLICY_H_
#define RADIXLM_CACHE_EVICTION_POLICY_H_

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace radixlm {

enum class EvictionPolicy {
  kLru,       // least recently used first (default)
  kLfu,       // fewest hits first, then least recently used
  kPriority,  // lowest priority first, then least recently used
};

// Parses "lru", "lfu", "priority".
Status ParseEvictionPolicy(std::string_view name, EvictionPolicy* out);
const char* EvictionPolicyName(EvictionPolicy p);

}  // namespace radixlm

#endif  // RADIXLM_CACHE_EVICTION_POLICY_H_
