// Logits through any chain of ForwardWithCache / SliceCache equal those of
// one fresh forward of the whole sequence; the cache computes each token
// once; failures poison nothing.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "model/test_util.h"

namespace radixlm {
namespace {

double RelDiff(const std::vector<float>& a, const std::vector<float>& ref) {
  double diff = 0, max_ref = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - ref[i]));
    max_ref = std::max(max_ref, std::abs(double(ref[i])));
  }
  return diff / max_ref;
}

struct ModelCase {
  const char* path;
  size_t page_size;
};

std::ostream& operator<<(std::ostream& os, const ModelCase& c) {
  return os << c.path << "/p" << c.page_size;
}

class EngineChainTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    EngineOptions opt;
    opt.page_size = GetParam().page_size;
    opt.threads = 2;
    opt.kv_cache_bytes = 64 << 20;
    ASSERT_TRUE(Engine::Open(RepoPath(GetParam().path), opt, &engine_).ok());
    // The reference: a separate engine, one fresh forward per sequence.
    EngineOptions ref_opt = opt;
    ASSERT_TRUE(Engine::Open(RepoPath(GetParam().path), ref_opt, &reference_).ok());
    vocab_ = engine_->vocab_size();
  }

  std::vector<float> Fresh(const std::vector<int32_t>& seq) {
    std::vector<float> logits(vocab_);
    uint64_t h;
    EXPECT_TRUE(reference_->ForwardWithCache(0, seq, logits.data(), vocab_, &h).ok());
    reference_->FreeCache(h);
    reference_->EvictPages(SIZE_MAX);  // keep the reference uncached
    return logits;
  }

  std::unique_ptr<Engine> engine_, reference_;
  size_t vocab_ = 0;
};

TEST_P(EngineChainTest, RandomChainsEqualFreshForwards) {
  std::mt19937 rng(1234);
  std::vector<float> logits(vocab_);
  // A few shared stems so chains hit, split and extend each other's nodes.
  std::vector<std::vector<int32_t>> stems;
  for (int s = 0; s < 3; ++s) {
    std::vector<int32_t> stem(5 + rng() % 30);
    for (auto& t : stem) t = rng() % vocab_;
    stems.push_back(stem);
  }
  for (int trial = 0; trial < 12; ++trial) {
    std::vector<int32_t> seq = stems[rng() % stems.size()];
    const size_t extra = 1 + rng() % 40;
    for (size_t i = 0; i < extra; ++i) seq.push_back(rng() % vocab_);
    // Run it as a random chain of forwards, with a slice and regrow.
    uint64_t h = 0;
    size_t done = 0;
    std::vector<uint64_t> held;
    while (done < seq.size()) {
      const size_t step = std::min(seq.size() - done, size_t{1} + rng() % 12);
      uint64_t next;
      ASSERT_TRUE(engine_->ForwardWithCache(h, {seq.data() + done, step}, logits.data(), vocab_,
                                            &next).ok());
      done += step;
      held.push_back(next);
      h = next;
      if (done < seq.size() && rng() % 3 == 0 && done > 1) {
        // Slice back a little and recompute from there.
        const size_t keep = done - 1 - rng() % (done - 1);
        uint64_t sliced;
        ASSERT_TRUE(engine_->SliceCache(h, keep, &sliced).ok());
        if (sliced != 0) held.push_back(sliced);
        h = sliced;
        done = keep;
      }
    }
    EXPECT_LE(RelDiff(logits, Fresh(seq)), 1e-4) << "trial " << trial;
    for (uint64_t x : held) engine_->FreeCache(x);
    engine_->CheckInvariants();
    if (trial % 4 == 3) engine_->EvictLeaves(2);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, EngineChainTest,
    ::testing::Values(ModelCase{"models/stories260K/stories260K.bin", 16},
                      ModelCase{"models/stories260K/stories260K.bin", 3},
                      ModelCase{"testdata/golden/llama2-tiny/llama2-tiny-f16.gguf", 16},
                      ModelCase{"testdata/golden/qwen2-tiny/qwen2-tiny-q8_0.gguf", 5}),
    [](const auto& info) {
      std::string n = std::string(info.param.path) + "_p" + std::to_string(info.param.page_size);
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(c); }, '_');
      return n;
    });

class EngineTest : public ::testing::Test {
 protected:
  void Open(EngineOptions opt = {}) {
    if (opt.kv_cache_bytes == 0) opt.kv_cache_bytes = 32 << 20;
    opt.threads = 2;
    ASSERT_TRUE(Engine::Open(StoriesModelPath(), opt, &engine_).ok());
  }
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, FullHitComputesNothingAndPrefixHitComputesTheRest) {
  Open();
  const std::vector<int32_t> seq = {1, 403, 407, 261, 378, 30, 356};
  std::vector<float> a(512), b(512);
  uint64_t h1, h2, h3;
  ASSERT_TRUE(engine_->ForwardWithCache(0, seq, a.data(), 512, &h1).ok());
  EXPECT_EQ(engine_->Stats().tokens_computed, 7u);
  ASSERT_TRUE(engine_->ForwardWithCache(0, seq, b.data(), 512, &h2).ok());
  EXPECT_EQ(engine_->Stats().tokens_computed, 7u);
  EXPECT_EQ(engine_->Stats().full_hits, 1u);
  EXPECT_EQ(a, b);
  const std::vector<int32_t> longer = {1, 403, 407, 261, 378, 30, 356, 285, 261};
  ASSERT_TRUE(engine_->ForwardWithCache(0, longer, b.data(), 512, &h3).ok());
  EXPECT_EQ(engine_->Stats().tokens_computed, 9u);
  // A slice's sequence is cached without its logits: only the last token is
  // recomputed.
  uint64_t s, h4;
  ASSERT_TRUE(engine_->SliceCache(h3, 4, &s).ok());
  ASSERT_TRUE(engine_->ForwardWithCache(0, {seq.data(), 4}, a.data(), 512, &h4).ok());
  EXPECT_EQ(engine_->Stats().tokens_computed, 10u);
  for (uint64_t h : {h1, h2, h3, s, h4}) engine_->FreeCache(h);
  EXPECT_EQ(engine_->Stats().live_handles, 0u);
  engine_->CheckInvariants();
}

TEST_F(EngineTest, HandleErrors) {
  Open();
  std::vector<float> logits(512);
  const std::vector<int32_t> seq = {1, 403, 407};
  uint64_t h;
  EXPECT_EQ(engine_->ForwardWithCache(77777777, seq, logits.data(), 512, &h).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(engine_->ForwardWithCache(0, {}, logits.data(), 512, &h).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(engine_->ForwardWithCache(0, seq, logits.data(), 511, &h).code(),
            Status::Code::kInvalidArgument);
  const std::vector<int32_t> bad = {1, 512};
  EXPECT_EQ(engine_->ForwardWithCache(0, bad, logits.data(), 512, &h).code(),
            Status::Code::kInvalidArgument);
  std::vector<int32_t> too_long(513, 5);
  EXPECT_EQ(engine_->ForwardWithCache(0, too_long, logits.data(), 512, &h).code(),
            Status::Code::kInvalidArgument);
  ASSERT_TRUE(engine_->ForwardWithCache(0, seq, logits.data(), 512, &h).ok());
  uint64_t s;
  EXPECT_EQ(engine_->SliceCache(h, 4, &s).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(engine_->SliceCache(77777777, 1, &s).code(), Status::Code::kNotFound);
  ASSERT_TRUE(engine_->SliceCache(h, 0, &s).ok());
  EXPECT_EQ(s, 0u);
  engine_->FreeCache(h);
  engine_->FreeCache(h);
  engine_->FreeCache(0);
  EXPECT_EQ(engine_->SliceCache(h, 1, &s).code(), Status::Code::kNotFound);
}

TEST_F(EngineTest, OutOfPagesIsResourceExhaustedAndEvictionMakesRoom) {
  EngineOptions opt;
  opt.page_size = 16;
  opt.kv_cache_bytes = 4 * 20480;  // 4 pages of stories260K KV = 64 tokens
  Open(opt);
  std::vector<float> logits(512);
  std::vector<int32_t> seq(60);
  for (size_t i = 0; i < seq.size(); ++i) seq[i] = 3 + (i * 7) % 500;
  uint64_t h;
  ASSERT_TRUE(engine_->ForwardWithCache(0, seq, logits.data(), 512, &h).ok());
  // Pinned: a second distinct sequence cannot fit.
  std::vector<int32_t> other(40, 9);
  uint64_t h2;
  EXPECT_EQ(engine_->ForwardWithCache(0, other, logits.data(), 512, &h2).code(),
            Status::Code::kResourceExhausted);
  engine_->CheckInvariants();
  // Unpinned: the engine evicts it to make room.
  engine_->FreeCache(h);
  ASSERT_TRUE(engine_->ForwardWithCache(0, other, logits.data(), 512, &h2).ok());
  EXPECT_GT(engine_->Stats().cache.evicted_tokens, 0u);
  engine_->FreeCache(h2);
  engine_->CheckInvariants();
}

TEST_F(EngineTest, FailedComputationIsNotCached) {
  EngineOptions opt;
  opt.fail_computation = 1;
  Open(opt);
  std::vector<float> logits(512);
  const std::vector<int32_t> seq = {1, 403, 407, 261};
  uint64_t h;
  EXPECT_EQ(engine_->ForwardWithCache(0, seq, logits.data(), 512, &h).code(),
            Status::Code::kInternal);
  engine_->CheckInvariants();
  EXPECT_EQ(engine_->Stats().cache.cached_tokens, 0u);
  ASSERT_TRUE(engine_->ForwardWithCache(0, seq, logits.data(), 512, &h).ok());
  EXPECT_EQ(engine_->Stats().cache.cached_tokens, 4u);
  engine_->FreeCache(h);
}

}  // namespace
}  // namespace radixlm
