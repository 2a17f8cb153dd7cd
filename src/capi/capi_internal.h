// Shared by the C API files.
#ifndef RADIXLM_CAPI_CAPI_INTERNAL_H_
#define RADIXLM_CAPI_CAPI_INTERNAL_H_

#include <string>

namespace radixlm {

// malloc'ed copy of message (free with rlm_free_error / MLXFreeError).
char* CopyError(const std::string& message);

}  // namespace radixlm

#endif  // RADIXLM_CAPI_CAPI_INTERNAL_H_
