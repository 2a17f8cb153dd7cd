// ModelLoader: fills a Model from one file format. Internal to model/.
#ifndef RADIXLM_MODEL_MODEL_LOADER_H_
#define RADIXLM_MODEL_MODEL_LOADER_H_

#include <string>

#include "base/status.h"
#include "model/model.h"

namespace radixlm {

class ModelLoader {
 public:
  // GGUF with general.architecture "llama" or "qwen2".
  static Status FromGguf(const std::string& path, Model* model);
  // Hugging Face model directory: config.json (see hf_config.h),
  // model.safetensors or the shards of model.safetensors.index.json (else
  // every *.safetensors), HF tensor names, tokenizer.json (see
  // LoadHfTokenizer). MLX affine-quantized matrices (a ".scales" tensor
  // beside ".weight") stay packed.
  static Status FromHfDir(const std::string& dir, Model* model);
  // llama2.c checkpoint plus its tokenizer file.
  static Status FromLlama2c(const std::string& path, const ModelLoadOptions& options,
                            Model* model);
};

}  // namespace radixlm

#endif  // RADIXLM_MODEL_MODEL_LOADER_H_
