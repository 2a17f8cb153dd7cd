// FlagParser: command-line flags with llama.cpp-style short and long names
// ("-m/--model"), typed targets, defaults shown in --help.
#ifndef RADIXLM_CLI_FLAGS_H_
#define RADIXLM_CLI_FLAGS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace radixlm {

class FlagParser {
 public:
  // usage: first line of --help, e.g. "radixlm generate -m MODEL [options]".
  explicit FlagParser(std::string usage) : usage_(std::move(usage)) {}

  // names: comma-separated spellings, e.g. "-m,--model".
  void AddString(const std::string& names, std::string* target, const std::string& help);
  void AddInt(const std::string& names, int32_t* target, const std::string& help);
  void AddUint64(const std::string& names, uint64_t* target, const std::string& help);
  void AddFloat(const std::string& names, float* target, const std::string& help);
  // A switch without a value: sets *target = true.
  void AddBool(const std::string& names, bool* target, const std::string& help);
  // Repeatable: each occurrence appends.
  void AddList(const std::string& names, std::vector<std::string>* target,
               const std::string& help);

  // Parses argv[first..argc). Sets help_requested() on -h/--help.
  // InvalidArgument names the offending flag or value.
  Status Parse(int argc, char** argv, int first);
  bool help_requested() const { return help_requested_; }
  std::string Help() const;

 private:
  struct Flag {
    std::vector<std::string> names;
    std::string help;
    std::string default_text;
    bool takes_value = true;
    std::function<Status(const std::string&)> set;
  };
  void Add(const std::string& names, const std::string& help, std::string default_text,
           bool takes_value, std::function<Status(const std::string&)> set);

  std::string usage_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

}  // namespace radixlm

#endif  // RADIXLM_CLI_FLAGS_H_
