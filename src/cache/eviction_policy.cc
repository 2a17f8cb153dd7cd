#include "cache/eviction_policy.h"

#include <string>

namespace radixlm {

Status ParseEvictionPolicy(std::string_view name, EvictionPolicy* out) {
  if (name == "lru") {
    *out = EvictionPolicy::kLru;
  } else if (name == "lfu") {
    *out = EvictionPolicy::kLfu;
  } else if (name == "priority") {
    *out = EvictionPolicy::kPriority;
  } else {
    return Status::InvalidArgument("unknown eviction policy '" + std::string(name) +
                                   "' (expected lru, lfu or priority)");
  }
  return Status::Ok();
}

const char* EvictionPolicyName(EvictionPolicy p) {
  switch (p) {
    case EvictionPolicy::kLru:
      return "lru";
    case EvictionPolicy::kLfu:
      return "lfu";
    case EvictionPolicy::kPriority:
      return "priority";
  }
  return "unknown";
}

}  // namespace radixlm
