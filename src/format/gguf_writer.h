// GgufWriter: builds a GGUF v3 file (metadata, tensor infos, aligned tensor
// data) and writes it to disk or to a string.
//
//   GgufWriter w;
//   w.AddString("general.architecture", "llama");
//   w.AddU32("llama.block_count", 2);
//   RLM_RETURN_IF_ERROR(w.AddTensor("output_norm.weight", {64}, DType::kF32,
//                                   norm.data(), norm.size() * 4));
//   RLM_RETURN_IF_ERROR(w.WriteFile("model.gguf"));
//
// Tensor data is not copied: a tensor added by pointer must stay valid until
// the last WriteFile/Serialize; a tensor added with a FillFn is produced at
// write time, one tensor at a time, so a multi-GB file can be streamed while
// holding only its largest tensor in memory.
//
// Thread safety: none; use from one thread (the FillFns run on it too).
#ifndef RADIXLM_FORMAT_GGUF_WRITER_H_
#define RADIXLM_FORMAT_GGUF_WRITER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "format/gguf.h"

namespace radixlm {

class GgufWriter {
 public:
  // Fills dst[0, bytes) with a tensor's encoded data.
  using FillFn = std::function<void(uint8_t* dst, size_t bytes)>;

  GgufWriter() = default;
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // Metadata setters. Keys keep the order of their first setting; setting a
  // key again replaces its value (and type) in place.
  void AddString(std::string_view key, std::string_view value);
  void AddU32(std::string_view key, uint32_t value);
  void AddI32(std::string_view key, int32_t value);
  void AddU64(std::string_view key, uint64_t value);
  void AddF32(std::string_view key, float value);
  void AddBool(std::string_view key, bool value);
  void AddStringArray(std::string_view key, const std::vector<std::string>& values);
  void AddF32Array(std::string_view key, const std::vector<float>& values);
  void AddI32Array(std::string_view key, const std::vector<int32_t>& values);
  // Copies src's value for `key` (any type, arrays included) verbatim.
  // NotFound when src lacks the key.
  Status CopyKeyFrom(const GgufFile& src, std::string_view key);
  // Sets the data alignment and the general.alignment key (u32).
  // REQUIRES: alignment is a power of two in [1, 2^30]. Setting
  // general.alignment through AddU32 or CopyKeyFrom to such a value also
  // sets the data alignment (default 32).
  void SetAlignment(uint32_t alignment);
  uint64_t alignment() const { return alignment_; }

  // Adds a tensor whose encoded bytes are data[0, bytes). dims[0] is the
  // fastest-varying dimension (GGML's ne[0]), at most 4 dims.
  // InvalidArgument for a duplicate or empty name, > 4 dims, an unsupported
  // type, dims[0] not a multiple of the type's block size, or `bytes` not the
  // size the dims and type imply. REQUIRES: data outlives the writes.
  Status AddTensor(std::string_view name, const std::vector<uint64_t>& dims, DType type,
                   const void* data, size_t bytes);
  // Same, with the data produced by `fill` when the file is written.
  Status AddTensor(std::string_view name, const std::vector<uint64_t>& dims, DType type,
                   FillFn fill);

  // Writes the file (to path + ".tmp", then renamed over path). IOError on
  // failure, with no file left at path.
  Status WriteFile(const std::string& path) const;
  // The whole file as a string (for tests and small files).
  std::string Serialize() const;

 private:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    DType type;
    uint64_t n_bytes;
    const void* data;
    FillFn fill;
  };
  // Receives consecutive chunks of the file.
  using Sink = std::function<Status(const void* data, size_t n)>;

  void SetRaw(std::string_view key, std::string encoded_type_and_value);
  Status CheckTensor(std::string_view name, const std::vector<uint64_t>& dims, DType type,
                     uint64_t* n_bytes) const;
  Status WriteTo(const Sink& sink) const;

  uint64_t alignment_ = 32;
  // key -> encoded (u32 type, value), in insertion order.
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::unordered_map<std::string, size_t> metadata_index_;
  std::vector<Tensor> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace radixlm

#endif  // RADIXLM_FORMAT_GGUF_WRITER_H_
