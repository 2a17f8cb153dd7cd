// Model: a loaded transformer: config, weights in their stored types, and
// tokenizer. Loads GGUF files and llama2.c checkpoints (format detected by
// content, not by file name), and Hugging Face model directories
// (config.json + safetensors + tokenizer.json; MLX quantized ones too).
//
// Thread safety: immutable after Load; share freely between threads.
#ifndef RADIXLM_MODEL_MODEL_H_
#define RADIXLM_MODEL_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/config.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {

class GgufFile;
class SafetensorsFile;
struct Llama2cCheckpoint;

struct ModelLoadOptions {
  // llama2.c checkpoints only: the tokenizer file. Empty: "tok<vocab>.bin",
  // then "tokenizer.bin", next to the checkpoint.
  std::string tokenizer_path;
};

class Model {
 public:
  // `path`: a GGUF file, a llama2.c checkpoint, or a directory holding a
  // Hugging Face model (see ModelLoader::FromHfDir).
  static Status Load(const std::string& path, const ModelLoadOptions& options,
                     std::unique_ptr<Model>* out);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const { return config_; }
  const Weights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  // The model's Jinja chat template (tokenizer_config.json "chat_template"
  // or GGUF "tokenizer.chat_template"); empty when it has none.
  const std::string& chat_template() const { return tokenizer_->chat_template(); }
  // "gguf", "llama2c", "safetensors" (HF directory) or "mlx" (HF directory
  // with MLX affine-quantized weights).
  const std::string& format() const { return format_; }
  const std::string& path() const { return path_; }
  // Bytes of all weight tensors as stored.
  size_t weight_bytes() const { return weight_bytes_; }
  // Multi-line description for `radixlm info`.
  std::string Describe() const;

 private:
  Model() = default;
  friend class ModelLoader;

  ModelConfig config_;
  Weights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::string format_;
  std::string path_;
  size_t weight_bytes_ = 0;
  // Tensor name → type, for Describe (GGUF); counts per type.
  std::vector<std::pair<std::string, size_t>> type_counts_;
  std::unique_ptr<GgufFile> gguf_;
  std::unique_ptr<Llama2cCheckpoint> llama2c_;
  std::vector<std::unique_ptr<SafetensorsFile>> safetensors_;
  // A remark for Describe (e.g. context capped to a sliding window).
  std::string note_;
  // Small tensors converted to f32 (norms, biases stored as f16/bf16).
  std::vector<std::vector<float>> owned_f32_;
  // Matrices' panel copies for decode (TensorView::packed).
  std::vector<std::unique_ptr<uint8_t[]>> packed_;

  // Gives every matrix that has a panel layout its packed copy.
  void PackWeights();
};

}  // namespace radixlm

#endif  // RADIXLM_MODEL_MODEL_H_
