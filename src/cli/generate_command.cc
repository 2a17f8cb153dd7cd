// radixlm generate: prompt → streamed text on stdout, statistics on stderr.
#include <chrono>
#include <cstdio>
#include <random>

#include "base/mapped_file.h"
#include "base/profiler.h"
#include "base/thread_pool.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "engine/generator.h"
#include "model/model.h"
#include "model/transformer.h"

namespace radixlm {

namespace {

struct GenerateFlags {
  std::string model = RADIXLM_DEFAULT_MODEL;
  std::string profile;
  std::string tokenizer;
  std::string prompt;
  std::string prompt_file;
  int32_t n_predict = -1;
  int32_t threads = static_cast<int32_t>(DefaultThreadCount());
  int32_t ctx_size = 0;
  int32_t batch_size = 512;
  float temp = 0.8f;
  int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  uint64_t seed = 0;
  bool seed_set = false;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  bool no_display_prompt = false;
  bool special = false;
};

int Fail(const Status& s) {
  std::fprintf(stderr, "radixlm generate: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int GenerateCommand(int argc, char** argv, int first) {
  GenerateFlags f;
  std::string seed_text;
  FlagParser p("radixlm generate [-m MODEL] [-p PROMPT] [options]");
  p.AddString("-m,--model", &f.model, "model (GGUF file, Hugging Face directory, or llama2.c checkpoint)");
  p.AddString("--tokenizer", &f.tokenizer,
              "llama2.c tokenizer file (default: tok<vocab>.bin next to the model)");
  p.AddString("-p,--prompt", &f.prompt, "prompt text (empty: start from BOS)");
  p.AddString("-f,--file", &f.prompt_file, "read the prompt from a file");
  p.AddString("--profile", &f.profile, "write a Chrome trace of per-operation timings to FILE and print a summary");
  p.AddInt("-n,--n-predict", &f.n_predict, "tokens to generate after the prompt (-1: until EOS or context end)");
  p.AddInt("-t,--threads", &f.threads, "threads");
  p.AddInt("-c,--ctx-size", &f.ctx_size, "context size in tokens (0: the model's)");
  p.AddInt("-b,--batch-size", &f.batch_size, "prompt tokens per forward pass");
  p.AddFloat("--temp", &f.temp, "temperature (0: greedy)");
  p.AddInt("--top-k", &f.top_k, "top-k sampling (0: off)");
  p.AddFloat("--top-p", &f.top_p, "top-p sampling (1: off)");
  p.AddFloat("--min-p", &f.min_p, "min-p sampling (0: off)");
  p.AddFloat("--repeat-penalty", &f.repeat_penalty, "penalize repeated tokens (1: off)");
  p.AddInt("--repeat-last-n", &f.repeat_last_n, "tokens the penalties look back over (-1: all)");
  p.AddFloat("--presence-penalty", &f.presence_penalty, "presence penalty (0: off)");
  p.AddFloat("--frequency-penalty", &f.frequency_penalty, "frequency penalty (0: off)");
  p.AddString("-s,--seed", &seed_text, "random seed (default: random, printed on stderr)");
  p.AddList("--stop", &f.stop, "stop string (repeatable)");
  p.AddBool("--ignore-eos", &f.ignore_eos, "keep generating after end-of-sequence tokens");
  p.AddBool("--no-display-prompt", &f.no_display_prompt, "do not echo the prompt");
  p.AddBool("-sp,--special", &f.special, "parse special-token texts such as <s> in the prompt");
  Status s = p.Parse(argc, argv, first);
  if (p.help_requested()) {
    std::fputs(p.Help().c_str(), stdout);
    return 0;
  }
  if (!s.ok()) return Fail(s);
  if (!seed_text.empty()) {
    char* end = nullptr;
    f.seed = std::strtoull(seed_text.c_str(), &end, 10);
    if (*end != '\0' || seed_text[0] == '-') {
      if (seed_text != "-1") return Fail(Status::InvalidArgument("--seed: '" + seed_text + "' is not a seed"));
    } else {
      f.seed_set = true;
    }
  }
  if (!f.seed_set) f.seed = std::random_device{}();
  if (f.threads <= 0) return Fail(Status::InvalidArgument("--threads must be positive"));
  if (!f.prompt_file.empty()) {
    s = ReadFileToString(f.prompt_file, &f.prompt);
    if (!s.ok()) return Fail(s);
  }

  ModelLoadOptions load;
  load.tokenizer_path = f.tokenizer;
  std::unique_ptr<Model> model;
  s = Model::Load(f.model, load, &model);
  if (!s.ok()) return Fail(s);

  GenerateOptions opt;
  opt.sampling.temperature = f.temp;
  opt.sampling.top_k = f.top_k;
  opt.sampling.top_p = f.top_p;
  opt.sampling.min_p = f.min_p;
  opt.sampling.repeat_penalty = f.repeat_penalty;
  opt.sampling.repeat_last_n = f.repeat_last_n;
  opt.sampling.presence_penalty = f.presence_penalty;
  opt.sampling.frequency_penalty = f.frequency_penalty;
  opt.sampling.seed = f.seed;
  opt.max_new_tokens = f.n_predict;
  opt.ctx_size = f.ctx_size;
  opt.batch_size = f.batch_size;
  opt.stop = f.stop;
  opt.ignore_eos = f.ignore_eos;
  opt.parse_special = f.special;

  ThreadPool pool(f.threads);
  Transformer transformer(*model, &pool);
  if (!f.no_display_prompt) {
    std::fwrite(f.prompt.data(), 1, f.prompt.size(), stdout);
    std::fflush(stdout);
  }
  GenerateStats stats;
  ProfileSession profile(f.profile);
  s = Generate(&transformer, *model, f.prompt, opt, [](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  }, &stats);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  if (!s.ok()) return Fail(s);
  if (!profile.Finish().ok()) return 1;
  auto rate = [](size_t n, double sec) { return sec > 0 ? n / sec : 0.0; };
  std::fprintf(stderr,
               "\nseed %llu | threads %d | finish: %s\n"
               "prompt:     %5zu tokens in %8.3f s (%9.2f tokens/s)\n"
               "generation: %5zu tokens in %8.3f s (%9.2f tokens/s)\n",
               static_cast<unsigned long long>(f.seed), f.threads, stats.finish_reason.c_str(),
               stats.prompt_tokens, stats.prompt_seconds,
               rate(stats.prompt_tokens, stats.prompt_seconds), stats.generated_tokens,
               stats.generate_seconds, rate(stats.generated_tokens, stats.generate_seconds));
  return 0;
}

}  // namespace radixlm
