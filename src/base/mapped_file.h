// MappedFile: a read-only memory map of a whole file.
//
// Thread safety: immutable after Open; data() may be read from any thread.
#ifndef RADIXLM_BASE_MAPPED_FILE_H_
#define RADIXLM_BASE_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace radixlm {

class MappedFile {
 public:
  // Maps `path` read-only. On success *out owns the mapping.
  static Status Open(const std::string& path, std::unique_ptr<MappedFile>* out);
  // Wraps a caller-owned buffer (no copy, no unmap); used by fuzzers and
  // tests. REQUIRES: `data` outlives the returned object.
  static std::unique_ptr<MappedFile> FromBuffer(const void* data, size_t size);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(const uint8_t* data, size_t size, bool owned, std::string path)
      : data_(data), size_(size), owned_(owned), path_(std::move(path)) {}
  const uint8_t* data_;
  size_t size_;
  bool owned_;
  std::string path_;
};

// Reads a whole (small) file into *out.
Status ReadFileToString(const std::string& path, std::string* out);

}  // namespace radixlm

#endif  // RADIXLM_BASE_MAPPED_FILE_H_
