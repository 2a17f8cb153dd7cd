#include "format/gguf_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include "base/half.h"

namespace radixlm {
namespace {

std::unique_ptr<GgufFile> ParseString(const std::string& bytes) {
  std::unique_ptr<GgufFile> g;
  Status s = GgufFile::Parse(MappedFile::FromBuffer(bytes.data(), bytes.size()), &g);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return g;
}

TEST(GgufWriterTest, RoundTripMetadata) {
  GgufWriter w;
  w.AddString("general.architecture", "llama");
  w.AddU32("llama.block_count", 7);
  w.AddI32("neg", -5);
  w.AddU64("big", uint64_t{1} << 40);
  w.AddF32("eps", 1e-5f);
  w.AddBool("flag", true);
  w.AddStringArray("toks", {"a", "", "\xe2\x96\x81hello"});
  w.AddF32Array("scores", {0.5f, -1.25f});
  w.AddI32Array("types", {1, -2, 3});
  w.AddU32("llama.block_count", 2);  // replaces, keeps position
  const std::string bytes = w.Serialize();
  EXPECT_EQ(bytes.size() % 32, 0u);
  auto g = ParseString(bytes);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->version(), 3u);
  ASSERT_EQ(g->metadata().size(), 9u);
  EXPECT_EQ(g->metadata()[1].first, "llama.block_count");

  std::string s;
  int64_t i;
  double f;
  bool b;
  std::vector<std::string> strs;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  ASSERT_TRUE(g->GetString("general.architecture", &s).ok());
  EXPECT_EQ(s, "llama");
  ASSERT_TRUE(g->GetInt("llama.block_count", &i).ok());
  EXPECT_EQ(i, 2);
  ASSERT_TRUE(g->GetInt("neg", &i).ok());
  EXPECT_EQ(i, -5);
  ASSERT_TRUE(g->GetInt("big", &i).ok());
  EXPECT_EQ(i, int64_t{1} << 40);
  ASSERT_TRUE(g->GetFloat("eps", &f).ok());
  EXPECT_EQ(static_cast<float>(f), 1e-5f);
  ASSERT_TRUE(g->GetBool("flag", &b).ok());
  EXPECT_TRUE(b);
  ASSERT_TRUE(g->GetStringArray("toks", &strs).ok());
  EXPECT_EQ(strs, (std::vector<std::string>{"a", "", "\xe2\x96\x81hello"}));
  ASSERT_TRUE(g->GetFloatArray("scores", &floats).ok());
  EXPECT_EQ(floats, (std::vector<float>{0.5f, -1.25f}));
  ASSERT_TRUE(g->GetIntArray("types", &ints).ok());
  EXPECT_EQ(ints, (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(GgufFile::ValueToString(*g->Find("toks")),
            "[string x 3: \"a\", \"\", \"\xe2\x96\x81hello\"]");
  EXPECT_EQ(GgufFile::ValueToString(*g->Find("neg")), "-5");
}

TEST(GgufWriterTest, RoundTripTensors) {
  std::vector<float> norm = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<uint16_t> half(32 * 3);
  for (size_t i = 0; i < half.size(); i++) half[i] = F32ToF16(0.25f * i);
  std::vector<uint8_t> q8(34 * 2 * 2);
  for (size_t i = 0; i < q8.size(); i++) q8[i] = static_cast<uint8_t>(i * 7);

  GgufWriter w;
  w.SetAlignment(64);
  w.AddString("general.architecture", "test");
  ASSERT_TRUE(w.AddTensor("norm", {8}, DType::kF32, norm.data(), norm.size() * 4).ok());
  ASSERT_TRUE(w.AddTensor("half", {32, 3}, DType::kF16, half.data(), half.size() * 2).ok());
  ASSERT_TRUE(w.AddTensor("q8", {64, 2}, DType::kQ8_0, q8.data(), q8.size()).ok());
  int fill_calls = 0;
  ASSERT_TRUE(w.AddTensor("filled", {5, 2, 1}, DType::kF32,
                          [&fill_calls](uint8_t* dst, size_t bytes) {
                            fill_calls++;
                            ASSERT_EQ(bytes, 40u);
                            for (int i = 0; i < 10; i++) {
                              float v = -i;
                              std::memcpy(dst + 4 * i, &v, 4);
                            }
                          })
                  .ok());
  const std::string bytes = w.Serialize();
  EXPECT_EQ(fill_calls, 1);
  auto g = ParseString(bytes);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->alignment(), 64u);
  ASSERT_EQ(g->tensors().size(), 4u);
  const GgufTensorInfo* t = g->FindTensor("norm");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(std::memcmp(t->data, norm.data(), 32), 0);
  t = g->FindTensor("half");
  EXPECT_EQ(t->dims, (std::vector<uint64_t>{32, 3}));
  EXPECT_EQ(t->type, DType::kF16);
  EXPECT_EQ(std::memcmp(t->data, half.data(), half.size() * 2), 0);
  t = g->FindTensor("q8");
  EXPECT_EQ(t->type, DType::kQ8_0);
  EXPECT_EQ(t->n_elements, 128u);
  EXPECT_EQ(std::memcmp(t->data, q8.data(), q8.size()), 0);
  t = g->FindTensor("filled");
  EXPECT_EQ(t->dims, (std::vector<uint64_t>{5, 2, 1}));
  float last;
  std::memcpy(&last, t->data + 36, 4);
  EXPECT_EQ(last, -9.0f);
  for (const auto& ti : g->tensors()) {
    EXPECT_EQ(ti.offset % 64, 0u) << ti.name;
    EXPECT_EQ((ti.data - reinterpret_cast<const uint8_t*>(bytes.data())) % 64, 0);
  }
}

TEST(GgufWriterTest, AddTensorErrors) {
  GgufWriter w;
  float x[64] = {};
  EXPECT_TRUE(w.AddTensor("a", {4}, DType::kF32, x, 16).ok());
  EXPECT_EQ(w.AddTensor("a", {4}, DType::kF32, x, 16).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(w.AddTensor("b", {4}, DType::kF32, x, 12).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(w.AddTensor("c", {16}, DType::kQ8_0, x, 17).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(w.AddTensor("d", {1, 1, 1, 1, 1}, DType::kF32, x, 4).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(w.AddTensor("e", {1}, static_cast<DType>(12), x, 4).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(w.AddTensor("", {1}, DType::kF32, x, 4).code(), Status::Code::kInvalidArgument);
}

TEST(GgufWriterTest, CopyKeysFromRealFile) {
  std::unique_ptr<GgufFile> src;
  ASSERT_TRUE(GgufFile::Open(std::string(RADIXLM_SOURCE_DIR) +
                                 "/testdata/golden/llama2-tiny/llama2-tiny-q8_0.gguf",
                             &src)
                  .ok());
  GgufWriter w;
  for (const auto& [key, value] : src->metadata()) ASSERT_TRUE(w.CopyKeyFrom(*src, key).ok());
  EXPECT_EQ(w.CopyKeyFrom(*src, "no.such.key").code(), Status::Code::kNotFound);
  for (const auto& t : src->tensors()) {
    ASSERT_TRUE(w.AddTensor(t.name, t.dims, t.type, t.data, t.n_bytes).ok());
  }
  const std::string path = ::testing::TempDir() + "/copy_" + std::to_string(getpid()) + ".gguf";
  ASSERT_TRUE(w.WriteFile(path).ok());
  std::unique_ptr<GgufFile> g;
  Status s = GgufFile::Open(path, &g);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(g->metadata().size(), src->metadata().size());
  for (size_t i = 0; i < g->metadata().size(); i++) {
    EXPECT_EQ(g->metadata()[i].first, src->metadata()[i].first);
    EXPECT_EQ(GgufFile::ValueToString(g->metadata()[i].second),
              GgufFile::ValueToString(src->metadata()[i].second));
  }
  std::vector<std::string> a, b;
  ASSERT_TRUE(g->GetStringArray("tokenizer.ggml.tokens", &a).ok());
  ASSERT_TRUE(src->GetStringArray("tokenizer.ggml.tokens", &b).ok());
  EXPECT_EQ(a, b);
  std::vector<float> fa, fb;
  ASSERT_TRUE(g->GetFloatArray("tokenizer.ggml.scores", &fa).ok());
  ASSERT_TRUE(src->GetFloatArray("tokenizer.ggml.scores", &fb).ok());
  EXPECT_EQ(fa, fb);
  ASSERT_EQ(g->tensors().size(), src->tensors().size());
  for (const auto& t : src->tensors()) {
    const GgufTensorInfo* u = g->FindTensor(t.name);
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->dims, t.dims);
    EXPECT_EQ(u->type, t.type);
    ASSERT_EQ(u->n_bytes, t.n_bytes);
    EXPECT_EQ(std::memcmp(u->data, t.data, t.n_bytes), 0) << t.name;
  }
  std::remove(path.c_str());
}

TEST(GgufWriterTest, WriteFileToBadPath) {
  GgufWriter w;
  Status s = w.WriteFile("/nonexistent-dir/x.gguf");
  EXPECT_EQ(s.code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace radixlm
