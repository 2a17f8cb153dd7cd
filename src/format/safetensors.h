// SafetensorsFile: a parsed, memory-mapped .safetensors file
// (8-byte little-endian header length, JSON header, then raw data).
//
// Validation: header length within the file, JSON well formed, every entry's
// dtype known, shape product * element size == data_offsets span, offsets
// inside the data section, no overlap checks beyond bounds.
//
// Thread safety: immutable after Open.
#ifndef RADIXLM_FORMAT_SAFETENSORS_H_
#define RADIXLM_FORMAT_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/mapped_file.h"
#include "base/status.h"

namespace radixlm {

enum class StDType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kU32, kBool };

struct SafetensorInfo {
  std::string name;
  StDType dtype = StDType::kF32;
  std::vector<uint64_t> shape;  // row-major, shape[0] slowest
  const uint8_t* data = nullptr;
  uint64_t n_bytes = 0;
  uint64_t n_elements = 0;
};

class SafetensorsFile {
 public:
  static Status Open(const std::string& path, std::unique_ptr<SafetensorsFile>* out);
  static Status Parse(std::unique_ptr<MappedFile> file, std::unique_ptr<SafetensorsFile>* out);
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::vector<SafetensorInfo>& tensors() const { return tensors_; }
  const SafetensorInfo* Find(std::string_view name) const;
  // "__metadata__" string entries.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Copies a tensor into float32 (from F32/F16/BF16/F64). InvalidArgument for
  // other dtypes.
  static Status ToFloat(const SafetensorInfo& t, std::vector<float>* out);
  // Copies an integer tensor (I32/I64/I16/I8/U8/U32) into int64.
  static Status ToInt(const SafetensorInfo& t, std::vector<int64_t>* out);

 private:
  SafetensorsFile() = default;
  std::unique_ptr<MappedFile> file_;
  std::vector<SafetensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace radixlm

#endif  // RADIXLM_FORMAT_SAFETENSORS_H_
