// Hugging Face model directories: the same model from GGUF and from HF
// gives the same logits; sharded checkpoints; MLX affine-quantized
// checkpoints (made here from llama2-tiny); Qwen3 (q/k norm) against a
// plain double-precision reference forward; clear errors.
// (Golden logits of the HF directories are in golden_test.cc.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "base/half.h"
#include "base/mapped_file.h"
#include "format/safetensors.h"
#include "kernels/matmul_affine.h"
#include "model/test_util.h"
#include "model/transformer.h"

namespace radixlm {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// ------------------------------------------------------------------ helpers

// A tensor to write: dtype name as safetensors spells it, shape, bytes.
struct OutTensor {
  std::string dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;
};

template <class T>
OutTensor MakeTensor(const std::string& dtype, std::vector<uint64_t> shape,
                     const std::vector<T>& v) {
  OutTensor t{dtype, std::move(shape), {}};
  t.bytes.resize(v.size() * sizeof(T));
  std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

void WriteSafetensors(const std::string& path, const std::map<std::string, OutTensor>& tensors) {
  Json header = Json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    header[name] = {{"dtype", t.dtype}, {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string h = header.dump();
  while (h.size() % 8 != 0) h.push_back(' ');
  std::ofstream f(path, std::ios::binary);
  const uint64_t n = h.size();
  f.write(reinterpret_cast<const char*>(&n), 8);
  f.write(h.data(), h.size());
  for (const auto& [name, t] : tensors) {
    f.write(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  }
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

// A fresh empty directory under the system temp dir, removed at exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = fs::temp_directory_path() /
            ("radixlm_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string GoldenDir(const std::string& model) { return RepoPath("testdata/golden/" + model); }

// The prompt lenN of a golden model.
std::vector<int32_t> GoldenPrompt(const std::string& model, int len) {
  std::unique_ptr<SafetensorsFile> ref;
  EXPECT_TRUE(SafetensorsFile::Open(GoldenDir(model) + "/golden.safetensors", &ref).ok());
  std::vector<int64_t> ids;
  EXPECT_TRUE(
      SafetensorsFile::ToInt(*ref->Find("len" + std::to_string(len) + ".input_ids"), &ids).ok());
  return std::vector<int32_t>(ids.begin(), ids.end());
}

// Logits of every position of `tokens`, in one prefill.
std::vector<float> Logits(const Model& model, const std::vector<int32_t>& tokens) {
  ThreadPool pool(2);
  Transformer tf(model, &pool);
  SequenceKv kv(tf.kv_layout(16));
  kv.Reserve(tokens.size());
  std::vector<float> logits(tokens.size() * model.config().vocab_size);
  SeqChunk c{tokens.data(), tokens.size(), 0, kv.table(), logits.data(), tokens.size()};
  EXPECT_TRUE(tf.Forward({&c, 1}, 16).ok());
  return logits;
}

// max |a - b| / max |b| over one position's logits.
double RelErr(const float* a, const float* b, size_t n) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - b[i]));
    ref = std::max(ref, std::abs(double(b[i])));
  }
  return diff / ref;
}

// Worst RelErr over every position.
double WorstRelErr(const std::vector<float>& a, const std::vector<float>& b, size_t vocab) {
  double worst = 0;
  for (size_t p = 0; p < a.size() / vocab; ++p) {
    worst = std::max(worst, RelErr(a.data() + p * vocab, b.data() + p * vocab, vocab));
  }
  return worst;
}

std::unique_ptr<Model> LoadOk(const std::string& path) {
  std::unique_ptr<Model> model;
  Status s = Model::Load(path, {}, &model);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return model;
}

// ------------------------------------------------------- GGUF versus HF

// llama2-tiny: HF float32 vs the f16 GGUF (weights rounded to f16, and the
// GGUF's q/k rows permuted for interleaved RoPE): within the f16 tolerance
// of testdata/golden/README.md (3e-3), at every position.
TEST(HfModel, LlamaSameLogitsFromGgufAndHf) {
  auto hf = LoadOk(GoldenDir("llama2-tiny") + "/hf");
  auto gguf = LoadOk(GoldenDir("llama2-tiny") + "/llama2-tiny-f16.gguf");
  ASSERT_TRUE(hf && gguf);
  EXPECT_EQ(hf->format(), "safetensors");
  EXPECT_EQ(hf->config().rope_style, RopeStyle::kNeox);
  EXPECT_EQ(gguf->config().rope_style, RopeStyle::kInterleaved);
  EXPECT_EQ(hf->config().vocab_size, gguf->config().vocab_size);
  const std::vector<int32_t> prompt = GoldenPrompt("llama2-tiny", 64);
  const size_t vocab = hf->config().vocab_size;
  const double err = WorstRelErr(Logits(*gguf, prompt), Logits(*hf, prompt), vocab);
  RecordProperty("rel_err", std::to_string(err));
  EXPECT_LE(err, 3e-3);
  // The tokenizers agree too.
  std::vector<int32_t> a, b;
  ASSERT_TRUE(hf->tokenizer().Encode("Hello world, it's 2024!", true, false, &a).ok());
  ASSERT_TRUE(gguf->tokenizer().Encode("Hello world, it's 2024!", true, false, &b).ok());
  EXPECT_EQ(a, b);
}

// qwen2-tiny: HF bfloat16 vs the q8_0 GGUF (the only GGUF of it): within
// the q8_0 tolerance (5e-2), at every position.
TEST(HfModel, Qwen2SameLogitsFromGgufAndHf) {
  auto hf = LoadOk(GoldenDir("qwen2-tiny") + "/hf");
  auto gguf = LoadOk(GoldenDir("qwen2-tiny") + "/qwen2-tiny-q8_0.gguf");
  ASSERT_TRUE(hf && gguf);
  EXPECT_TRUE(hf->config().has_qkv_bias);
  EXPECT_EQ(hf->config().vocab_size, 151936);
  const std::vector<int32_t> prompt = GoldenPrompt("qwen2-tiny", 64);
  const double err =
      WorstRelErr(Logits(*gguf, prompt), Logits(*hf, prompt), hf->config().vocab_size);
  RecordProperty("rel_err", std::to_string(err));
  EXPECT_LE(err, 5e-2);
  EXPECT_NE(hf->chat_template().find("<|im_start|>"), std::string::npos);
  EXPECT_EQ(hf->chat_template(), gguf->chat_template());
}

// ------------------------------------------------------------ sharding

// The same tensors split over two shards with an index give bit-identical
// logits.
TEST(HfModel, ShardedCheckpoint) {
  const std::string src = GoldenDir("llama2-tiny") + "/hf";
  std::unique_ptr<SafetensorsFile> st;
  ASSERT_TRUE(SafetensorsFile::Open(src + "/model.safetensors", &st).ok());
  std::map<std::string, OutTensor> shard[2];
  Json weight_map = Json::object();
  for (const SafetensorInfo& t : st->tensors()) {
    ASSERT_EQ(t.dtype, StDType::kF32);
    const int k = t.name.find("layers.0.") != std::string::npos || t.name.find("embed") != std::string::npos;
    shard[k][t.name] = OutTensor{"F32", t.shape, std::vector<uint8_t>(t.data, t.data + t.n_bytes)};
    weight_map[t.name] = k ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
  }
  TempDir dir("sharded");
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
    fs::copy_file(src + "/" + f, dir / f);
  }
  WriteSafetensors(dir / "model-00001-of-00002.safetensors", shard[0]);
  WriteSafetensors(dir / "model-00002-of-00002.safetensors", shard[1]);
  WriteText(dir / "model.safetensors.index.json",
            Json{{"metadata", Json::object()}, {"weight_map", weight_map}}.dump());
  auto sharded = LoadOk(dir.path());
  auto single = LoadOk(src);
  ASSERT_TRUE(sharded && single);
  const std::vector<int32_t> prompt = GoldenPrompt("llama2-tiny", 7);
  EXPECT_EQ(Logits(*sharded, prompt), Logits(*single, prompt));
}

// ------------------------------------------------------------------- MLX

// Writes two llama2-tiny directories: `quant` in MLX's layout (every matrix
// whose input size is a multiple of group_size quantized with MLX's affine
// rule, as mlx-lm does; down_proj, with 176 inputs, stays float32), and
// `twin` holding the quantized matrices dequantized back to float32.
void MakeMlxLlama(int bits, size_t group_size, DType scale_type, const std::string& quant,
                  const std::string& twin) {
  const std::string src = GoldenDir("llama2-tiny") + "/hf";
  std::unique_ptr<SafetensorsFile> st;
  ASSERT_TRUE(SafetensorsFile::Open(src + "/model.safetensors", &st).ok());
  std::map<std::string, OutTensor> q_tensors, t_tensors;
  const std::string st_scale = scale_type == DType::kBF16 ? "BF16" : "F16";
  for (const SafetensorInfo& t : st->tensors()) {
    std::vector<float> w;
    ASSERT_TRUE(SafetensorsFile::ToFloat(t, &w).ok());
    const bool matrix = t.shape.size() == 2 && t.shape[1] % group_size == 0;
    if (!matrix) {
      q_tensors[t.name] = MakeTensor("F32", t.shape, w);
      t_tensors[t.name] = MakeTensor("F32", t.shape, w);
      continue;
    }
    const size_t rows = t.shape[0], cols = t.shape[1], groups = cols / group_size;
    std::vector<uint32_t> words(rows * cols * bits / 32);
    std::vector<uint16_t> scales(rows * groups), biases(rows * groups);
    for (size_t r = 0; r < rows; ++r) {
      QuantizeAffineRow(words.data() + r * cols * bits / 32, scales.data() + r * groups,
                        biases.data() + r * groups, scale_type, w.data() + r * cols, cols,
                        group_size, bits);
    }
    const std::string prefix = t.name.substr(0, t.name.size() - std::string(".weight").size());
    q_tensors[t.name] = MakeTensor("U32", {rows, cols * bits / 32}, words);
    q_tensors[prefix + ".scales"] = MakeTensor(st_scale, {rows, groups}, scales);
    q_tensors[prefix + ".biases"] = MakeTensor(st_scale, {rows, groups}, biases);
    TensorView v;
    v.type = bits == 4 ? DType::kMlxAffine4 : DType::kMlxAffine8;
    v.rows = rows;
    v.cols = cols;
    v.data = words.data();
    v.scales = scales.data();
    v.biases = biases.data();
    v.scale_type = scale_type;
    v.group_size = group_size;
    std::vector<float> back(rows * cols);
    for (size_t r = 0; r < rows; ++r) scalar::AffineDequantizeRow(back.data() + r * cols, v, r);
    // The layout round-trips: every weight within half a step of its
    // group's scale (plus the scale's and bias's own rounding).
    for (size_t i = 0; i < rows * cols; ++i) {
      const size_t g = i / group_size;
      const float scale = scale_type == DType::kBF16 ? BF16ToF32(scales[g]) : F16ToF32(scales[g]);
      ASSERT_LE(std::abs(back[i] - w[i]), 0.5f * scale + 1e-2f * std::abs(w[i]) + 1e-6f)
          << t.name << " element " << i;
    }
    t_tensors[t.name] = MakeTensor("F32", t.shape, back);
  }
  std::string config_text;
  ASSERT_TRUE(ReadFileToString(src + "/config.json", &config_text).ok());
  Json config = Json::parse(config_text);
  for (const std::string& dir : {quant, twin}) {
    fs::create_directories(dir);
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
      fs::copy_file(src + "/" + f, dir + "/" + f);
    }
  }
  WriteText(twin + "/config.json", config.dump(2));
  config["quantization"] = {{"group_size", group_size}, {"bits", bits}};
  WriteText(quant + "/config.json", config.dump(2));
  WriteSafetensors(quant + "/model.safetensors", q_tensors);
  WriteSafetensors(twin + "/model.safetensors", t_tensors);
}

// The quantized model computes the function of its dequantized twin: the
// kernels differ only in f32 summation order (s * (q·x) + b * sum(x) per
// group versus sum(w * x)), so 1e-4 (the README's float tolerance) holds
// with a wide margin (measured ~1e-6). Against the original float model the
// logits move by the quantization error itself, which scales with the step
// (max - min) / (2^bits - 1): on these random weights (3 layers, quantized
// tied embedding) it measures 3.1e-2 of max |logit| at 8 bits and 0.56 at 4
// bits, a ratio of 18 ≈ 255 / 15, the ratio of the steps. The bounds are
// about twice the measured values, and the ratio must lie in [8, 35]: a
// wrong code order or group mapping breaks that scaling (and the weight
// round trip checked in MakeMlxLlama).
TEST(HfModel, MlxAffineLlama) {
  struct Case {
    int bits;
    DType scale_type;
    double vs_float;
  };
  double err_by_bits[2] = {0, 0};
  for (const Case& c : {Case{8, DType::kF16, 6e-2}, Case{4, DType::kBF16, 1.1}}) {
    SCOPED_TRACE("bits=" + std::to_string(c.bits));
    TempDir dir("mlx");
    MakeMlxLlama(c.bits, 32, c.scale_type, dir / "quant", dir / "twin");
    auto quant = LoadOk(dir / "quant");
    auto twin = LoadOk(dir / "twin");
    auto orig = LoadOk(GoldenDir("llama2-tiny") + "/hf");
    ASSERT_TRUE(quant && twin && orig);
    EXPECT_EQ(quant->format(), "mlx");
    const DType want = c.bits == 4 ? DType::kMlxAffine4 : DType::kMlxAffine8;
    EXPECT_EQ(quant->weights().token_embedding.type, want);
    EXPECT_EQ(quant->weights().layers[0].wq.type, want);
    EXPECT_EQ(quant->weights().layers[0].w2.type, DType::kF32);  // 176 inputs
    EXPECT_EQ(quant->weights().layers[0].wq.group_size, 32u);
    EXPECT_LT(quant->weight_bytes(), orig->weight_bytes() / (c.bits == 4 ? 4 : 2));

    const std::vector<int32_t> prompt = GoldenPrompt("llama2-tiny", 64);
    const size_t vocab = quant->config().vocab_size;
    const std::vector<float> lq = Logits(*quant, prompt);
    const double vs_twin = WorstRelErr(lq, Logits(*twin, prompt), vocab);
    const double vs_float = WorstRelErr(lq, Logits(*orig, prompt), vocab);
    std::printf("mlx %d-bit: rel err vs dequantized twin %.3g, vs float model %.3g\n", c.bits,
                vs_twin, vs_float);
    EXPECT_LE(vs_twin, 1e-4);
    EXPECT_LE(vs_float, c.vs_float);
    err_by_bits[c.bits == 4] = vs_float;
  }
  const double ratio = err_by_bits[1] / err_by_bits[0];
  EXPECT_GE(ratio, 8.0);
  EXPECT_LE(ratio, 35.0);
}

// ----------------------------------------------------------------- Qwen3

// A byte-level tokenizer.json of 256 single-byte pieces and no merges.
std::string TinyTokenizerJson() {
  Json vocab = Json::object();
  // GPT-2's byte-to-code-point map.
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<int> cs = bs;
  for (int b = 0, n = 0; b < 256; ++b) {
    if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
      bs.push_back(b);
      cs.push_back(256 + n++);
    }
  }
  for (size_t i = 0; i < bs.size(); ++i) {
    std::string utf8;
    const int cp = cs[i];
    if (cp < 0x80) {
      utf8.push_back(static_cast<char>(cp));
    } else {
      utf8.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      utf8.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    vocab[utf8] = bs[i];
  }
  Json j = {
      {"version", "1.0"},
      {"added_tokens", Json::array({{{"id", 256}, {"content", "<|endoftext|>"}, {"special", true}}})},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         Json::array({{{"type", "Split"},
                       {"pattern", {{"Regex", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}},
                       {"behavior", "Isolated"},
                       {"invert", false}},
                      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", Json::array()}}},
  };
  return j.dump();
}

// A random Qwen3 model: dim 32, 4 heads of head_dim 12 (q_dim 48 != dim),
// 2 KV heads, 2 layers, untied lm_head, f32.
struct Qwen3Ref {
  static constexpr int kDim = 32, kHidden = 40, kLayers = 2, kHeads = 4, kKvHeads = 2,
                       kHeadDim = 12, kVocab = 260;
  static constexpr double kEps = 1e-6, kTheta = 10000.0;
  std::map<std::string, std::vector<float>> w;

  void Make(uint32_t seed, bool unit_qk_norm) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.3f);
    auto random = [&](size_t n, float mean) {
      std::vector<float> v(n);
      for (float& f : v) f = mean + normal(rng);
      return v;
    };
    w["model.embed_tokens.weight"] = random(kVocab * kDim, 0);
    w["lm_head.weight"] = random(kVocab * kDim, 0);
    w["model.norm.weight"] = random(kDim, 1);
    for (int l = 0; l < kLayers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      w[p + "input_layernorm.weight"] = random(kDim, 1);
      w[p + "post_attention_layernorm.weight"] = random(kDim, 1);
      w[p + "self_attn.q_proj.weight"] = random(kHeads * kHeadDim * kDim, 0);
      w[p + "self_attn.k_proj.weight"] = random(kKvHeads * kHeadDim * kDim, 0);
      w[p + "self_attn.v_proj.weight"] = random(kKvHeads * kHeadDim * kDim, 0);
      w[p + "self_attn.o_proj.weight"] = random(kDim * kHeads * kHeadDim, 0);
      w[p + "self_attn.q_norm.weight"] = unit_qk_norm ? std::vector<float>(kHeadDim, 1.0f)
                                                      : random(kHeadDim, 1);
      w[p + "self_attn.k_norm.weight"] = unit_qk_norm ? std::vector<float>(kHeadDim, 1.0f)
                                                      : random(kHeadDim, 1);
      w[p + "mlp.gate_proj.weight"] = random(kHidden * kDim, 0);
      w[p + "mlp.up_proj.weight"] = random(kHidden * kDim, 0);
      w[p + "mlp.down_proj.weight"] = random(kDim * kHidden, 0);
    }
  }

  void Write(const std::string& dir) const {
    std::map<std::string, OutTensor> tensors;
    for (const auto& [name, v] : w) {
      std::vector<uint64_t> shape;
      if (name.find("norm") != std::string::npos) {
        shape = {v.size()};
      } else {
        const uint64_t cols = name.find("o_proj") != std::string::npos     ? kHeads * kHeadDim
                              : name.find("down_proj") != std::string::npos ? kHidden
                                                                            : kDim;
        shape = {v.size() / cols, cols};
      }
      tensors[name] = MakeTensor("F32", shape, v);
    }
    WriteSafetensors(dir + "/model.safetensors", tensors);
    Json config = {{"architectures", {"Qwen3ForCausalLM"}}, {"model_type", "qwen3"},
                   {"hidden_size", kDim}, {"intermediate_size", kHidden},
                   {"num_hidden_layers", kLayers}, {"num_attention_heads", kHeads},
                   {"num_key_value_heads", kKvHeads}, {"head_dim", kHeadDim},
                   {"vocab_size", kVocab}, {"rms_norm_eps", kEps}, {"rope_theta", kTheta},
                   {"max_position_embeddings", 512}, {"tie_word_embeddings", false},
                   {"attention_bias", false}, {"hidden_act", "silu"},
                   {"use_sliding_window", false}, {"sliding_window", nullptr}};
    WriteText(dir + "/config.json", config.dump(2));
    WriteText(dir + "/tokenizer.json", TinyTokenizerJson());
  }

  // y = W x for W [rows][cols] (row-major).
  std::vector<double> MatVec(const std::string& name, const std::vector<double>& x) const {
    const std::vector<float>& m = w.at(name);
    const size_t cols = x.size(), rows = m.size() / cols;
    std::vector<double> y(rows, 0.0);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < cols; ++c) y[r] += double(m[r * cols + c]) * x[c];
    }
    return y;
  }

  // x[off, off + n) = rmsnorm(x[off, off + n)) * weight.
  static void RmsNorm(std::vector<double>* x, size_t off, size_t n, const std::vector<float>& wt) {
    double ss = 0;
    for (size_t i = 0; i < n; ++i) ss += (*x)[off + i] * (*x)[off + i];
    const double scale = 1.0 / std::sqrt(ss / n + kEps);
    for (size_t i = 0; i < n; ++i) (*x)[off + i] = (*x)[off + i] * scale * wt[i];
  }

  // Half-split ("rotate_half") RoPE of one head at `pos`.
  static void Rope(std::vector<double>* x, size_t off, size_t pos) {
    const size_t half = kHeadDim / 2;
    for (size_t i = 0; i < half; ++i) {
      const double angle = pos * std::pow(kTheta, -2.0 * i / kHeadDim);
      const double a = (*x)[off + i], b = (*x)[off + i + half];
      (*x)[off + i] = a * std::cos(angle) - b * std::sin(angle);
      (*x)[off + i + half] = b * std::cos(angle) + a * std::sin(angle);
    }
  }

  // Logits of the last token: Qwen3's forward, written out plainly.
  std::vector<double> Forward(const std::vector<int32_t>& tokens) const {
    const size_t n = tokens.size();
    std::vector<std::vector<double>> x(n, std::vector<double>(kDim));
    for (size_t t = 0; t < n; ++t) {
      for (int i = 0; i < kDim; ++i) x[t][i] = w.at("model.embed_tokens.weight")[tokens[t] * kDim + i];
    }
    for (int l = 0; l < kLayers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      std::vector<std::vector<double>> q(n), k(n), v(n);
      for (size_t t = 0; t < n; ++t) {
        std::vector<double> h = x[t];
        RmsNorm(&h, 0, kDim, w.at(p + "input_layernorm.weight"));
        q[t] = MatVec(p + "self_attn.q_proj.weight", h);
        k[t] = MatVec(p + "self_attn.k_proj.weight", h);
        v[t] = MatVec(p + "self_attn.v_proj.weight", h);
        for (int hd = 0; hd < kHeads; ++hd) {
          RmsNorm(&q[t], hd * kHeadDim, kHeadDim, w.at(p + "self_attn.q_norm.weight"));
          Rope(&q[t], hd * kHeadDim, t);
        }
        for (int hd = 0; hd < kKvHeads; ++hd) {
          RmsNorm(&k[t], hd * kHeadDim, kHeadDim, w.at(p + "self_attn.k_norm.weight"));
          Rope(&k[t], hd * kHeadDim, t);
        }
      }
      for (size_t t = 0; t < n; ++t) {
        std::vector<double> att(kHeads * kHeadDim, 0.0);
        for (int hd = 0; hd < kHeads; ++hd) {
          const int kv = hd / (kHeads / kKvHeads);
          std::vector<double> s(t + 1);
          double mx = -1e300;
          for (size_t u = 0; u <= t; ++u) {
            double dot = 0;
            for (int i = 0; i < kHeadDim; ++i) dot += q[t][hd * kHeadDim + i] * k[u][kv * kHeadDim + i];
            s[u] = dot / std::sqrt(double(kHeadDim));
            mx = std::max(mx, s[u]);
          }
          double sum = 0;
          for (double& e : s) sum += (e = std::exp(e - mx));
          for (size_t u = 0; u <= t; ++u) {
            for (int i = 0; i < kHeadDim; ++i) {
              att[hd * kHeadDim + i] += s[u] / sum * v[u][kv * kHeadDim + i];
            }
          }
        }
        const std::vector<double> o = MatVec(p + "self_attn.o_proj.weight", att);
        for (int i = 0; i < kDim; ++i) x[t][i] += o[i];
        std::vector<double> h = x[t];
        RmsNorm(&h, 0, kDim, w.at(p + "post_attention_layernorm.weight"));
        std::vector<double> g = MatVec(p + "mlp.gate_proj.weight", h);
        const std::vector<double> up = MatVec(p + "mlp.up_proj.weight", h);
        for (int i = 0; i < kHidden; ++i) g[i] = g[i] / (1.0 + std::exp(-g[i])) * up[i];
        const std::vector<double> d = MatVec(p + "mlp.down_proj.weight", g);
        for (int i = 0; i < kDim; ++i) x[t][i] += d[i];
      }
    }
    std::vector<double> h = x[n - 1];
    RmsNorm(&h, 0, kDim, w.at("model.norm.weight"));
    return MatVec("lm_head.weight", h);
  }
};

// The engine's Qwen3 forward (head_dim 12 with q_dim 48 != dim 32, GQA,
// per-head q/k RMSNorm with non-trivial weights, untied lm_head) against
// the plain double reference above: f32 arithmetic over these sizes stays
// within 1e-5 of max |logit|; 1e-4 is the README's float tolerance.
TEST(HfModel, Qwen3MatchesReferenceForward) {
  Qwen3Ref ref;
  ref.Make(7, /*unit_qk_norm=*/false);
  TempDir dir("qwen3");
  ref.Write(dir.path());
  auto model = LoadOk(dir.path());
  ASSERT_TRUE(model);
  EXPECT_EQ(model->config().arch, "qwen3");
  EXPECT_TRUE(model->config().has_qk_norm);
  EXPECT_NE(model->weights().layers[1].q_norm, nullptr);
  EXPECT_FALSE(model->config().tied_output);
  const std::vector<int32_t> tokens = {5, 200, 31, 31, 7, 256, 99, 12, 180, 3};
  const size_t vocab = Qwen3Ref::kVocab;
  const std::vector<float> logits = Logits(*model, tokens);
  const std::vector<double> want = ref.Forward(tokens);
  std::vector<float> want_f(want.begin(), want.end());
  const double err = RelErr(logits.data() + (tokens.size() - 1) * vocab, want_f.data(), vocab);
  EXPECT_LE(err, 1e-4);

  // The q/k norm step is live: with unit norm weights the logits differ
  // from those above, and still match the reference.
  Qwen3Ref unit;
  unit.Make(7, /*unit_qk_norm=*/true);
  TempDir dir2("qwen3u");
  unit.Write(dir2.path());
  auto model2 = LoadOk(dir2.path());
  ASSERT_TRUE(model2);
  const std::vector<float> logits2 = Logits(*model2, tokens);
  const std::vector<double> want2 = unit.Forward(tokens);
  std::vector<float> want2_f(want2.begin(), want2.end());
  EXPECT_LE(RelErr(logits2.data() + (tokens.size() - 1) * vocab, want2_f.data(), vocab), 1e-4);
  EXPECT_GT(RelErr(logits2.data() + (tokens.size() - 1) * vocab, want_f.data(), vocab), 1e-2);
}

// ---------------------------------------------------------------- errors

TEST(HfModel, ErrorsNameTheProblem) {
  const std::string src = GoldenDir("llama2-tiny") + "/hf";
  std::string config_text;
  ASSERT_TRUE(ReadFileToString(src + "/config.json", &config_text).ok());
  auto with_config = [&](const Json& config, bool weights) {
    auto dir = std::make_unique<TempDir>("err");
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
      fs::copy_file(src + "/" + f, *dir / f);
    }
    if (weights) fs::copy_file(src + "/model.safetensors", *dir / "model.safetensors");
    WriteText(*dir / "config.json", config.dump());
    return dir;
  };
  Json base = Json::parse(config_text);
  {
    Json c = base;
    c["architectures"] = {"Phi3ForCausalLM"};
    auto dir = with_config(c, true);
    std::unique_ptr<Model> m;
    Status s = Model::Load(dir->path(), {}, &m);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_NE(s.ToString().find("Phi3ForCausalLM"), std::string::npos) << s.ToString();
  }
  {
    Json c = base;
    c["rope_parameters"] = {{"rope_type", "yarn"}, {"factor", 4.0}, {"rope_theta", 10000.0}};
    auto dir = with_config(c, true);
    std::unique_ptr<Model> m;
    Status s = Model::Load(dir->path(), {}, &m);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_NE(s.ToString().find("yarn"), std::string::npos) << s.ToString();
  }
  {
    Json c = base;
    c["tie_word_embeddings"] = false;  // then lm_head.weight is required
    auto dir = with_config(c, true);
    std::unique_ptr<Model> m;
    Status s = Model::Load(dir->path(), {}, &m);
    EXPECT_EQ(s.code(), Status::Code::kNotFound);
    EXPECT_NE(s.ToString().find("lm_head.weight"), std::string::npos) << s.ToString();
  }
  {
    auto dir = with_config(base, false);
    std::unique_ptr<Model> m;
    Status s = Model::Load(dir->path(), {}, &m);
    EXPECT_EQ(s.code(), Status::Code::kNotFound);
    EXPECT_NE(s.ToString().find("safetensors"), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace radixlm
