// AttendTile against its scalar reference on every compiled Highway target
// the CPU supports.
#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "kernels/test_util.h"

namespace radixlm {
namespace {

class AttentionTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(AttentionTest);

// n queries with causal lengths spread over [1, max_ctx]; keys/values as
// separate allocations (as pages are) per position.
void CheckTile(size_t n, size_t max_ctx, size_t head_dim, uint32_t seed) {
  SCOPED_TRACE(testing::Message() << "n=" << n << " max_ctx=" << max_ctx
                                  << " head_dim=" << head_dim);
  const std::vector<float> q = test::RandomFloats(n * head_dim, seed);
  std::vector<std::vector<float>> k(max_ctx), v(max_ctx);
  std::vector<const float*> kp(max_ctx), vp(max_ctx);
  for (size_t t = 0; t < max_ctx; ++t) {
    k[t] = test::RandomFloats(head_dim, seed * 31 + t);
    v[t] = test::RandomFloats(head_dim, seed * 37 + t + 1000);
    // Large logits test the max subtraction.
    for (float& x : k[t]) x *= 4.0f;
    kp[t] = k[t].data();
    vp[t] = v[t].data();
  }
  std::vector<float> out(n * head_dim, -9.0f), ref(n * head_dim, -9.0f);
  std::vector<AttentionQuery> qs(n), rs(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t n_ctx = i + 1 == n ? max_ctx : 1 + (i * 7919 + seed) % max_ctx;
    qs[i] = AttentionQuery{q.data() + i * head_dim, out.data() + i * head_dim, n_ctx};
    rs[i] = AttentionQuery{q.data() + i * head_dim, ref.data() + i * head_dim, n_ctx};
  }
  std::vector<float> scratch(AttentionScratchFloats(max_ctx, head_dim));
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  AttendTile(qs.data(), n, kp.data(), vp.data(), head_dim, scale, scratch.data());
  scalar::AttendTile(rs.data(), n, kp.data(), vp.data(), head_dim, scale);
  for (size_t i = 0; i < n * head_dim; ++i) {
    ASSERT_NEAR(out[i], ref[i], 2e-5 + 2e-5 * std::fabs(ref[i])) << "i=" << i;
  }
}

TEST_P(AttentionTest, MatchesScalar) {
  const size_t width = AttentionTileWidth();
  ASSERT_GE(width, 1u);
  for (size_t head_dim : {64, 20, 128}) {
    for (size_t n : {size_t{1}, size_t{3}, width / 2 + 1, width}) {
      for (size_t max_ctx : {1, 2, 5, 70}) CheckTile(std::min(n, width), max_ctx, head_dim, 5);
    }
  }
}

// A single position: the output is that position's value exactly-ish.
TEST_P(AttentionTest, OnePositionCopiesValue) {
  const std::vector<float> q(64, 0.5f), k(64, 1.0f), v = test::RandomFloats(64, 3);
  const float* kp = k.data();
  const float* vp = v.data();
  std::vector<float> out(64);
  AttentionQuery query{q.data(), out.data(), 1};
  std::vector<float> scratch(AttentionScratchFloats(1, 64));
  AttendTile(&query, 1, &kp, &vp, 64, 0.125f, scratch.data());
  for (size_t i = 0; i < 64; ++i) EXPECT_NEAR(out[i], v[i], 1e-6f);
}

}  // namespace
}  // namespace radixlm
