// Model: a loaded transformer: config, weights in their stored types, and
// tokenizer. Loads GGUF files and llama2.c checkpoints (format detected by
// content, not by file name).
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
struct Llama2cCheckpoint;

struct ModelLoadOptions {
  // llama2.c checkpoints only: the tokenizer file. Empty: "tok<vocab>.bin",
  // then "tokenizer.bin", next to the checkpoint.
  std::string tokenizer_path;
};

class Model {
 public:
  static Status Load(const std::string& path, const ModelLoadOptions& options,
                     std::unique_ptr<Model>* out);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const { return config_; }
  const Weights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  // "gguf" or "llama2c".
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
  // Small tensors converted to f32 (norms, biases stored as f16/bf16).
  std::vector<std::vector<float>> owned_f32_;
};

}  // namespace radixlm

#endif  // RADIXLM_MODEL_MODEL_H_
