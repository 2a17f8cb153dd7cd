#include "format/gguf.h"

#include <cinttypes>
#include <cstdarg>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "format/gguf_internal.h"

namespace radixlm {

namespace {

constexpr uint32_t kMaxDims = 4;
// Smallest possible encodings, used to bound counts by the bytes left.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;            // key len, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name len, n_dims, type, offset

std::string Fmt(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return buf;
}

// Truncates a name taken from the file for use in an error message.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 64) out += "...";
  return out + "'";
}

// A bounds-checked little-endian cursor over the mapped bytes. Every read
// checks the bytes left first; on failure it returns Corruption naming the
// field and the offset.
class Reader {
 public:
  Reader(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  Status Bytes(uint64_t n, const char* what, const uint8_t** out) {
    if (n > left()) {
      return Status::Corruption(Fmt("gguf: %s at offset %" PRIu64 " needs %" PRIu64
                                    " bytes, only %" PRIu64 " left in file of %" PRIu64,
                                    what, pos_, n, left(), size_));
    }
    *out = data_ + pos_;
    pos_ += n;
    return Status::Ok();
  }

  template <typename T>
  Status Scalar(const char* what, T* out) {
    const uint8_t* p = nullptr;
    RLM_RETURN_IF_ERROR(Bytes(sizeof(T), what, &p));
    std::memcpy(out, p, sizeof(T));
    return Status::Ok();
  }

  Status String(const char* what, std::string_view* out) {
    uint64_t start = pos_;
    uint64_t len;
    RLM_RETURN_IF_ERROR(Scalar(what, &len));
    if (len > left()) {
      return Status::Corruption(Fmt("gguf: %s at offset %" PRIu64 ": string length %" PRIu64
                                    " exceeds the %" PRIu64 " bytes left",
                                    what, start, len, left()));
    }
    const uint8_t* p = nullptr;
    RLM_RETURN_IF_ERROR(Bytes(len, what, &p));
    *out = std::string_view(reinterpret_cast<const char*>(p), len);
    return Status::Ok();
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

Status ReadScalarValue(Reader* r, GgufType type, const std::string& ctx, GgufValue* v) {
  const char* what = ctx.c_str();
  switch (type) {
    case GgufType::kUint8: { uint8_t x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.u64 = x; break; }
    case GgufType::kUint16: { uint16_t x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.u64 = x; break; }
    case GgufType::kUint32: { uint32_t x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.u64 = x; break; }
    case GgufType::kUint64: { uint64_t x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.u64 = x; break; }
    case GgufType::kInt8: { int8_t x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.i64 = x; break; }
    case GgufType::kInt16: { int16_t x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.i64 = x; break; }
    case GgufType::kInt32: { int32_t x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.i64 = x; break; }
    case GgufType::kInt64: { int64_t x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.i64 = x; break; }
    case GgufType::kFloat32: { float x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.f64 = x; break; }
    case GgufType::kFloat64: { double x; RLM_RETURN_IF_ERROR(r->Scalar(what, &x)); v->scalar.f64 = x; break; }
    case GgufType::kBool: {
      uint64_t at = r->pos();
      uint8_t x;
      RLM_RETURN_IF_ERROR(r->Scalar(what, &x));
      if (x > 1) {
        return Status::Corruption(Fmt("gguf: %s at offset %" PRIu64 ": bool byte is %u, not 0 or 1",
                                      what, at, x));
      }
      v->scalar.b = x != 0;
      break;
    }
    case GgufType::kString:
      RLM_RETURN_IF_ERROR(r->String(what, &v->str));
      break;
    case GgufType::kArray:
      break;  // not a scalar; the caller handles arrays
  }
  return Status::Ok();
}

Status ReadValue(Reader* r, uint32_t raw_type, const std::string& key, GgufValue* v) {
  const std::string ctx = "metadata " + Quote(key);
  if (!GgufTypeValid(raw_type)) {
    return Status::Corruption(Fmt("gguf: %s before offset %" PRIu64 ": unknown value type %u",
                                  ctx.c_str(), r->pos(), raw_type));
  }
  v->type = static_cast<GgufType>(raw_type);
  if (v->type != GgufType::kArray) return ReadScalarValue(r, v->type, ctx, v);

  uint64_t at = r->pos();
  uint32_t raw_elem;
  RLM_RETURN_IF_ERROR(r->Scalar((ctx + " array type").c_str(), &raw_elem));
  if (!GgufTypeValid(raw_elem)) {
    return Status::Corruption(Fmt("gguf: %s at offset %" PRIu64 ": unknown array element type %u",
                                  ctx.c_str(), at, raw_elem));
  }
  if (static_cast<GgufType>(raw_elem) == GgufType::kArray) {
    return Status::Corruption(Fmt("gguf: %s at offset %" PRIu64 ": nested arrays are not supported",
                                  ctx.c_str(), at));
  }
  v->array_type = static_cast<GgufType>(raw_elem);
  RLM_RETURN_IF_ERROR(r->Scalar((ctx + " array count").c_str(), &v->array_size));
  const uint64_t min_elem = v->array_type == GgufType::kString
                                ? 8 : GgufScalarSize(v->array_type);
  if (v->array_size > r->left() / min_elem) {
    return Status::Corruption(Fmt("gguf: %s at offset %" PRIu64 ": array of %" PRIu64
                                  " elements of %" PRIu64 "+ bytes exceeds the %" PRIu64
                                  " bytes left",
                                  ctx.c_str(), at, v->array_size, min_elem, r->left()));
  }
  if (v->array_type == GgufType::kString) {
    v->strings.resize(v->array_size);
    const std::string what = ctx + " array string";
    for (auto& s : v->strings) RLM_RETURN_IF_ERROR(r->String(what.c_str(), &s));
  } else {
    RLM_RETURN_IF_ERROR(r->Bytes(v->array_size * min_elem, ctx.c_str(), &v->array_data));
  }
  return Status::Ok();
}

// Validates one tensor info against the file and fills n_elements/n_bytes.
Status CheckTensorShape(GgufTensorInfo* t) {
  uint64_t n;
  if (!GgufElementCount(t->dims, &n)) {
    return Status::Corruption("gguf: tensor " + Quote(t->name) +
                              ": element count overflows (dims " + GgufDimsToString(t->dims) +
                              ")");
  }
  const uint64_t ne0 = t->dims.empty() ? 1 : t->dims[0];
  const uint64_t block = DTypeBlockSize(t->type);
  if (ne0 % block != 0) {
    return Status::Corruption(Fmt("gguf: tensor %s: ne[0] = %" PRIu64 " is not a multiple of "
                                  "the %s block size %" PRIu64,
                                  Quote(t->name).c_str(), ne0, DTypeName(t->type), block));
  }
  t->n_elements = n;
  if (__builtin_mul_overflow(n / block, static_cast<uint64_t>(DTypeBlockBytes(t->type)),
                             &t->n_bytes)) {
    return Status::Corruption("gguf: tensor " + Quote(t->name) + ": byte size overflows");
  }
  return Status::Ok();
}

}  // namespace

bool GgufTypeValid(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::kFloat64); }

uint64_t GgufScalarSize(GgufType t) {
  switch (t) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kBool: return 1;
    case GgufType::kUint16: case GgufType::kInt16: return 2;
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kFloat32: return 4;
    case GgufType::kUint64: case GgufType::kInt64: case GgufType::kFloat64: return 8;
    case GgufType::kString: case GgufType::kArray: return 0;
  }
  return 0;
}

bool GgufElementCount(const std::vector<uint64_t>& dims, uint64_t* n) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t p = 1;
  for (uint64_t d : dims) {
    if (d > kMax || __builtin_mul_overflow(p, d, &p) || p > kMax) return false;
  }
  *n = p;
  return true;
}

std::string GgufDimsToString(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); i++) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

Status GgufFile::Open(const std::string& path, std::unique_ptr<GgufFile>* out) {
  std::unique_ptr<MappedFile> file;
  RLM_RETURN_IF_ERROR(MappedFile::Open(path, &file));
  return Parse(std::move(file), out).WithContext(path);
}

Status GgufFile::Parse(std::unique_ptr<MappedFile> file, std::unique_ptr<GgufFile>* out) {
  std::unique_ptr<GgufFile> g(new GgufFile());
  const uint8_t* base = file->data();
  const uint64_t size = file->size();
  g->file_ = std::move(file);
  Reader r(base, size);

  const uint8_t* magic = nullptr;
  RLM_RETURN_IF_ERROR(r.Bytes(4, "magic", &magic));
  if (std::memcmp(magic, "GGUF", 4) != 0) {
    return Status::InvalidArgument(Fmt("gguf: bad magic %02x %02x %02x %02x (want \"GGUF\")",
                                       magic[0], magic[1], magic[2], magic[3]));
  }
  RLM_RETURN_IF_ERROR(r.Scalar("version", &g->version_));
  if (g->version_ == 1) return Status::InvalidArgument("gguf: unsupported GGUF version 1");
  if (g->version_ != 2 && g->version_ != 3) {
    const bool swapped = g->version_ == 0x02000000u || g->version_ == 0x03000000u;
    return Status::InvalidArgument(Fmt("gguf: unsupported GGUF version %u (supported: 2, 3)%s",
                                       g->version_, swapped ? "; big-endian file?" : ""));
  }
  uint64_t n_tensors, n_kv;
  RLM_RETURN_IF_ERROR(r.Scalar("tensor count", &n_tensors));
  RLM_RETURN_IF_ERROR(r.Scalar("metadata count", &n_kv));
  if (n_kv > r.left() / kMinKvBytes) {
    return Status::Corruption(Fmt("gguf: metadata count %" PRIu64 " cannot fit in the %" PRIu64
                                  " bytes left", n_kv, r.left()));
  }
  if (n_tensors > r.left() / kMinTensorInfoBytes) {
    return Status::Corruption(Fmt("gguf: tensor count %" PRIu64 " cannot fit in the %" PRIu64
                                  " bytes left", n_tensors, r.left()));
  }

  // Metadata.
  g->metadata_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; i++) {
    const uint64_t at = r.pos();
    const std::string what = Fmt("metadata key #%" PRIu64, i);
    std::string_view key;
    RLM_RETURN_IF_ERROR(r.String(what.c_str(), &key));
    uint32_t raw_type;
    RLM_RETURN_IF_ERROR(r.Scalar((what + " type").c_str(), &raw_type));
    std::string key_str(key);
    GgufValue v;
    RLM_RETURN_IF_ERROR(ReadValue(&r, raw_type, key_str, &v));
    if (!g->metadata_index_.emplace(key_str, g->metadata_.size()).second) {
      return Status::Corruption(Fmt("gguf: duplicate metadata key %s at offset %" PRIu64,
                                    Quote(key).c_str(), at));
    }
    g->metadata_.emplace_back(std::move(key_str), std::move(v));
  }

  if (const GgufValue* a = g->Find("general.alignment")) {
    int64_t align = 0;
    Status s = g->GetInt("general.alignment", &align);
    if (!s.ok()) return Status::Corruption(s.message());
    if (align <= 0 || (align & (align - 1)) != 0 || align > (1 << 30)) {
      return Status::Corruption("gguf: general.alignment " + ValueToString(*a) +
                                " is not a power of two in [1, 2^30]");
    }
    g->alignment_ = static_cast<uint64_t>(align);
  }

  // Tensor infos.
  g->tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; i++) {
    const uint64_t at = r.pos();
    const std::string what = Fmt("tensor info #%" PRIu64, i);
    GgufTensorInfo t;
    std::string_view name;
    RLM_RETURN_IF_ERROR(r.String((what + " name").c_str(), &name));
    if (name.empty()) {
      return Status::Corruption(Fmt("gguf: %s at offset %" PRIu64 " has an empty name",
                                    what.c_str(), at));
    }
    t.name = std::string(name);
    const std::string ctx = "tensor " + Quote(name);
    uint32_t n_dims;
    RLM_RETURN_IF_ERROR(r.Scalar((ctx + " n_dims").c_str(), &n_dims));
    if (n_dims > kMaxDims) {
      return Status::Corruption(Fmt("gguf: %s at offset %" PRIu64 ": n_dims %u exceeds %u",
                                    ctx.c_str(), at, n_dims, kMaxDims));
    }
    t.dims.resize(n_dims);
    for (auto& d : t.dims) RLM_RETURN_IF_ERROR(r.Scalar((ctx + " dims").c_str(), &d));
    uint32_t raw_type;
    RLM_RETURN_IF_ERROR(r.Scalar((ctx + " type").c_str(), &raw_type));
    if (!IsSupportedDType(raw_type)) {
      return Status::InvalidArgument(Fmt("gguf: %s: unsupported tensor type id %u",
                                         ctx.c_str(), raw_type));
    }
    t.type = static_cast<DType>(raw_type);
    RLM_RETURN_IF_ERROR(r.Scalar((ctx + " offset").c_str(), &t.offset));
    RLM_RETURN_IF_ERROR(CheckTensorShape(&t));
    if (t.offset % g->alignment_ != 0) {
      return Status::Corruption(Fmt("gguf: %s: offset %" PRIu64 " is not a multiple of the "
                                    "alignment %" PRIu64, ctx.c_str(), t.offset, g->alignment_));
    }
    if (!g->tensor_index_.emplace(t.name, g->tensors_.size()).second) {
      return Status::Corruption(Fmt("gguf: duplicate tensor name %s at offset %" PRIu64,
                                    Quote(name).c_str(), at));
    }
    g->tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment. A file
  // with no tensor bytes may end before it (llama.cpp's vocab-only files do).
  const uint64_t data_start = (r.pos() + g->alignment_ - 1) / g->alignment_ * g->alignment_;
  for (auto& t : g->tensors_) {
    uint64_t begin, end;
    if (__builtin_add_overflow(data_start, t.offset, &begin) ||
        __builtin_add_overflow(begin, t.n_bytes, &end)) {
      return Status::Corruption(Fmt("gguf: tensor %s: data offset %" PRIu64 " + %" PRIu64
                                    " bytes overflows", Quote(t.name).c_str(), t.offset,
                                    t.n_bytes));
    }
    if (end > size) {
      return Status::Corruption(Fmt("gguf: tensor %s: data [%" PRIu64 ", %" PRIu64
                                    ") exceeds file size %" PRIu64,
                                    Quote(t.name).c_str(), begin, end, size));
    }
    t.data = t.n_bytes == 0 ? nullptr : base + begin;
  }
  *out = std::move(g);
  return Status::Ok();
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = metadata_index_.find(std::string(key));
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace radixlm
