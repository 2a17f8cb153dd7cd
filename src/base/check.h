// RLM_CHECK: the one way to abort on a broken invariant (a bug, never bad
// input). Prints file:line and the failed condition, then aborts.
#ifndef RADIXLM_BASE_CHECK_H_
#define RADIXLM_BASE_CHECK_H_

namespace radixlm {
[[noreturn]] void CheckFailed(const char* file, int line, const char* cond, const char* msg);
}  // namespace radixlm

#define RLM_CHECK(cond)                                                    \
  do {                                                                     \
    if (__builtin_expect(!(cond), 0))                                      \
      ::radixlm::CheckFailed(__FILE__, __LINE__, #cond, nullptr);          \
  } while (0)

#define RLM_CHECK_MSG(cond, msg)                                           \
  do {                                                                     \
    if (__builtin_expect(!(cond), 0))                                      \
      ::radixlm::CheckFailed(__FILE__, __LINE__, #cond, (msg));            \
  } while (0)

#endif  // RADIXLM_BASE_CHECK_H_
