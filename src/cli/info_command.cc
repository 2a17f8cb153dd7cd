// radixlm info: describe a model file.
#include <cstdio>

#include "cli/commands.h"
#include "cli/flags.h"
#include "model/model.h"

namespace radixlm {

int InfoCommand(int argc, char** argv, int first) {
  std::string model_path = RADIXLM_DEFAULT_MODEL;
  std::string tokenizer;
  FlagParser p("radixlm info [-m MODEL]");
  p.AddString("-m,--model", &model_path, "model (GGUF file, Hugging Face directory, or llama2.c checkpoint)");
  p.AddString("--tokenizer", &tokenizer, "llama2.c tokenizer file");
  Status s = p.Parse(argc, argv, first);
  if (p.help_requested()) {
    std::fputs(p.Help().c_str(), stdout);
    return 0;
  }
  if (s.ok()) {
    ModelLoadOptions load;
    load.tokenizer_path = tokenizer;
    std::unique_ptr<Model> model;
    s = Model::Load(model_path, load, &model);
    if (s.ok()) std::fputs(model->Describe().c_str(), stdout);
  }
  if (!s.ok()) {
    std::fprintf(stderr, "radixlm info: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace radixlm
