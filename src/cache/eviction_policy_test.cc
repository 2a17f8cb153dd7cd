#include "cache/eviction_policy.h"

#include <gtest/gtest.h>

namespace radixlm {
namespace {

TEST(EvictionPolicyTest, ParsesAndNamesEveryPolicy) {
  for (EvictionPolicy p : {EvictionPolicy::kLru, EvictionPolicy::kLfu, EvictionPolicy::kPriority}) {
    EvictionPolicy parsed = EvictionPolicy::kLru;
    ASSERT_TRUE(ParseEvictionPolicy(EvictionPolicyName(p), &parsed).ok());
    EXPECT_EQ(parsed, p);
  }
  EvictionPolicy parsed;
  const Status s = ParseEvictionPolicy("fifo", &parsed);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("fifo"), std::string::npos);
}

}  // namespace
}  // namespace radixlm
