// radixlm: command-line entry point.
#include <cstdio>
#include <cstring>

#include "cli/commands.h"

namespace {

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: radixlm <command> [options]\n\n"
               "commands:\n"
               "  generate     generate text from a prompt (streams to stdout)\n"
               "  info         describe a model file (architecture, sizes, types, tokenizer)\n"
               "  bench        prefill/decode tokens/s like llama-bench (-m -p -n -t -r -o)\n"
               "  bench-cache  time what the radix cache saves on a shared-prefix prompt\n"
               "  serve        OpenAI-compatible HTTP server (completions, chat, metrics)\n\n"
               "Run 'radixlm <command> --help' for the command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  const char* cmd = argv[1];
  if (std::strcmp(cmd, "-h") == 0 || std::strcmp(cmd, "--help") == 0 ||
      std::strcmp(cmd, "help") == 0) {
    PrintUsage(stdout);
    return 0;
  }
  if (std::strcmp(cmd, "generate") == 0) return radixlm::GenerateCommand(argc, argv, 2);
  if (std::strcmp(cmd, "info") == 0) return radixlm::InfoCommand(argc, argv, 2);
  if (std::strcmp(cmd, "bench") == 0) return radixlm::BenchCommand(argc, argv, 2);
  if (std::strcmp(cmd, "bench-cache") == 0) return radixlm::BenchCacheCommand(argc, argv, 2);
  if (std::strcmp(cmd, "serve") == 0) return radixlm::ServeCommand(argc, argv, 2);
  std::fprintf(stderr, "radixlm: unknown command '%s' (see radixlm --help)\n", cmd);
  return 2;
}
