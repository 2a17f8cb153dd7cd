// GgufFile: a parsed, memory-mapped GGUF (v2 or v3) file.
//
// Parsing validates everything a later reader relies on: magic, version,
// counts against the file size, every string and array length, metadata
// value types, tensor dims (no overflow), tensor types (known to DType),
// tensor data alignment and that each tensor's bytes lie inside the file.
// A hostile file yields a Corruption/InvalidArgument Status, never a crash.
//
// Thread safety: immutable after Open/Parse; safe to read from any thread.
#ifndef RADIXLM_FORMAT_GGUF_H_
#define RADIXLM_FORMAT_GGUF_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/dtype.h"
#include "base/mapped_file.h"
#include "base/status.h"

namespace radixlm {

enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// One metadata value. Scalars live in the union; strings as a view into the
// mapped file; arrays as element type + count + a pointer to the first
// element's bytes in the file (string arrays are pre-split into `strings`).
struct GgufValue {
  GgufType type = GgufType::kUint8;
  union {
    uint64_t u64;
    int64_t i64;
    double f64;
    bool b;
  } scalar{};
  std::string_view str;                 // kString
  GgufType array_type = GgufType::kUint8;  // kArray
  uint64_t array_size = 0;              // kArray
  const uint8_t* array_data = nullptr;  // kArray of non-string scalars
  std::vector<std::string_view> strings;  // kArray of strings
};

struct GgufTensorInfo {
  std::string name;
  // dims[0] is the fastest-varying (GGML's ne[0]); a 2-D weight [rows][cols]
  // has dims = {cols, rows}.
  std::vector<uint64_t> dims;
  DType type = DType::kF32;
  uint64_t offset = 0;            // from the start of the data section
  const uint8_t* data = nullptr;  // into the mapping
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
};

class GgufFile {
 public:
  // Maps and parses `path`.
  static Status Open(const std::string& path, std::unique_ptr<GgufFile>* out);
  // Parses an already mapped file (takes ownership).
  static Status Parse(std::unique_ptr<MappedFile> file, std::unique_ptr<GgufFile>* out);

  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::string& path() const { return file_->path(); }

  // Metadata, in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  // nullptr when absent.
  const GgufValue* Find(std::string_view key) const;

  // Typed getters: NotFound when absent, InvalidArgument on a type that does
  // not convert (any integer type converts to int64 if it fits; f32/f64 to
  // double; integers to double too).
  Status GetString(std::string_view key, std::string* out) const;
  Status GetInt(std::string_view key, int64_t* out) const;
  Status GetFloat(std::string_view key, double* out) const;
  Status GetBool(std::string_view key, bool* out) const;
  Status GetStringArray(std::string_view key, std::vector<std::string>* out) const;
  Status GetFloatArray(std::string_view key, std::vector<float>* out) const;
  Status GetIntArray(std::string_view key, std::vector<int64_t>* out) const;

  // Human-readable one-line rendering of a value (arrays abbreviated).
  static std::string ValueToString(const GgufValue& v);

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  // nullptr when absent.
  const GgufTensorInfo* FindTensor(std::string_view name) const;

 private:
  GgufFile() = default;
  std::unique_ptr<MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::unordered_map<std::string, size_t> metadata_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace radixlm

#endif  // RADIXLM_FORMAT_GGUF_H_
