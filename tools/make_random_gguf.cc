// make_random_gguf: writes a random-weight Llama GGUF of any dimensions, for
// benchmarks and tests (e.g. TinyLlama-1.1B's shape without its weights).
// The tokenizer metadata is copied from another GGUF (--vocab-from), so the
// file loads and generates (meaningless) text like a real model.
//
//   make_random_gguf --preset tinyllama --type q8_0 \
//       --vocab-from testdata/vocab/ggml-vocab-llama-spm.gguf --out /tmp/tl-q8_0.gguf
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "base/dtype.h"
#include "cli/flags.h"
#include "format/gguf.h"
#include "format/gguf_writer.h"
#include "kernels/quantize.h"

namespace radixlm {
namespace {

struct Options {
  std::string out;
  std::string vocab_from;
  std::string preset;
  std::string type = "q8_0";
  int32_t dim = 256, hidden = 768, layers = 2, heads = 8, kv_heads = 4, ctx = 2048;
  uint64_t seed = 1;
};

// SplitMix64 → uniform floats in [-scale, scale).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  float Uniform(float scale) {
    s_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = s_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (static_cast<float>(z >> 40) / 16777216.0f * 2.0f - 1.0f) * scale;
  }

 private:
  uint64_t s_;
};

// A --type: one weight type for every matrix, or a llama.cpp-style mix.
struct TypeChoice {
  DType type = DType::kQ8_0;
  bool q4_k_m = false;  // llama.cpp's Q4_K_M mix (see TypeFor)
};

Status ParseType(const std::string& name, TypeChoice* out) {
  if (name == "q4_k_m") {
    *out = TypeChoice{DType::kQ4_K, true};
    return Status::Ok();
  }
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0,
                  DType::kQ4_1, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    std::string lower = DTypeName(t);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == DTypeName(t) || name == lower) {
      *out = TypeChoice{t, false};
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("unknown --type '" + name +
                                 "' (f32, f16, bf16, q8_0, q4_0, q4_1, q4_k, q5_k, q6_k, q4_k_m)");
}

// Q4_K_M as llama.cpp's quantizer picks it for a llama model: Q6_K for
// output.weight, and for attn_v / ffn_down of the layers where
// use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2; Q4_K
// for everything else.
DType TypeFor(const TypeChoice& c, const std::string& name, int layer, int n_layers) {
  if (!c.q4_k_m) return c.type;
  if (name == "output.weight") return DType::kQ6_K;
  const bool more_bits = layer >= 0 && (layer < n_layers / 8 || layer >= 7 * n_layers / 8 ||
                                        (layer - n_layers / 8) % 3 == 2);
  const bool sensitive = name.find("attn_v.") != std::string::npos ||
                         name.find("ffn_down.") != std::string::npos;
  return more_bits && sensitive ? DType::kQ6_K : DType::kQ4_K;
}

Status Run(const Options& o) {
  TypeChoice choice;
  RLM_RETURN_IF_ERROR(ParseType(o.type, &choice));
  std::unique_ptr<GgufFile> vocab;
  RLM_RETURN_IF_ERROR(GgufFile::Open(o.vocab_from, &vocab));
  GgufWriter w;
  w.AddString("general.architecture", "llama");
  w.AddString("general.name", "random-llama");
  w.AddU32("llama.context_length", o.ctx);
  w.AddU32("llama.embedding_length", o.dim);
  w.AddU32("llama.feed_forward_length", o.hidden);
  w.AddU32("llama.block_count", o.layers);
  w.AddU32("llama.attention.head_count", o.heads);
  w.AddU32("llama.attention.head_count_kv", o.kv_heads);
  w.AddU32("llama.rope.dimension_count", o.dim / o.heads);
  w.AddF32("llama.rope.freq_base", 10000.0f);
  w.AddF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  for (const auto& [key, value] : vocab->metadata()) {
    if (key.rfind("tokenizer.", 0) == 0) RLM_RETURN_IF_ERROR(w.CopyKeyFrom(*vocab, key));
  }
  const GgufValue* tokens = vocab->Find("tokenizer.ggml.tokens");
  if (tokens == nullptr) return Status::InvalidArgument(o.vocab_from + ": no tokenizer.ggml.tokens");
  const uint64_t n_vocab = tokens->array_size;

  // Every matrix gets its own seed so tensors differ; the fill runs at write
  // time, one tensor in memory at a time.
  uint64_t next_seed = o.seed;
  int layer = -1;  // the layer being written, -1 outside the layers
  auto matrix = [&](const std::string& name, uint64_t rows, uint64_t cols) {
    const uint64_t seed = next_seed++;
    DType type = TypeFor(choice, name, layer, o.layers);
    // Block types need cols to be a multiple of the block; fall back to
    // q8_0 (as llama.cpp falls back for rows k-quants cannot hold).
    if (cols % DTypeBlockSize(type) != 0) type = DType::kQ8_0;
    const float scale = std::sqrt(3.0f / cols);  // unit-variance outputs
    return w.AddTensor(name, {cols, rows}, type, [=](uint8_t* dst, size_t) {
      Rng rng(seed);
      std::vector<float> row(cols);
      const size_t row_bytes = DTypeRowBytes(type, cols);
      for (uint64_t r = 0; r < rows; ++r) {
        for (auto& v : row) v = rng.Uniform(scale);
        ConvertRow(dst + r * row_bytes, type, row.data(), cols);
      }
    });
  };
  std::vector<float> ones(o.dim, 1.0f);
  auto norm = [&](const std::string& name) {
    return w.AddTensor(name, {static_cast<uint64_t>(o.dim)}, DType::kF32, ones.data(),
                       ones.size() * sizeof(float));
  };
  const uint64_t dim = o.dim, hidden = o.hidden, kv_dim = uint64_t(o.dim / o.heads) * o.kv_heads;
  RLM_RETURN_IF_ERROR(matrix("token_embd.weight", n_vocab, dim));
  for (int l = 0; l < o.layers; ++l) {
    layer = l;
    const std::string p = "blk." + std::to_string(l) + ".";
    RLM_RETURN_IF_ERROR(norm(p + "attn_norm.weight"));
    RLM_RETURN_IF_ERROR(matrix(p + "attn_q.weight", dim, dim));
    RLM_RETURN_IF_ERROR(matrix(p + "attn_k.weight", kv_dim, dim));
    RLM_RETURN_IF_ERROR(matrix(p + "attn_v.weight", kv_dim, dim));
    RLM_RETURN_IF_ERROR(matrix(p + "attn_output.weight", dim, dim));
    RLM_RETURN_IF_ERROR(norm(p + "ffn_norm.weight"));
    RLM_RETURN_IF_ERROR(matrix(p + "ffn_gate.weight", hidden, dim));
    RLM_RETURN_IF_ERROR(matrix(p + "ffn_down.weight", dim, hidden));
    RLM_RETURN_IF_ERROR(matrix(p + "ffn_up.weight", hidden, dim));
  }
  layer = -1;
  RLM_RETURN_IF_ERROR(norm("output_norm.weight"));
  RLM_RETURN_IF_ERROR(matrix("output.weight", n_vocab, dim));
  return w.WriteFile(o.out);
}

}  // namespace
}  // namespace radixlm

int main(int argc, char** argv) {
  using namespace radixlm;
  Options o;
  FlagParser p("make_random_gguf --vocab-from VOCAB.gguf --out OUT.gguf [options]");
  p.AddString("--out", &o.out, "output GGUF path");
  p.AddString("--vocab-from", &o.vocab_from, "GGUF whose tokenizer.* metadata is copied");
  p.AddString("--preset", &o.preset, "tinyllama: TinyLlama-1.1B dimensions");
  p.AddString("--type", &o.type, "weight type: f32, f16, bf16, q8_0, q4_0, q4_1, q4_k, q5_k, q6_k, q4_k_m (llama.cpp's mix)");
  p.AddInt("--dim", &o.dim, "hidden size");
  p.AddInt("--hidden", &o.hidden, "FFN size");
  p.AddInt("--layers", &o.layers, "layers");
  p.AddInt("--heads", &o.heads, "attention heads");
  p.AddInt("--kv-heads", &o.kv_heads, "KV heads");
  p.AddInt("--ctx", &o.ctx, "context length");
  p.AddUint64("--seed", &o.seed, "random seed");
  Status s = p.Parse(argc, argv, 1);
  if (p.help_requested()) {
    std::fputs(p.Help().c_str(), stdout);
    return 0;
  }
  if (s.ok() && o.preset == "tinyllama") {
    o.dim = 2048, o.hidden = 5632, o.layers = 22, o.heads = 32, o.kv_heads = 4;
  } else if (s.ok() && !o.preset.empty()) {
    s = Status::InvalidArgument("unknown --preset '" + o.preset + "'");
  }
  if (s.ok() && (o.out.empty() || o.vocab_from.empty())) {
    s = Status::InvalidArgument("--out and --vocab-from are required");
  }
  if (s.ok()) s = Run(o);
  if (!s.ok()) {
    std::fprintf(stderr, "make_random_gguf: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
