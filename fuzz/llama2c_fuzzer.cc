// libFuzzer target: ParseLlama2cCheckpoint on arbitrary bytes, then the
// first and last float of every tensor it hands out.
#include "format/llama2c.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace radixlm;
  Llama2cCheckpoint ckpt;
  if (!ParseLlama2cCheckpoint(MappedFile::FromBuffer(data, size), &ckpt).ok()) return 0;
  const Llama2cConfig& c = ckpt.config;
  const size_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers;
  const size_t head_dim = dim / c.n_heads, kv_dim = head_dim * c.n_kv_heads;
  struct Span {
    const float* p;
    size_t n;
  } spans[] = {
      {ckpt.token_embedding, size_t(c.vocab_size) * dim},
      {ckpt.rms_att, layers * dim},
      {ckpt.wq, layers * dim * dim},
      {ckpt.wk, layers * kv_dim * dim},
      {ckpt.wv, layers * kv_dim * dim},
      {ckpt.wo, layers * dim * dim},
      {ckpt.rms_ffn, layers * dim},
      {ckpt.w1, layers * hidden * dim},
      {ckpt.w2, layers * dim * hidden},
      {ckpt.w3, layers * hidden * dim},
      {ckpt.rms_final, dim},
      {ckpt.wcls, size_t(c.vocab_size) * dim},
  };
  volatile float sink = 0;
  for (const Span& s : spans) {
    const uint8_t* end = reinterpret_cast<const uint8_t*>(s.p + s.n);
    if (reinterpret_cast<const uint8_t*>(s.p) < data || end > data + size) __builtin_trap();
    sink = sink + s.p[0] + s.p[s.n - 1];
  }
  return 0;
}
