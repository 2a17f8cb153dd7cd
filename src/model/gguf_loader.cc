// Loads a GGUF model (architectures "llama" and "qwen2") into a Model.
// Hyper-parameters come from "<arch>.*" metadata; tensors keep their stored
// types; small f16/bf16 vectors (norms, biases) are converted to f32.
#include <map>

#include "base/half.h"
#include "format/gguf.h"
#include "kernels/matmul.h"
#include "model/model_loader.h"

namespace radixlm {

namespace {

class GgufTensors {
 public:
  GgufTensors(const GgufFile& f, Model* model, std::vector<std::vector<float>>* owned)
      : f_(f), owned_(owned) {}

  // A 2-D weight with GGUF dims {cols, rows}.
  Status Matrix(const std::string& name, size_t rows, size_t cols, TensorView* out) {
    const GgufTensorInfo* t = f_.FindTensor(name);
    if (t == nullptr) return Status::NotFound("missing tensor '" + name + "'");
    if (t->dims.size() != 2 || t->dims[0] != cols || t->dims[1] != rows) {
      return Status::Corruption("tensor '" + name + "' has shape " + Shape(*t) + ", expected [" +
                                std::to_string(cols) + ", " + std::to_string(rows) + "]");
    }
    out->type = t->type;
    out->rows = rows;
    out->cols = cols;
    out->data = t->data;
    Count(*t);
    return Status::Ok();
  }

  // A 1-D f32 vector of n elements (converted when stored as f16/bf16).
  Status Vector(const std::string& name, size_t n, const float** out) {
    const GgufTensorInfo* t = f_.FindTensor(name);
    if (t == nullptr) return Status::NotFound("missing tensor '" + name + "'");
    if (t->n_elements != n || t->dims.empty() || t->dims[0] != n) {
      return Status::Corruption("tensor '" + name + "' has shape " + Shape(*t) + ", expected [" +
                                std::to_string(n) + "]");
    }
    Count(*t);
    if (t->type == DType::kF32) {
      *out = reinterpret_cast<const float*>(t->data);
      return Status::Ok();
    }
    if (n % DTypeBlockSize(t->type) != 0) {
      return Status::Corruption("tensor '" + name + "': size not a multiple of its block");
    }
    std::vector<float> v(n);
    TensorView view{t->type, 1, n, t->data};
    DequantizeRow(v.data(), view, 0);
    owned_->push_back(std::move(v));
    *out = owned_->back().data();
    return Status::Ok();
  }

  bool Has(const std::string& name) const { return f_.FindTensor(name) != nullptr; }
  size_t bytes() const { return bytes_; }
  const std::map<std::string, size_t>& type_counts() const { return type_counts_; }

 private:
  static std::string Shape(const GgufTensorInfo& t) {
    std::string s = "[";
    for (size_t i = 0; i < t.dims.size(); ++i) s += (i ? ", " : "") + std::to_string(t.dims[i]);
    return s + "]";
  }
  void Count(const GgufTensorInfo& t) {
    bytes_ += t.n_bytes;
    type_counts_[DTypeName(t.type)]++;
  }

  const GgufFile& f_;
  std::vector<std::vector<float>>* owned_;
  size_t bytes_ = 0;
  std::map<std::string, size_t> type_counts_;
};

// Reads "<arch>.<key>" as an int; NotFound unless optional.
Status ArchInt(const GgufFile& f, const std::string& arch, const std::string& key, int32_t* out,
               bool optional = false) {
  int64_t v = 0;
  Status s = f.GetInt(arch + "." + key, &v);
  if (s.code() == Status::Code::kNotFound && optional) return Status::Ok();
  RLM_RETURN_IF_ERROR(s);
  if (v <= 0 || v > (int64_t{1} << 30)) {
    return Status::Corruption("metadata " + arch + "." + key + " = " + std::to_string(v) +
                              " is out of range");
  }
  *out = static_cast<int32_t>(v);
  return Status::Ok();
}

Status ArchFloat(const GgufFile& f, const std::string& arch, const std::string& key, float* out) {
  double v = 0;
  Status s = f.GetFloat(arch + "." + key, &v);
  if (s.code() == Status::Code::kNotFound) return Status::Ok();  // keep default
  RLM_RETURN_IF_ERROR(s);
  *out = static_cast<float>(v);
  return Status::Ok();
}

Status ReadConfig(const GgufFile& f, ModelConfig* c) {
  RLM_RETURN_IF_ERROR(f.GetString("general.architecture", &c->arch));
  const std::string& a = c->arch;
  if (a != "llama" && a != "qwen2") {
    return Status::InvalidArgument("unsupported architecture '" + a +
                                   "' (supported: llama, qwen2)");
  }
  RLM_RETURN_IF_ERROR(ArchInt(f, a, "embedding_length", &c->dim));
  RLM_RETURN_IF_ERROR(ArchInt(f, a, "feed_forward_length", &c->hidden_dim));
  RLM_RETURN_IF_ERROR(ArchInt(f, a, "block_count", &c->n_layers));
  RLM_RETURN_IF_ERROR(ArchInt(f, a, "attention.head_count", &c->n_heads));
  c->n_kv_heads = c->n_heads;
  RLM_RETURN_IF_ERROR(ArchInt(f, a, "attention.head_count_kv", &c->n_kv_heads, true));
  c->max_seq_len = 2048;
  RLM_RETURN_IF_ERROR(ArchInt(f, a, "context_length", &c->max_seq_len, true));
  c->head_dim = c->n_heads > 0 ? c->dim / c->n_heads : 0;
  RLM_RETURN_IF_ERROR(ArchInt(f, a, "attention.key_length", &c->head_dim, true));
  int32_t rope_dims = c->head_dim;
  RLM_RETURN_IF_ERROR(ArchInt(f, a, "rope.dimension_count", &rope_dims, true));
  if (rope_dims != c->head_dim) {
    return Status::InvalidArgument("partial RoPE (rope.dimension_count " +
                                   std::to_string(rope_dims) + " != head_dim " +
                                   std::to_string(c->head_dim) + ") is not supported");
  }
  c->norm_eps = 1e-5f;
  RLM_RETURN_IF_ERROR(ArchFloat(f, a, "attention.layer_norm_rms_epsilon", &c->norm_eps));
  c->rope_theta = a == "qwen2" ? 1e6f : 1e4f;
  RLM_RETURN_IF_ERROR(ArchFloat(f, a, "rope.freq_base", &c->rope_theta));
  // llama.cpp's converter permutes llama q/k rows so interleaved pairs apply;
  // qwen2 keeps HF's half-split ("neox") layout.
  c->rope_style = a == "qwen2" ? RopeStyle::kNeox : RopeStyle::kInterleaved;
  c->vocab_size = 0;
  if (const GgufValue* v = f.Find("tokenizer.ggml.tokens"); v != nullptr) {
    c->vocab_size = static_cast<int32_t>(v->array_size);
  }
  RLM_RETURN_IF_ERROR(ArchInt(f, a, "vocab_size", &c->vocab_size, true));
  return Status::Ok();
}

}  // namespace

Status ModelLoader::FromGguf(const std::string& path, Model* model) {
  std::unique_ptr<GgufFile> f;
  RLM_RETURN_IF_ERROR(GgufFile::Open(path, &f));
  ModelConfig& c = model->config_;
  RLM_RETURN_IF_ERROR(ReadConfig(*f, &c).WithContext(path));
  RLM_RETURN_IF_ERROR(c.Validate().WithContext(path));

  const size_t dim = c.dim, hidden = c.hidden_dim, q_dim = c.q_dim(), kv_dim = c.kv_dim();
  GgufTensors t(*f, model, &model->owned_f32_);
  Weights& w = model->weights_;
  Status s = [&]() -> Status {
    RLM_RETURN_IF_ERROR(t.Matrix("token_embd.weight", c.vocab_size, dim, &w.token_embedding));
    w.layers.resize(c.n_layers);
    for (int l = 0; l < c.n_layers; ++l) {
      const std::string p = "blk." + std::to_string(l) + ".";
      LayerWeights& lw = w.layers[l];
      RLM_RETURN_IF_ERROR(t.Vector(p + "attn_norm.weight", dim, &lw.attn_norm));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "attn_q.weight", q_dim, dim, &lw.wq));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "attn_k.weight", kv_dim, dim, &lw.wk));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "attn_v.weight", kv_dim, dim, &lw.wv));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "attn_output.weight", dim, q_dim, &lw.wo));
      if (t.Has(p + "attn_q.bias")) {
        c.has_qkv_bias = true;
        RLM_RETURN_IF_ERROR(t.Vector(p + "attn_q.bias", q_dim, &lw.bq));
        RLM_RETURN_IF_ERROR(t.Vector(p + "attn_k.bias", kv_dim, &lw.bk));
        RLM_RETURN_IF_ERROR(t.Vector(p + "attn_v.bias", kv_dim, &lw.bv));
      }
      RLM_RETURN_IF_ERROR(t.Vector(p + "ffn_norm.weight", dim, &lw.ffn_norm));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "ffn_gate.weight", hidden, dim, &lw.w1));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "ffn_down.weight", dim, hidden, &lw.w2));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "ffn_up.weight", hidden, dim, &lw.w3));
    }
    RLM_RETURN_IF_ERROR(t.Vector("output_norm.weight", dim, &w.final_norm));
    if (t.Has("output.weight")) {
      RLM_RETURN_IF_ERROR(t.Matrix("output.weight", c.vocab_size, dim, &w.output));
    } else {
      c.tied_output = true;
      w.output = w.token_embedding;
    }
    return Status::Ok();
  }();
  RLM_RETURN_IF_ERROR(s.WithContext(path));

  RLM_RETURN_IF_ERROR(LoadGgufTokenizer(*f, &model->tokenizer_).WithContext(path));
  if (model->tokenizer_->vocab_size() != c.vocab_size) {
    return Status::Corruption(path + ": tokenizer has " +
                              std::to_string(model->tokenizer_->vocab_size()) +
                              " tokens but the model's vocab is " + std::to_string(c.vocab_size));
  }
  model->weight_bytes_ = t.bytes();
  model->type_counts_.assign(t.type_counts().begin(), t.type_counts().end());
  model->format_ = "gguf";
  model->gguf_ = std::move(f);
  return Status::Ok();
}

}  // namespace radixlm
