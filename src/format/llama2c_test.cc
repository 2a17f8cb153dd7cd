#include "format/llama2c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

namespace radixlm {
namespace {

const std::string kStories = std::string(RADIXLM_SOURCE_DIR) + "/models/stories260K/stories260K.bin";

Status ParseBytes(const std::vector<uint8_t>& bytes, Llama2cCheckpoint* ckpt) {
  return ParseLlama2cCheckpoint(MappedFile::FromBuffer(bytes.data(), bytes.size()), ckpt);
}

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::string s;
  EXPECT_TRUE(ReadFileToString(path, &s).ok());
  return std::vector<uint8_t>(s.begin(), s.end());
}

// A synthetic checkpoint whose floats are their own index.
std::vector<uint8_t> Synthetic(int32_t dim, int32_t hidden, int32_t layers, int32_t heads,
                               int32_t kv_heads, int32_t vocab, int32_t seq) {
  const int64_t hd = dim / heads, v = vocab < 0 ? -vocab : vocab;
  const int64_t floats = v * dim + layers * dim + layers * dim * dim + 2 * layers * dim * kv_heads * hd +
                         layers * dim * dim + layers * dim + 3 * layers * dim * hidden + dim +
                         seq * hd + (vocab < 0 ? v * dim : 0);
  std::vector<uint8_t> out(28 + 4 * floats);
  const int32_t h[7] = {dim, hidden, layers, heads, kv_heads, vocab, seq};
  std::memcpy(out.data(), h, 28);
  for (int64_t i = 0; i < floats; i++) {
    float f = static_cast<float>(i);
    std::memcpy(out.data() + 28 + 4 * i, &f, 4);
  }
  return out;
}

TEST(Llama2cTest, Stories260K) {
  Llama2cCheckpoint ckpt;
  Status s = LoadLlama2cCheckpoint(kStories, &ckpt);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const Llama2cConfig& c = ckpt.config;
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.seq_len, 512);
  EXPECT_TRUE(c.shared_classifier);
  EXPECT_EQ(ckpt.wcls, ckpt.token_embedding);
  const uint8_t* base = ckpt.file->data();
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(ckpt.token_embedding), base + 28);
  EXPECT_EQ(ckpt.rms_att, ckpt.token_embedding + 512 * 64);
  EXPECT_EQ(ckpt.wq, ckpt.rms_att + 5 * 64);
  EXPECT_EQ(ckpt.wk, ckpt.wq + 5 * 64 * 64);
  EXPECT_EQ(ckpt.wv, ckpt.wk + 5 * 64 * 32);
  EXPECT_EQ(ckpt.wo, ckpt.wv + 5 * 64 * 32);
  EXPECT_EQ(ckpt.rms_ffn, ckpt.wo + 5 * 64 * 64);
  EXPECT_EQ(ckpt.w1, ckpt.rms_ffn + 5 * 64);
  EXPECT_EQ(ckpt.w2, ckpt.w1 + 5 * 172 * 64);
  EXPECT_EQ(ckpt.w3, ckpt.w2 + 5 * 172 * 64);
  EXPECT_EQ(ckpt.rms_final, ckpt.w3 + 5 * 172 * 64);
  // rms_final, then 2 * seq_len * head_dim / 2 freq_cis floats end the file.
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(ckpt.rms_final + 64 + 512 * 8),
            base + ckpt.file->size());
  // RMSNorm weights of a trained model sit around 1, not 0.
  float mean = 0;
  for (int i = 0; i < 64; i++) mean += ckpt.rms_final[i] / 64;
  EXPECT_GT(mean, 0.1f);
}

TEST(Llama2cTest, UnsharedClassifier) {
  auto bytes = Synthetic(8, 16, 2, 2, 1, -10, 4);
  Llama2cCheckpoint ckpt;
  Status s = ParseBytes(bytes, &ckpt);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ckpt.config.vocab_size, 10);
  EXPECT_FALSE(ckpt.config.shared_classifier);
  EXPECT_NE(ckpt.wcls, ckpt.token_embedding);
  // wcls is the last vocab*dim floats; freq_cis (4*4/2*2 floats) precedes it.
  const float* end = reinterpret_cast<const float*>(bytes.data() + bytes.size());
  EXPECT_EQ(ckpt.wcls, end - 80);
  EXPECT_EQ(ckpt.rms_final + 8 + 16, ckpt.wcls);
  EXPECT_EQ(ckpt.wk[0], static_cast<float>(80 + 16 + 128));
}

TEST(Llama2cTest, Truncations) {
  const auto full = ReadAll(kStories);
  ASSERT_EQ(full.size(), 1056540u);
  std::mt19937 rng(7);
  std::vector<size_t> sizes = {0, 1, 27, 28, 29, 32, 4096, full.size() - 4, full.size() - 1};
  for (int i = 0; i < 50; i++) sizes.push_back(rng() % full.size());
  for (size_t n : sizes) {
    std::vector<uint8_t> part(full.begin(), full.begin() + n);
    Llama2cCheckpoint ckpt;
    Status s = ParseBytes(part, &ckpt);
    EXPECT_FALSE(s.ok()) << n;
  }
  std::vector<uint8_t> longer = full;
  longer.resize(full.size() + 4);
  Llama2cCheckpoint ckpt;
  Status s = ParseBytes(longer, &ckpt);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("file size 1056544 bytes, expected 1056540"), std::string::npos)
      << s.ToString();
}

TEST(Llama2cTest, BadHeaders) {
  auto expect_error = [](std::vector<int32_t> h, const char* fragment) {
    std::vector<uint8_t> bytes(28 + 4096);
    std::memcpy(bytes.data(), h.data(), 28);
    Llama2cCheckpoint ckpt;
    Status s = ParseBytes(bytes, &ckpt);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find(fragment), std::string::npos) << s.ToString();
  };
  expect_error({0, 172, 5, 8, 4, 512, 512}, "dim = 0");
  expect_error({64, -1, 5, 8, 4, 512, 512}, "hidden_dim = -1");
  expect_error({64, 172, 5, 8, 4, 0, 512}, "vocab_size");
  expect_error({64, 172, 5, 8, 4, INT32_MIN, 512}, "vocab_size");
  expect_error({64, 172, 5, 8, 4, 512, 0}, "seq_len");
  expect_error({1 << 30, 172, 5, 8, 4, 512, 512}, "outside [1, 65536]");
  expect_error({64, 172, 5, 7, 7, 512, 512}, "not a multiple of n_heads 7");
  expect_error({64, 172, 5, 8, 3, 512, 512}, "n_heads 8 is not a multiple of n_kv_heads 3");
  expect_error({64, 172, 5, 64, 64, 512, 512}, "head_dim 1 is odd");
  expect_error({64, 172, 5, 8, 4, 512, 512}, "expected 1056540");
}

TEST(Llama2cTest, HeaderBitFlips) {
  auto bytes = ReadAll(kStories);
  std::mt19937 rng(99);
  for (int iter = 0; iter < 5000; iter++) {
    const size_t pos = rng() % 28;
    const uint8_t old = bytes[pos];
    bytes[pos] = static_cast<uint8_t>(rng());
    Llama2cCheckpoint ckpt;
    Status s = ParseBytes(bytes, &ckpt);
    if (s.ok()) {
      EXPECT_EQ(ckpt.config.dim % ckpt.config.n_heads, 0);
    }
    bytes[pos] = old;
  }
}

TEST(Llama2cTest, MissingFile) {
  Llama2cCheckpoint ckpt;
  EXPECT_EQ(LoadLlama2cCheckpoint("/nonexistent.bin", &ckpt).code(), Status::Code::kIOError);
}

TEST(Llama2cTest, SeedCorpusParses) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(RADIXLM_SOURCE_DIR) +
                                                           "/fuzz/corpus/llama2c")) {
    Llama2cCheckpoint ckpt;
    Status s = LoadLlama2cCheckpoint(e.path().string(), &ckpt);
    EXPECT_TRUE(s.ok()) << s.ToString();
    n++;
  }
  EXPECT_GE(n, 2);
}

}  // namespace
}  // namespace radixlm
