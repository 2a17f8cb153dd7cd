// Writes a small seed corpus for the format fuzzers:
//   make_seed_corpus <dir>   (creates <dir>/{gguf,safetensors,llama2c}/)
// Every seed is a valid file of a few KB at most, so the fuzzers start from
// inputs that reach deep into each parser.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/half.h"
#include "format/gguf_writer.h"

namespace radixlm {
namespace {

bool WriteBytes(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

template <typename T>
void Put(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}

std::vector<std::pair<std::string, std::string>> GgufSeeds() {
  std::vector<std::pair<std::string, std::string>> seeds;
  {
    GgufWriter w;
    seeds.emplace_back("empty.gguf", w.Serialize());
  }
  {
    GgufWriter w;
    w.AddString("general.architecture", "llama");
    w.AddU32("llama.block_count", 2);
    w.AddF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    w.AddBool("tokenizer.ggml.add_bos_token", true);
    seeds.emplace_back("metadata_only.gguf", w.Serialize());
  }
  static std::vector<float> f32(64);
  static std::vector<uint16_t> f16(64), bf16(32);
  static std::vector<uint8_t> q8(2 * 34), q4(2 * 18);
  for (size_t i = 0; i < f32.size(); i++) f32[i] = 0.01f * i;
  for (size_t i = 0; i < f16.size(); i++) f16[i] = F32ToF16(0.5f - 0.01f * i);
  for (size_t i = 0; i < bf16.size(); i++) bf16[i] = F32ToBF16(0.25f * i);
  for (size_t i = 0; i < q8.size(); i++) q8[i] = static_cast<uint8_t>(i * 37);
  for (size_t i = 0; i < q4.size(); i++) q4[i] = static_cast<uint8_t>(i * 11);
  auto model = [&](uint32_t alignment) {
    GgufWriter w;
    if (alignment != 32) w.SetAlignment(alignment);
    w.AddString("general.architecture", "llama");
    w.AddU32("llama.block_count", 1);
    w.AddU32("llama.embedding_length", 16);
    w.AddI32("i32", -7);
    w.AddU64("u64", uint64_t{1} << 40);
    w.AddStringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "\xe2\x96\x81the", "a"});
    w.AddF32Array("tokenizer.ggml.scores", {0, 0, 0, -1.5f, -2});
    w.AddI32Array("tokenizer.ggml.token_type", {2, 3, 3, 1, 1});
    (void)w.AddTensor("token_embd.weight", {16, 4}, DType::kF32, f32.data(), 256);
    (void)w.AddTensor("blk.0.attn_q.weight", {16, 4}, DType::kF16, f16.data(), 128);
    (void)w.AddTensor("blk.0.attn_norm.weight", {32}, DType::kBF16, bf16.data(), 64);
    (void)w.AddTensor("blk.0.ffn_up.weight", {32, 2}, DType::kQ8_0, q8.data(), q8.size());
    (void)w.AddTensor("blk.0.ffn_down.weight", {64, 1, 1, 1}, DType::kQ4_0, q4.data(), q4.size());
    (void)w.AddTensor("empty", {0}, DType::kF32, nullptr, 0);
    return w.Serialize();
  };
  seeds.emplace_back("model_align32.gguf", model(32));
  seeds.emplace_back("model_align8.gguf", model(8));
  std::string v2 = model(32);
  v2[4] = 2;  // v2 has the same layout as v3
  seeds.emplace_back("model_v2.gguf", v2);
  return seeds;
}

std::string Safetensors(const std::string& json, const std::string& data) {
  std::string out;
  Put<uint64_t>(&out, json.size());
  return out + json + data;
}

std::vector<std::pair<std::string, std::string>> SafetensorsSeeds() {
  std::string data;
  for (int i = 0; i < 6; i++) Put<float>(&data, 0.5f * i);     // [0, 24)
  for (int i = 0; i < 4; i++) Put<uint16_t>(&data, F32ToF16(i));  // [24, 32)
  for (int i = 0; i < 3; i++) Put<int32_t>(&data, i - 1);      // [32, 44)
  for (int i = 0; i < 2; i++) Put<double>(&data, i * 1.5);     // [44, 60)
  data.append("\x01\x00", 2);                                    // [60, 62)
  return {
      {"small.safetensors",
       Safetensors(R"({"__metadata__":{"format":"pt"},)"
                   R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                   R"("h":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},)"
                   R"("ids":{"dtype":"I32","shape":[3],"data_offsets":[32,44]},)"
                   R"("d":{"dtype":"F64","shape":[2,1],"data_offsets":[44,60]},)"
                   R"("m":{"dtype":"BOOL","shape":[2],"data_offsets":[60,62]}}  )",
                   data)},
      {"empty.safetensors", Safetensors("{}", "")},
  };
}

std::string Llama2c(int32_t dim, int32_t hidden, int32_t layers, int32_t heads, int32_t kv,
                    int32_t vocab, int32_t seq) {
  const int64_t hd = dim / heads, v = vocab < 0 ? -vocab : vocab;
  const int64_t floats = v * dim + 2 * layers * dim + 2 * layers * dim * dim +
                         2 * layers * dim * kv * hd + 3 * layers * dim * hidden + dim + seq * hd +
                         (vocab < 0 ? v * dim : 0);
  std::string out;
  for (int32_t x : {dim, hidden, layers, heads, kv, vocab, seq}) Put<int32_t>(&out, x);
  for (int64_t i = 0; i < floats; i++) Put<float>(&out, 0.001f * i);
  return out;
}

}  // namespace
}  // namespace radixlm

int main(int argc, char** argv) {
  using namespace radixlm;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::string root = argv[1];
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> sets =
      {{"gguf", GgufSeeds()},
       {"safetensors", SafetensorsSeeds()},
       {"llama2c",
        {{"shared.bin", Llama2c(8, 12, 2, 2, 1, 6, 4)},
         {"unshared.bin", Llama2c(4, 6, 1, 2, 2, -5, 2)}}}};
  ::mkdir(root.c_str(), 0755);
  for (const auto& [dir, seeds] : sets) {
    const std::string d = root + "/" + dir;
    ::mkdir(d.c_str(), 0755);
    for (const auto& [name, bytes] : seeds) {
      if (!WriteBytes(d + "/" + name, bytes)) {
        std::fprintf(stderr, "cannot write %s/%s\n", d.c_str(), name.c_str());
        return 1;
      }
      std::printf("%s/%s: %zu bytes\n", d.c_str(), name.c_str(), bytes.size());
    }
  }
  return 0;
}
