// The radixlm subcommands. Each parses its own flags (argv[first..]) and
// returns the process exit code; errors print one line to stderr.
#ifndef RADIXLM_CLI_COMMANDS_H_
#define RADIXLM_CLI_COMMANDS_H_

namespace radixlm {

int GenerateCommand(int argc, char** argv, int first);
int InfoCommand(int argc, char** argv, int first);
int BenchCacheCommand(int argc, char** argv, int first);
// radixlm bench: llama-bench-style prefill (pp) and decode (tg) tokens/s.
int BenchCommand(int argc, char** argv, int first);
int ServeCommand(int argc, char** argv, int first);

}  // namespace radixlm

#endif  // RADIXLM_CLI_COMMANDS_H_
