// Loads a Hugging Face model directory (config.json, model.safetensors or
// shards listed in model.safetensors.index.json, tokenizer.json) into a
// Model. Matrices stay memory-mapped in their stored type (F32, F16, BF16,
// or MLX affine 4/8-bit with their scales and biases); small vectors
// (norms, biases) are converted to f32.
#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/mapped_file.h"
#include "format/safetensors.h"
#include "model/hf_config.h"
#include "model/model_loader.h"

namespace radixlm {

namespace {

const char* StDTypeName(StDType t) {
  switch (t) {
    case StDType::kF64: return "F64";
    case StDType::kF32: return "F32";
    case StDType::kF16: return "F16";
    case StDType::kBF16: return "BF16";
    case StDType::kI64: return "I64";
    case StDType::kI32: return "I32";
    case StDType::kI16: return "I16";
    case StDType::kI8: return "I8";
    case StDType::kU8: return "U8";
    case StDType::kU32: return "U32";
    case StDType::kBool: return "BOOL";
  }
  return "?";
}

// The float types a kernel reads directly.
bool FloatDType(StDType t, DType* out) {
  switch (t) {
    case StDType::kF32: *out = DType::kF32; return true;
    case StDType::kF16: *out = DType::kF16; return true;
    case StDType::kBF16: *out = DType::kBF16; return true;
    default: return false;
  }
}

std::string Shape(const SafetensorInfo& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

// The safetensors files of `dir`: the shards that model.safetensors.index.json
// lists, else model.safetensors, else every *.safetensors (sorted).
Status ListShards(const std::string& dir, std::vector<std::string>* files) {
  namespace fs = std::filesystem;
  const std::string index = dir + "/model.safetensors.index.json";
  std::error_code ec;
  if (fs::exists(index, ec)) {
    std::string text;
    RLM_RETURN_IF_ERROR(ReadFileToString(index, &text));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") ||
        !j["weight_map"].is_object()) {
      return Status::Corruption(index + ": no \"weight_map\" object");
    }
    std::set<std::string> names;
    for (const auto& [tensor, file] : j["weight_map"].items()) {
      if (!file.is_string()) return Status::Corruption(index + ": weight_map entry not a string");
      const std::string f = file.get<std::string>();
      if (f.find('/') != std::string::npos || f.empty() || f[0] == '.') {
        return Status::Corruption(index + ": shard name '" + f + "' is not a plain file name");
      }
      names.insert(f);
    }
    for (const std::string& f : names) files->push_back(dir + "/" + f);
    if (files->empty()) return Status::Corruption(index + ": weight_map is empty");
    return Status::Ok();
  }
  if (fs::exists(dir + "/model.safetensors", ec)) {
    files->push_back(dir + "/model.safetensors");
    return Status::Ok();
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".safetensors") files->push_back(entry.path().string());
  }
  std::sort(files->begin(), files->end());
  if (files->empty()) return Status::NotFound(dir + ": no *.safetensors file");
  return Status::Ok();
}

class HfTensors {
 public:
  HfTensors(const HfQuantization& quant, std::vector<std::vector<float>>* owned)
      : quant_(quant), owned_(owned) {}

  Status Add(const SafetensorsFile& file, const std::string& path) {
    for (const SafetensorInfo& t : file.tensors()) {
      if (!by_name_.emplace(t.name, &t).second) {
        return Status::Corruption(path + ": tensor '" + t.name + "' is also in another shard");
      }
    }
    return Status::Ok();
  }

  const SafetensorInfo* Find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }
  bool Has(const std::string& name) const { return Find(name) != nullptr; }

  // The matrix `prefix`.weight of [rows][cols]: float as stored, or MLX
  // affine when `prefix`.scales exists.
  Status Matrix(const std::string& prefix, size_t rows, size_t cols, TensorView* out) {
    const std::string name = prefix + ".weight";
    const SafetensorInfo* t = Find(name);
    if (t == nullptr) return Status::NotFound("missing tensor '" + name + "'");
    if (Has(prefix + ".scales")) return Affine(prefix, *t, rows, cols, out);
    DType type;
    if (!FloatDType(t->dtype, &type)) {
      return Status::InvalidArgument("tensor '" + name + "' has dtype " + StDTypeName(t->dtype) +
                                     " (supported: F32, F16, BF16, or MLX affine U32)");
    }
    if (t->shape.size() != 2 || t->shape[0] != rows || t->shape[1] != cols) {
      return Status::Corruption("tensor '" + name + "' has shape " + Shape(*t) + ", expected [" +
                                std::to_string(rows) + ", " + std::to_string(cols) + "]");
    }
    *out = TensorView{};
    out->type = type;
    out->rows = rows;
    out->cols = cols;
    out->data = t->data;
    Count(*t, DTypeName(type));
    return Status::Ok();
  }

  // A 1-D vector of n elements as f32 (converted unless stored as aligned F32).
  Status Vector(const std::string& name, size_t n, const float** out) {
    const SafetensorInfo* t = Find(name);
    if (t == nullptr) return Status::NotFound("missing tensor '" + name + "'");
    if (t->shape.size() != 1 || t->shape[0] != n) {
      return Status::Corruption("tensor '" + name + "' has shape " + Shape(*t) + ", expected [" +
                                std::to_string(n) + "]");
    }
    DType type;
    if (!FloatDType(t->dtype, &type)) {
      return Status::InvalidArgument("tensor '" + name + "' has dtype " + StDTypeName(t->dtype));
    }
    Count(*t, DTypeName(type));
    if (t->dtype == StDType::kF32 && reinterpret_cast<uintptr_t>(t->data) % alignof(float) == 0) {
      *out = reinterpret_cast<const float*>(t->data);
      return Status::Ok();
    }
    std::vector<float> v;
    RLM_RETURN_IF_ERROR(SafetensorsFile::ToFloat(*t, &v));
    owned_->push_back(std::move(v));
    *out = owned_->back().data();
    return Status::Ok();
  }

  size_t bytes() const { return bytes_; }
  const std::map<std::string, size_t>& type_counts() const { return type_counts_; }

 private:
  Status Affine(const std::string& prefix, const SafetensorInfo& w, size_t rows, size_t cols,
                TensorView* out) {
    if (!quant_.enabled) {
      return Status::InvalidArgument("tensor '" + prefix +
                                     ".scales' but config.json has no \"quantization\"");
    }
    const MlxQuantSpec spec = quant_.For(prefix);
    if (spec.bits == 0) {
      return Status::InvalidArgument("tensor '" + prefix +
                                     ".scales' but config.json marks it unquantized");
    }
    const SafetensorInfo* s = Find(prefix + ".scales");
    const SafetensorInfo* b = Find(prefix + ".biases");
    if (b == nullptr) return Status::NotFound("missing tensor '" + prefix + ".biases'");
    if (w.dtype != StDType::kU32) {
      return Status::InvalidArgument("quantized tensor '" + prefix + ".weight' has dtype " +
                                     StDTypeName(w.dtype) + ", expected U32");
    }
    const size_t gs = spec.group_size;
    if (cols % gs != 0) {
      return Status::InvalidArgument("'" + prefix + "': " + std::to_string(cols) +
                                     " columns are not a multiple of group_size " +
                                     std::to_string(gs));
    }
    const size_t packed = cols * spec.bits / 32;
    if (w.shape.size() != 2 || w.shape[0] != rows || w.shape[1] != packed) {
      return Status::Corruption("tensor '" + prefix + ".weight' has shape " + Shape(w) +
                                ", expected [" + std::to_string(rows) + ", " +
                                std::to_string(packed) + "] for " + std::to_string(spec.bits) +
                                "-bit codes");
    }
    DType scale_type;
    for (const SafetensorInfo* t : {s, b}) {
      if (t->shape.size() != 2 || t->shape[0] != rows || t->shape[1] != cols / gs) {
        return Status::Corruption("tensor '" + t->name + "' has shape " + Shape(*t) +
                                  ", expected [" + std::to_string(rows) + ", " +
                                  std::to_string(cols / gs) + "]");
      }
      if (!FloatDType(t->dtype, &scale_type) || t->dtype != s->dtype) {
        return Status::InvalidArgument("tensor '" + t->name + "' has dtype " +
                                       StDTypeName(t->dtype) +
                                       " (scales and biases: both F16, BF16 or F32)");
      }
    }
    *out = TensorView{};
    out->type = spec.bits == 4 ? DType::kMlxAffine4 : DType::kMlxAffine8;
    out->rows = rows;
    out->cols = cols;
    out->data = w.data;
    out->scales = s->data;
    out->biases = b->data;
    out->scale_type = scale_type;
    out->group_size = gs;
    Count(w, DTypeName(out->type));
    bytes_ += s->n_bytes + b->n_bytes;
    return Status::Ok();
  }

  void Count(const SafetensorInfo& t, const char* type) {
    bytes_ += t.n_bytes;
    type_counts_[type]++;
  }

  const HfQuantization& quant_;
  std::vector<std::vector<float>>* owned_;
  std::map<std::string, const SafetensorInfo*> by_name_;
  size_t bytes_ = 0;
  std::map<std::string, size_t> type_counts_;
};

}  // namespace

Status ModelLoader::FromHfDir(const std::string& dir, Model* model) {
  std::string text;
  RLM_RETURN_IF_ERROR(ReadFileToString(dir + "/config.json", &text));
  ModelConfig& c = model->config_;
  HfModelInfo info;
  RLM_RETURN_IF_ERROR(ParseHfConfig(text, &c, &info).WithContext(dir));
  RLM_RETURN_IF_ERROR(c.Validate().WithContext(dir));

  std::vector<std::string> files;
  RLM_RETURN_IF_ERROR(ListShards(dir, &files));
  HfTensors t(info.quantization, &model->owned_f32_);
  for (const std::string& f : files) {
    std::unique_ptr<SafetensorsFile> st;
    RLM_RETURN_IF_ERROR(SafetensorsFile::Open(f, &st));
    RLM_RETURN_IF_ERROR(t.Add(*st, f));
    model->safetensors_.push_back(std::move(st));
  }

  const size_t dim = c.dim, hidden = c.hidden_dim, q_dim = c.q_dim(), kv_dim = c.kv_dim();
  const size_t head_dim = c.head_dim;
  Weights& w = model->weights_;
  Status s = [&]() -> Status {
    RLM_RETURN_IF_ERROR(t.Matrix("model.embed_tokens", c.vocab_size, dim, &w.token_embedding));
    w.layers.resize(c.n_layers);
    for (int l = 0; l < c.n_layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      LayerWeights& lw = w.layers[l];
      RLM_RETURN_IF_ERROR(t.Vector(p + "input_layernorm.weight", dim, &lw.attn_norm));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "self_attn.q_proj", q_dim, dim, &lw.wq));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "self_attn.k_proj", kv_dim, dim, &lw.wk));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "self_attn.v_proj", kv_dim, dim, &lw.wv));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "self_attn.o_proj", dim, q_dim, &lw.wo));
      if (c.has_qkv_bias) {
        RLM_RETURN_IF_ERROR(t.Vector(p + "self_attn.q_proj.bias", q_dim, &lw.bq));
        RLM_RETURN_IF_ERROR(t.Vector(p + "self_attn.k_proj.bias", kv_dim, &lw.bk));
        RLM_RETURN_IF_ERROR(t.Vector(p + "self_attn.v_proj.bias", kv_dim, &lw.bv));
      }
      for (const char* bias : {"self_attn.q_proj.bias", "self_attn.o_proj.bias",
                               "mlp.gate_proj.bias", "mlp.up_proj.bias", "mlp.down_proj.bias"}) {
        const bool expected = c.has_qkv_bias && std::string(bias) == "self_attn.q_proj.bias";
        if (!expected && t.Has(p + bias)) {
          return Status::InvalidArgument("tensor '" + p + bias + "' is not supported for " +
                                         c.arch);
        }
      }
      if (c.has_qk_norm) {
        RLM_RETURN_IF_ERROR(t.Vector(p + "self_attn.q_norm.weight", head_dim, &lw.q_norm));
        RLM_RETURN_IF_ERROR(t.Vector(p + "self_attn.k_norm.weight", head_dim, &lw.k_norm));
      }
      RLM_RETURN_IF_ERROR(t.Vector(p + "post_attention_layernorm.weight", dim, &lw.ffn_norm));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "mlp.gate_proj", hidden, dim, &lw.w1));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "mlp.down_proj", dim, hidden, &lw.w2));
      RLM_RETURN_IF_ERROR(t.Matrix(p + "mlp.up_proj", hidden, dim, &lw.w3));
    }
    RLM_RETURN_IF_ERROR(t.Vector("model.norm.weight", dim, &w.final_norm));
    if (info.tie_word_embeddings) {
      w.output = w.token_embedding;
    } else {
      RLM_RETURN_IF_ERROR(t.Matrix("lm_head", c.vocab_size, dim, &w.output));
    }
    return Status::Ok();
  }();
  RLM_RETURN_IF_ERROR(s.WithContext(dir));

  RLM_RETURN_IF_ERROR(LoadHfTokenizer(dir, c.vocab_size, &model->tokenizer_));
  if (model->tokenizer_->vocab_size() != c.vocab_size) {
    return Status::InvalidArgument(dir + ": tokenizer has " +
                                   std::to_string(model->tokenizer_->vocab_size()) +
                                   " tokens but the model's vocab_size is " +
                                   std::to_string(c.vocab_size));
  }
  model->weight_bytes_ = t.bytes();
  model->type_counts_.assign(t.type_counts().begin(), t.type_counts().end());
  model->format_ = info.quantization.enabled ? "mlx" : "safetensors";
  model->note_ = info.note;
  return Status::Ok();
}

}  // namespace radixlm
