// libFuzzer target: SafetensorsFile::Parse on arbitrary bytes, then every
// tensor converted and every metadata entry read.
#include "format/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace radixlm;
  std::unique_ptr<SafetensorsFile> st;
  if (!SafetensorsFile::Parse(MappedFile::FromBuffer(data, size), &st).ok()) return 0;
  size_t total = 0;
  for (const auto& [k, v] : st->metadata()) total += k.size() + v.size();
  for (const auto& t : st->tensors()) {
    if (st->Find(t.name) != &t) __builtin_trap();
    if (t.data < data || t.data + t.n_bytes > data + size) __builtin_trap();
    std::vector<float> f;
    std::vector<int64_t> i;
    if (SafetensorsFile::ToFloat(t, &f).ok() && f.size() != t.n_elements) __builtin_trap();
    if (SafetensorsFile::ToInt(t, &i).ok() && i.size() != t.n_elements) __builtin_trap();
  }
  (void)total;
  return 0;
}
