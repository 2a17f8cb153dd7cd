// Loads a llama2.c checkpoint into a Model (float32 weights, interleaved
// RoPE with theta 1e4, RMSNorm eps 1e-5).
#include <sys/stat.h>

#include "format/llama2c.h"
#include "model/model_loader.h"

namespace radixlm {

namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// A [layers][rows][cols] float32 stack → the view of layer l.
TensorView F32Matrix(const float* base, size_t layer, size_t rows, size_t cols) {
  TensorView v;
  v.type = DType::kF32;
  v.rows = rows;
  v.cols = cols;
  v.data = base + layer * rows * cols;
  return v;
}

}  // namespace

Status ModelLoader::FromLlama2c(const std::string& path, const ModelLoadOptions& options,
                                Model* model) {
  auto ckpt = std::make_unique<Llama2cCheckpoint>();
  RLM_RETURN_IF_ERROR(LoadLlama2cCheckpoint(path, ckpt.get()));
  const Llama2cConfig& h = ckpt->config;

  ModelConfig& c = model->config_;
  c.arch = "llama";
  c.dim = h.dim;
  c.hidden_dim = h.hidden_dim;
  c.n_layers = h.n_layers;
  c.n_heads = h.n_heads;
  c.n_kv_heads = h.n_kv_heads;
  c.head_dim = h.dim / h.n_heads;
  c.vocab_size = h.vocab_size;
  c.max_seq_len = h.seq_len;
  c.norm_eps = 1e-5f;
  c.rope_theta = 10000.0f;
  c.rope_style = RopeStyle::kInterleaved;
  c.tied_output = h.shared_classifier;
  RLM_RETURN_IF_ERROR(c.Validate().WithContext(path));

  const size_t dim = c.dim, hidden = c.hidden_dim, q_dim = c.q_dim(), kv_dim = c.kv_dim();
  Weights& w = model->weights_;
  w.token_embedding = F32Matrix(ckpt->token_embedding, 0, c.vocab_size, dim);
  w.layers.resize(c.n_layers);
  for (size_t l = 0; l < w.layers.size(); ++l) {
    LayerWeights& lw = w.layers[l];
    lw.attn_norm = ckpt->rms_att + l * dim;
    lw.wq = F32Matrix(ckpt->wq, l, q_dim, dim);
    lw.wk = F32Matrix(ckpt->wk, l, kv_dim, dim);
    lw.wv = F32Matrix(ckpt->wv, l, kv_dim, dim);
    lw.wo = F32Matrix(ckpt->wo, l, dim, q_dim);
    lw.ffn_norm = ckpt->rms_ffn + l * dim;
    lw.w1 = F32Matrix(ckpt->w1, l, hidden, dim);
    lw.w2 = F32Matrix(ckpt->w2, l, dim, hidden);
    lw.w3 = F32Matrix(ckpt->w3, l, hidden, dim);
  }
  w.final_norm = ckpt->rms_final;
  w.output = F32Matrix(ckpt->wcls, 0, c.vocab_size, dim);

  const size_t n_params = c.vocab_size * dim * (c.tied_output ? 1 : 2) +
                          c.n_layers * (2 * dim + dim * (2 * q_dim + 2 * kv_dim) + 3 * dim * hidden) +
                          dim;
  model->weight_bytes_ = n_params * sizeof(float);
  model->type_counts_ = {{"f32", static_cast<size_t>(c.n_layers) * 9 + 2 + (c.tied_output ? 0 : 1)}};
  model->format_ = "llama2c";

  std::string tok_path = options.tokenizer_path;
  if (tok_path.empty()) {
    const std::string dir = DirName(path);
    const std::string by_vocab = dir + "/tok" + std::to_string(c.vocab_size) + ".bin";
    tok_path = FileExists(by_vocab) ? by_vocab : dir + "/tokenizer.bin";
  }
  RLM_RETURN_IF_ERROR(LoadLlama2cTokenizer(tok_path, c.vocab_size, &model->tokenizer_));
  model->llama2c_ = std::move(ckpt);
  return Status::Ok();
}

}  // namespace radixlm
