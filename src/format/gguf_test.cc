#include "format/gguf.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace radixlm {
namespace {

std::string TestData(const char* rel) { return std::string(RADIXLM_SOURCE_DIR) + "/" + rel; }

void PrintMetadata(const GgufFile& g) {
  std::printf("%s: GGUF v%u, alignment %llu, %zu keys, %zu tensors\n", g.path().c_str(),
              g.version(), static_cast<unsigned long long>(g.alignment()), g.metadata().size(),
              g.tensors().size());
  for (const auto& [key, value] : g.metadata()) {
    std::string s = GgufFile::ValueToString(value);
    if (s.size() > 120) s = s.substr(0, 120) + "...";
    std::printf("  %s = %s\n", key.c_str(), s.c_str());
  }
  for (size_t i = 0; i < g.tensors().size() && i < 6; i++) {
    const GgufTensorInfo& t = g.tensors()[i];
    std::printf("  tensor %s %s dims[0]=%llu n=%llu bytes=%llu off=%llu\n", t.name.c_str(),
                DTypeName(t.type), static_cast<unsigned long long>(t.dims[0]),
                static_cast<unsigned long long>(t.n_elements),
                static_cast<unsigned long long>(t.n_bytes),
                static_cast<unsigned long long>(t.offset));
  }
}

TEST(GgufTest, Llama2TinyF16) {
  std::unique_ptr<GgufFile> g;
  Status s = GgufFile::Open(TestData("testdata/golden/llama2-tiny/llama2-tiny-f16.gguf"), &g);
  ASSERT_TRUE(s.ok()) << s.ToString();
  PrintMetadata(*g);
  EXPECT_EQ(g->version(), 3u);
  EXPECT_EQ(g->alignment(), 32u);
  EXPECT_EQ(g->metadata().size(), 29u);
  EXPECT_EQ(g->tensors().size(), 29u);

  std::string arch;
  ASSERT_TRUE(g->GetString("general.architecture", &arch).ok());
  EXPECT_EQ(arch, "llama");
  int64_t v;
  ASSERT_TRUE(g->GetInt("llama.block_count", &v).ok());
  EXPECT_EQ(v, 3);
  ASSERT_TRUE(g->GetInt("llama.embedding_length", &v).ok());
  EXPECT_EQ(v, 64);
  ASSERT_TRUE(g->GetInt("llama.attention.head_count_kv", &v).ok());
  EXPECT_EQ(v, 2);
  double eps, theta;
  ASSERT_TRUE(g->GetFloat("llama.attention.layer_norm_rms_epsilon", &eps).ok());
  EXPECT_FLOAT_EQ(static_cast<float>(eps), 1e-5f);
  ASSERT_TRUE(g->GetFloat("llama.rope.freq_base", &theta).ok());
  EXPECT_EQ(theta, 10000.0);
  // Integers convert to double too.
  ASSERT_TRUE(g->GetFloat("llama.block_count", &theta).ok());
  EXPECT_EQ(theta, 3.0);
  bool add_bos = false;
  ASSERT_TRUE(g->GetBool("tokenizer.ggml.add_bos_token", &add_bos).ok());
  EXPECT_TRUE(add_bos);

  std::vector<std::string> tokens;
  ASSERT_TRUE(g->GetStringArray("tokenizer.ggml.tokens", &tokens).ok());
  ASSERT_EQ(tokens.size(), 32000u);
  EXPECT_EQ(tokens[0], "<unk>");
  EXPECT_EQ(tokens[1], "<s>");
  EXPECT_EQ(tokens[2], "</s>");
  std::vector<float> scores;
  ASSERT_TRUE(g->GetFloatArray("tokenizer.ggml.scores", &scores).ok());
  EXPECT_EQ(scores.size(), 32000u);
  EXPECT_EQ(scores[0], -1000.0f);
  std::vector<int64_t> types;
  ASSERT_TRUE(g->GetIntArray("tokenizer.ggml.token_type", &types).ok());
  EXPECT_EQ(types.size(), 32000u);
  EXPECT_EQ(types[0], 3);

  const GgufTensorInfo* emb = g->FindTensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, DType::kF16);
  EXPECT_EQ(emb->dims, (std::vector<uint64_t>{64, 32000}));
  EXPECT_EQ(emb->n_elements, 64u * 32000);
  EXPECT_EQ(emb->n_bytes, 64u * 32000 * 2);
  EXPECT_EQ(g->FindTensor("blk.0.attn_norm.weight")->type, DType::kF32);
  EXPECT_EQ(g->FindTensor("nope"), nullptr);
  for (const auto& t : g->tensors()) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 32, 0u) << t.name;
  }
}

TEST(GgufTest, TypedGetterErrors) {
  std::unique_ptr<GgufFile> g;
  ASSERT_TRUE(GgufFile::Open(TestData("testdata/golden/llama2-tiny/llama2-tiny-q8_0.gguf"), &g).ok());
  std::string s;
  int64_t i;
  bool b;
  std::vector<std::string> strs;
  std::vector<float> floats;
  EXPECT_EQ(g->GetString("missing.key", &s).code(), Status::Code::kNotFound);
  EXPECT_EQ(g->GetInt("general.architecture", &i).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(g->GetBool("llama.block_count", &b).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(g->GetStringArray("tokenizer.ggml.scores", &strs).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(g->GetFloatArray("tokenizer.ggml.tokens", &floats).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(g->FindTensor("token_embd.weight")->type, DType::kQ8_0);
  EXPECT_EQ(g->FindTensor("token_embd.weight")->n_bytes, 32000u * 2 * 34);
}

TEST(GgufTest, Qwen2TinyQ8) {
  std::unique_ptr<GgufFile> g;
  Status s = GgufFile::Open(TestData("testdata/golden/qwen2-tiny/qwen2-tiny-q8_0.gguf"), &g);
  ASSERT_TRUE(s.ok()) << s.ToString();
  PrintMetadata(*g);
  std::string arch, tmpl;
  ASSERT_TRUE(g->GetString("general.architecture", &arch).ok());
  EXPECT_EQ(arch, "qwen2");
  ASSERT_TRUE(g->GetString("tokenizer.chat_template", &tmpl).ok());
  EXPECT_NE(tmpl.find("<|im_start|>"), std::string::npos);
  std::vector<std::string> merges;
  ASSERT_TRUE(g->GetStringArray("tokenizer.ggml.merges", &merges).ok());
  EXPECT_EQ(merges.size(), 151387u);
  EXPECT_EQ(g->tensors().size(), 38u);
  EXPECT_NE(g->FindTensor("blk.0.attn_q.bias"), nullptr);
}

TEST(GgufTest, VocabOnlyFile) {
  // No tensors, and the file ends right after the metadata (before the
  // aligned start of the data section).
  std::unique_ptr<GgufFile> g;
  Status s = GgufFile::Open(TestData("testdata/vocab/ggml-vocab-llama-spm.gguf"), &g);
  ASSERT_TRUE(s.ok()) << s.ToString();
  PrintMetadata(*g);
  EXPECT_TRUE(g->tensors().empty());
  std::vector<std::string> tokens;
  ASSERT_TRUE(g->GetStringArray("tokenizer.ggml.tokens", &tokens).ok());
  EXPECT_EQ(tokens.size(), 32000u);
}

TEST(GgufTest, OpenMissingFile) {
  std::unique_ptr<GgufFile> g;
  Status s = GgufFile::Open("/nonexistent/x.gguf", &g);
  EXPECT_EQ(s.code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace radixlm
