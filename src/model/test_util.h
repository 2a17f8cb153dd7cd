// Helpers shared by tests that need model files from the repository.
#ifndef RADIXLM_MODEL_TEST_UTIL_H_
#define RADIXLM_MODEL_TEST_UTIL_H_

#include <string>

namespace radixlm {

// Absolute path of a file under the repository root.
inline std::string RepoPath(const std::string& relative) {
  return std::string(RADIXLM_SOURCE_DIR) + "/" + relative;
}

inline std::string StoriesModelPath() { return RepoPath("models/stories260K/stories260K.bin"); }

}  // namespace radixlm

#endif  // RADIXLM_MODEL_TEST_UTIL_H_
