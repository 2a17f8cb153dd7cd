// libFuzzer target: GgufFile::Parse on arbitrary bytes. Every value and
// tensor range handed out must be readable; an accepted file must survive a
// GgufWriter round trip unchanged.
#include <cstdio>
#include <cstring>

#include "format/gguf.h"
#include "format/gguf_writer.h"

namespace radixlm {
namespace {

[[noreturn]] void Fail(const char* what, const Status& s = Status()) {
  std::fprintf(stderr, "gguf round trip failed: %s: %s\n", what, s.ToString().c_str());
  __builtin_trap();
}

void RoundTrip(const GgufFile& g) {
  GgufWriter w;
  for (const auto& [key, value] : g.metadata()) {
    Status s = w.CopyKeyFrom(g, key);
    if (!s.ok()) Fail("CopyKeyFrom", s);
  }
  for (const auto& t : g.tensors()) {
    Status s = w.AddTensor(t.name, t.dims, t.type, t.data, t.n_bytes);
    if (!s.ok()) Fail("AddTensor", s);
  }
  const std::string bytes = w.Serialize();
  std::unique_ptr<GgufFile> h;
  Status s = GgufFile::Parse(MappedFile::FromBuffer(bytes.data(), bytes.size()), &h);
  if (!s.ok()) Fail("reparse", s);
  if (h->metadata().size() != g.metadata().size() || h->tensors().size() != g.tensors().size()) {
    Fail("counts");
  }
  for (size_t i = 0; i < g.metadata().size(); i++) {
    if (h->metadata()[i].first != g.metadata()[i].first ||
        GgufFile::ValueToString(h->metadata()[i].second) !=
            GgufFile::ValueToString(g.metadata()[i].second)) {
      Fail("metadata");
    }
  }
  for (size_t i = 0; i < g.tensors().size(); i++) {
    const GgufTensorInfo& a = g.tensors()[i];
    const GgufTensorInfo& b = h->tensors()[i];
    if (a.name != b.name || a.dims != b.dims || a.type != b.type || a.n_bytes != b.n_bytes ||
        (a.n_bytes > 0 && std::memcmp(a.data, b.data, a.n_bytes) != 0)) {
      Fail("tensor");
    }
  }
}

}  // namespace
}  // namespace radixlm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace radixlm;
  std::unique_ptr<GgufFile> g;
  if (!GgufFile::Parse(MappedFile::FromBuffer(data, size), &g).ok()) return 0;
  for (const auto& [key, value] : g->metadata()) {
    (void)GgufFile::ValueToString(value);
    std::string s;
    int64_t i;
    double f;
    bool b;
    std::vector<std::string> strs;
    std::vector<float> floats;
    std::vector<int64_t> ints;
    (void)g->GetString(key, &s);
    (void)g->GetInt(key, &i);
    (void)g->GetFloat(key, &f);
    (void)g->GetBool(key, &b);
    (void)g->GetStringArray(key, &strs);
    (void)g->GetFloatArray(key, &floats);
    (void)g->GetIntArray(key, &ints);
    if (g->Find(key) != &value) __builtin_trap();
  }
  volatile uint8_t sink = 0;
  for (const auto& t : g->tensors()) {
    if (g->FindTensor(t.name) != &t) __builtin_trap();
    if (t.data + t.n_bytes > data + size) __builtin_trap();
    if (t.n_bytes > 0) sink = sink + t.data[0] + t.data[t.n_bytes - 1];
  }
  RoundTrip(*g);
  return 0;
}
