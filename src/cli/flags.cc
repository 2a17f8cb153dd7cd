#include "cli/flags.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace radixlm {

namespace {

std::vector<std::string> SplitNames(const std::string& names) {
  std::vector<std::string> out;
  std::stringstream ss(names);
  std::string n;
  while (std::getline(ss, n, ',')) out.push_back(n);
  return out;
}

std::string FormatFloat(float v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

void FlagParser::Add(const std::string& names, const std::string& help, std::string default_text,
                     bool takes_value, std::function<Status(const std::string&)> set) {
  flags_.push_back(Flag{SplitNames(names), help, std::move(default_text), takes_value,
                        std::move(set)});
}

void FlagParser::AddString(const std::string& names, std::string* target,
                           const std::string& help) {
  Add(names, help, target->empty() ? "" : "\"" + *target + "\"", true,
      [target](const std::string& v) {
        *target = v;
        return Status::Ok();
      });
}

void FlagParser::AddInt(const std::string& names, int32_t* target, const std::string& help) {
  Add(names, help, std::to_string(*target), true, [target, names](const std::string& v) {
    char* end = nullptr;
    errno = 0;
    long x = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || x < INT32_MIN || x > INT32_MAX) {
      return Status::InvalidArgument(names + ": '" + v + "' is not an integer");
    }
    *target = static_cast<int32_t>(x);
    return Status::Ok();
  });
}

void FlagParser::AddUint64(const std::string& names, uint64_t* target, const std::string& help) {
  Add(names, help, std::to_string(*target), true, [target, names](const std::string& v) {
    char* end = nullptr;
    errno = 0;
    unsigned long long x = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || v[0] == '-' || *end != '\0' || errno != 0) {
      return Status::InvalidArgument(names + ": '" + v + "' is not a non-negative integer");
    }
    *target = x;
    return Status::Ok();
  });
}

void FlagParser::AddFloat(const std::string& names, float* target, const std::string& help) {
  Add(names, help, FormatFloat(*target), true, [target, names](const std::string& v) {
    char* end = nullptr;
    errno = 0;
    float x = std::strtof(v.c_str(), &end);
    if (v.empty() || *end != '\0' || errno != 0) {
      return Status::InvalidArgument(names + ": '" + v + "' is not a number");
    }
    *target = x;
    return Status::Ok();
  });
}

void FlagParser::AddBool(const std::string& names, bool* target, const std::string& help) {
  Add(names, help, "", false, [target](const std::string&) {
    *target = true;
    return Status::Ok();
  });
}

void FlagParser::AddList(const std::string& names, std::vector<std::string>* target,
                         const std::string& help) {
  Add(names, help, "", true, [target](const std::string& v) {
    target->push_back(v);
    return Status::Ok();
  });
}

Status FlagParser::Parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      help_requested_ = true;
      continue;
    }
    std::string value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
    }
    const Flag* flag = nullptr;
    for (const Flag& f : flags_) {
      for (const std::string& n : f.names) {
        if (n == arg) flag = &f;
      }
    }
    if (flag == nullptr) return Status::InvalidArgument("unknown flag '" + arg + "' (see --help)");
    if (flag->takes_value && !has_inline) {
      if (i + 1 >= argc) return Status::InvalidArgument(arg + " needs a value");
      value = argv[++i];
    }
    RLM_RETURN_IF_ERROR(flag->set(value));
  }
  return Status::Ok();
}

std::string FlagParser::Help() const {
  std::ostringstream os;
  os << "usage: " << usage_ << "\n\noptions:\n";
  for (const Flag& f : flags_) {
    std::string names;
    for (size_t i = 0; i < f.names.size(); ++i) names += (i ? ", " : "") + f.names[i];
    if (f.takes_value) names += " N";
    os << "  " << names;
    if (names.size() < 26) os << std::string(26 - names.size(), ' ');
    else os << "\n" << std::string(28, ' ');
    os << f.help;
    if (!f.default_text.empty()) os << " (default: " << f.default_text << ")";
    os << "\n";
  }
  os << "  -h, --help                show this help\n";
  return os.str();
}

}  // namespace radixlm
