#include "model/model.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "format/gguf.h"
#include "format/llama2c.h"
#include "format/safetensors.h"
#include "kernels/gemm_int8.h"
#include "model/model_loader.h"

namespace radixlm {

Model::~Model() = default;

Status Model::Load(const std::string& path, const ModelLoadOptions& options,
                   std::unique_ptr<Model>* out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::unique_ptr<Model> model(new Model());
    model->path_ = path;
    RLM_RETURN_IF_ERROR(ModelLoader::FromHfDir(path, model.get()));
    RLM_RETURN_IF_ERROR(model->config_.Validate().WithContext(path));
    model->PackWeights();
    *out = std::move(model);
    return Status::Ok();
  }
  char magic[4] = {0, 0, 0, 0};
  {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return Status::IOError(path + ": " + std::strerror(errno));
    size_t n = std::fread(magic, 1, 4, f);
    std::fclose(f);
    if (n < 4) return Status::Corruption(path + ": file too short to be a model");
  }
  std::unique_ptr<Model> model(new Model());
  model->path_ = path;
  Status s;
  if (std::memcmp(magic, "GGUF", 4) == 0) {
    s = ModelLoader::FromGguf(path, model.get());
  } else {
    s = ModelLoader::FromLlama2c(path, options, model.get());
  }
  if (!s.ok()) return s;
  RLM_RETURN_IF_ERROR(model->config_.Validate().WithContext(path));
  model->PackWeights();
  *out = std::move(model);
  return Status::Ok();
}

void Model::PackWeights() {
  auto pack = [this](TensorView* t) {
    const size_t bytes = PackedPanelBytes(*t);
    if (bytes == 0) return;
    packed_.push_back(std::make_unique<uint8_t[]>(bytes));
    PackPanels(*t, packed_.back().get());
    t->packed = packed_.back().get();
  };
  for (LayerWeights& l : weights_.layers) {
    for (TensorView* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w1, &l.w2, &l.w3}) pack(t);
  }
  pack(&weights_.output);
}

std::string Model::Describe() const {
  const ModelConfig& c = config_;
  std::ostringstream os;
  os << "file:         " << path_ << " (" << format_ << ")\n"
     << "architecture: " << c.arch << "\n"
     << "dim:          " << c.dim << "\n"
     << "hidden_dim:   " << c.hidden_dim << "\n"
     << "n_layers:     " << c.n_layers << "\n"
     << "n_heads:      " << c.n_heads << " (head_dim " << c.head_dim << ")\n"
     << "n_kv_heads:   " << c.n_kv_heads << "\n"
     << "vocab_size:   " << c.vocab_size << "\n"
     << "context:      " << c.max_seq_len << (note_.empty() ? "" : " (" + note_ + ")") << "\n"
     << "rope:         theta " << c.rope_theta << ", "
     << (c.rope_style == RopeStyle::kNeox ? "neox" : "interleaved")
     << (c.rope_scaling == RopeScaling::kLinear   ? ", linear scaling ×" + std::to_string(c.rope_factor)
         : c.rope_scaling == RopeScaling::kLlama3 ? ", llama3 scaling ×" + std::to_string(c.rope_factor)
                                                  : std::string())
     << "\n"
     << "norm_eps:     " << c.norm_eps << "\n"
     << "qkv bias:     " << (c.has_qkv_bias ? "yes" : "no") << "\n"
     << "qk norm:      " << (c.has_qk_norm ? "yes" : "no") << "\n"
     << "output:       " << (c.tied_output ? "tied to token embedding" : "separate") << "\n"
     << "weights:      " << weight_bytes_ << " bytes (" << weight_bytes_ / 1e6 << " MB)\n"
     << "tensor types:";
  for (const auto& [name, count] : type_counts_) os << " " << name << "×" << count;
  os << "\n"
     << "tokenizer:    " << tokenizer_->Describe() << "\n";
  return os.str();
}

}  // namespace radixlm
