#include "format/llama2c.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace radixlm {

namespace {

constexpr uint64_t kHeaderBytes = 7 * sizeof(int32_t);

// Upper bounds far above any llama2.c-format model; they keep the size
// arithmetic below 2^63 and reject garbage headers early.
constexpr int32_t kMaxDim = 1 << 16;
constexpr int32_t kMaxHidden = 1 << 18;
constexpr int32_t kMaxLayers = 1 << 10;
constexpr int32_t kMaxHeads = 1 << 10;
constexpr int32_t kMaxVocab = 1 << 22;
constexpr int32_t kMaxSeqLen = 1 << 22;

Status CheckRange(const char* name, int64_t v, int64_t max) {
  if (v <= 0 || v > max) {
    return Status::Corruption(std::string("llama2c: header ") + name + " = " +
                              std::to_string(v) + " is outside [1, " + std::to_string(max) + "]");
  }
  return Status::Ok();
}

}  // namespace

Status LoadLlama2cCheckpoint(const std::string& path, Llama2cCheckpoint* out) {
  std::unique_ptr<MappedFile> file;
  RLM_RETURN_IF_ERROR(MappedFile::Open(path, &file));
  return ParseLlama2cCheckpoint(std::move(file), out).WithContext(path);
}

Status ParseLlama2cCheckpoint(std::unique_ptr<MappedFile> file, Llama2cCheckpoint* out) {
  const uint64_t size = file->size();
  if (size < kHeaderBytes) {
    return Status::Corruption("llama2c: file of " + std::to_string(size) +
                              " bytes is shorter than the 28-byte header");
  }
  if (reinterpret_cast<uintptr_t>(file->data()) % alignof(float) != 0) {
    return Status::InvalidArgument("llama2c: buffer is not 4-byte aligned");
  }
  int32_t h[7];
  std::memcpy(h, file->data(), sizeof(h));
  Llama2cConfig c;
  c.dim = h[0];
  c.hidden_dim = h[1];
  c.n_layers = h[2];
  c.n_heads = h[3];
  c.n_kv_heads = h[4];
  c.shared_classifier = h[5] > 0;
  c.vocab_size = h[5] == INT32_MIN ? 0 : (h[5] < 0 ? -h[5] : h[5]);
  c.seq_len = h[6];
  RLM_RETURN_IF_ERROR(CheckRange("dim", c.dim, kMaxDim));
  RLM_RETURN_IF_ERROR(CheckRange("hidden_dim", c.hidden_dim, kMaxHidden));
  RLM_RETURN_IF_ERROR(CheckRange("n_layers", c.n_layers, kMaxLayers));
  RLM_RETURN_IF_ERROR(CheckRange("n_heads", c.n_heads, kMaxHeads));
  RLM_RETURN_IF_ERROR(CheckRange("n_kv_heads", c.n_kv_heads, kMaxHeads));
  RLM_RETURN_IF_ERROR(CheckRange("|vocab_size|", c.vocab_size, kMaxVocab));
  RLM_RETURN_IF_ERROR(CheckRange("seq_len", c.seq_len, kMaxSeqLen));
  if (c.dim % c.n_heads != 0) {
    return Status::Corruption("llama2c: dim " + std::to_string(c.dim) +
                              " is not a multiple of n_heads " + std::to_string(c.n_heads));
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return Status::Corruption("llama2c: n_heads " + std::to_string(c.n_heads) +
                              " is not a multiple of n_kv_heads " +
                              std::to_string(c.n_kv_heads));
  }
  const uint64_t head_dim = c.dim / c.n_heads;
  if (head_dim % 2 != 0) {
    return Status::Corruption("llama2c: head_dim " + std::to_string(head_dim) +
                              " is odd; RoPE needs pairs");
  }

  // Float counts of each tensor, in file order (bounded above: < 2^50).
  const uint64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers,
                 vocab = c.vocab_size;
  const uint64_t q_dim = c.n_heads * head_dim;
  const uint64_t kv_dim = c.n_kv_heads * head_dim;
  const uint64_t freq = uint64_t(c.seq_len) * head_dim / 2;
  const uint64_t counts[] = {
      vocab * dim,             // token_embedding
      layers * dim,            // rms_att
      layers * dim * q_dim,    // wq
      layers * dim * kv_dim,   // wk
      layers * dim * kv_dim,   // wv
      layers * q_dim * dim,    // wo
      layers * dim,            // rms_ffn
      layers * dim * hidden,   // w1
      layers * hidden * dim,   // w2
      layers * dim * hidden,   // w3
      dim,                     // rms_final
      freq,                    // freq_cis_real (skipped)
      freq,                    // freq_cis_imag (skipped)
      c.shared_classifier ? 0 : vocab * dim,  // wcls
  };
  uint64_t floats = 0;
  for (uint64_t n : counts) floats += n;
  const uint64_t expected = kHeaderBytes + floats * sizeof(float);
  if (size != expected) {
    char buf[320];
    std::snprintf(buf, sizeof(buf),
                  "llama2c: file size %" PRIu64 " bytes, expected %" PRIu64
                  " for dim=%d hidden_dim=%d n_layers=%d n_heads=%d n_kv_heads=%d "
                  "vocab_size=%d seq_len=%d",
                  size, expected, c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads,
                  h[5], c.seq_len);
    return Status::Corruption(buf);
  }

  const float* p = reinterpret_cast<const float*>(file->data() + kHeaderBytes);
  const float* ptrs[14];
  for (int i = 0; i < 14; i++) {
    ptrs[i] = p;
    p += counts[i];
  }
  out->config = c;
  out->token_embedding = ptrs[0];
  out->rms_att = ptrs[1];
  out->wq = ptrs[2];
  out->wk = ptrs[3];
  out->wv = ptrs[4];
  out->wo = ptrs[5];
  out->rms_ffn = ptrs[6];
  out->w1 = ptrs[7];
  out->w2 = ptrs[8];
  out->w3 = ptrs[9];
  out->rms_final = ptrs[10];
  out->wcls = c.shared_classifier ? ptrs[0] : ptrs[13];
  out->file = std::move(file);
  return Status::Ok();
}

}  // namespace radixlm
