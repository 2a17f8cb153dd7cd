#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace radixlm {

void CheckFailed(const char* file, int line, const char* cond, const char* msg) {
  std::fprintf(stderr, "%s:%d: CHECK failed: %s%s%s\n", file, line, cond,
               msg ? ": " : "", msg ? msg : "");
  std::abort();
}

}  // namespace radixlm
