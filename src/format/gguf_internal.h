// Helpers shared by the GGUF reader and writer (not part of the public
// format API).
#ifndef RADIXLM_FORMAT_GGUF_INTERNAL_H_
#define RADIXLM_FORMAT_GGUF_INTERNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "format/gguf.h"

namespace radixlm {

// True for the value type ids GGUF v3 defines (0..12).
bool GgufTypeValid(uint32_t t);
// Encoded size of a scalar of type t; 0 for kString and kArray.
uint64_t GgufScalarSize(GgufType t);
// "u8", "i32", "f32", "string", "array", ...
const char* GgufTypeName(GgufType t);
// Sets *n to the product of dims (1 for none). False when a dim or a
// partial product exceeds INT64_MAX (the GGUF limit, as in GGML).
bool GgufElementCount(const std::vector<uint64_t>& dims, uint64_t* n);
// "[4096, 32000]".
std::string GgufDimsToString(const std::vector<uint64_t>& dims);

}  // namespace radixlm

#endif  // RADIXLM_FORMAT_GGUF_INTERNAL_H_
