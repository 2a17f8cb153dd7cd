// The forward pass is the same function however it is batched or paged.
#include "model/transformer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model/test_util.h"

namespace radixlm {
namespace {

class TransformerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Model::Load(StoriesModelPath(), {}, &model_).ok());
    vocab_ = model_->config().vocab_size;
    for (int i = 0; i < 40; ++i) tokens_.push_back((i * 37 + 11) % vocab_);
  }

  // Logits of every position, computed in one prefill.
  std::vector<float> Prefill(Transformer* tf, size_t page_size) {
    SequenceKv kv(tf->kv_layout(page_size));
    kv.Reserve(tokens_.size());
    std::vector<float> logits(tokens_.size() * vocab_);
    SeqChunk c{tokens_.data(), tokens_.size(), 0, kv.table(), logits.data(), tokens_.size()};
    EXPECT_TRUE(tf->Forward({&c, 1}, page_size).ok());
    return logits;
  }

  static double MaxDiff(const float* a, const float* b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
    return m;
  }

  std::unique_ptr<Model> model_;
  size_t vocab_ = 0;
  std::vector<int32_t> tokens_;
};

TEST_F(TransformerTest, PrefillEqualsTokenByToken) {
  ThreadPool pool(2);
  Transformer tf(*model_, &pool);
  const std::vector<float> batched = Prefill(&tf, 16);
  SequenceKv kv(tf.kv_layout(16));
  kv.Reserve(tokens_.size());
  std::vector<float> step(vocab_);
  for (size_t i = 0; i < tokens_.size(); ++i) {
    SeqChunk c{&tokens_[i], 1, i, kv.table(), step.data(), 1};
    ASSERT_TRUE(tf.Forward({&c, 1}, 16).ok());
    EXPECT_LT(MaxDiff(step.data(), &batched[i * vocab_], vocab_), 1e-4) << "position " << i;
  }
}

TEST_F(TransformerTest, PageSizeAndThreadsDoNotChangeResults) {
  Transformer single(*model_, nullptr);
  const std::vector<float> ref = Prefill(&single, 16);
  ThreadPool pool(3);
  Transformer tf(*model_, &pool);
  for (size_t page : {1, 5, 16, 64}) {
    const std::vector<float> got = Prefill(&tf, page);
    EXPECT_LT(MaxDiff(got.data(), ref.data(), ref.size()), 1e-4) << "page size " << page;
  }
}

TEST_F(TransformerTest, ChunksInOneBatchEqualSeparateRuns) {
  Transformer tf(*model_, nullptr);
  const std::vector<float> ref = Prefill(&tf, 16);
  // Sequence A: the first 25 tokens, then the rest; sequence B: all at once.
  SequenceKv kv_a(tf.kv_layout(16)), kv_b(tf.kv_layout(16));
  kv_a.Reserve(tokens_.size());
  kv_b.Reserve(tokens_.size());
  std::vector<float> la(vocab_), lb(3 * vocab_);
  SeqChunk first{tokens_.data(), 25, 0, kv_a.table(), la.data(), 1};
  ASSERT_TRUE(tf.Forward({&first, 1}, 16).ok());
  SeqChunk batch[2] = {
      {tokens_.data() + 25, tokens_.size() - 25, 25, kv_a.table(), la.data(), 1},
      {tokens_.data(), tokens_.size(), 0, kv_b.table(), lb.data(), 3}};
  ASSERT_TRUE(tf.Forward(batch, 16).ok());
  const size_t last = tokens_.size() - 1;
  EXPECT_LT(MaxDiff(la.data(), &ref[last * vocab_], vocab_), 1e-4);
  EXPECT_LT(MaxDiff(lb.data(), &ref[(last - 2) * vocab_], 3 * vocab_), 1e-4);
}

TEST_F(TransformerTest, RejectsBadInput) {
  Transformer tf(*model_, nullptr);
  SequenceKv kv(tf.kv_layout(16));
  kv.Reserve(16);
  std::vector<float> logits(vocab_);
  int32_t bad[2] = {5, static_cast<int32_t>(vocab_)};
  SeqChunk c{bad, 2, 0, kv.table(), logits.data(), 1};
  EXPECT_EQ(tf.Forward({&c, 1}, 16).code(), Status::Code::kInvalidArgument);
  int32_t neg = -1;
  c = SeqChunk{&neg, 1, 0, kv.table(), logits.data(), 1};
  EXPECT_EQ(tf.Forward({&c, 1}, 16).code(), Status::Code::kInvalidArgument);
  int32_t ok = 5;
  c = SeqChunk{&ok, 1, 16, kv.table(), logits.data(), 1};  // page table too short
  EXPECT_EQ(tf.Forward({&c, 1}, 16).code(), Status::Code::kInvalidArgument);
}

TEST(ModelLoadTest, ErrorsAreClear) {
  std::unique_ptr<Model> model;
  Status s = Model::Load("/nonexistent/model.gguf", {}, &model);
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("/nonexistent/model.gguf"), std::string::npos);
  // A checkpoint whose tokenizer is missing.
  ModelLoadOptions opt;
  opt.tokenizer_path = "/nonexistent/tok.bin";
  s = Model::Load(StoriesModelPath(), opt, &model);
  EXPECT_FALSE(s.ok());
}

TEST(ModelLoadTest, DescribesStories) {
  std::unique_ptr<Model> model;
  ASSERT_TRUE(Model::Load(StoriesModelPath(), {}, &model).ok());
  const ModelConfig& c = model->config();
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_NE(model->Describe().find("llama2c"), std::string::npos);
}

}  // namespace
}  // namespace radixlm
