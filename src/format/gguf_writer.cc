#include "format/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/check.h"
#include "format/gguf_internal.h"

namespace radixlm {

namespace {

template <typename T>
void Put(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

void PutString(std::string* out, std::string_view s) {
  Put<uint64_t>(out, s.size());
  out->append(s.data(), s.size());
}

void PutType(std::string* out, GgufType t) { Put<uint32_t>(out, static_cast<uint32_t>(t)); }

std::string EncodeScalar(GgufType t, const GgufValue& v) {
  std::string out;
  PutType(&out, t);
  switch (t) {
    case GgufType::kUint8: Put<uint8_t>(&out, static_cast<uint8_t>(v.scalar.u64)); break;
    case GgufType::kInt8: Put<int8_t>(&out, static_cast<int8_t>(v.scalar.i64)); break;
    case GgufType::kUint16: Put<uint16_t>(&out, static_cast<uint16_t>(v.scalar.u64)); break;
    case GgufType::kInt16: Put<int16_t>(&out, static_cast<int16_t>(v.scalar.i64)); break;
    case GgufType::kUint32: Put<uint32_t>(&out, static_cast<uint32_t>(v.scalar.u64)); break;
    case GgufType::kInt32: Put<int32_t>(&out, static_cast<int32_t>(v.scalar.i64)); break;
    case GgufType::kUint64: Put<uint64_t>(&out, v.scalar.u64); break;
    case GgufType::kInt64: Put<int64_t>(&out, v.scalar.i64); break;
    case GgufType::kFloat32: Put<float>(&out, static_cast<float>(v.scalar.f64)); break;
    case GgufType::kFloat64: Put<double>(&out, v.scalar.f64); break;
    case GgufType::kBool: Put<uint8_t>(&out, v.scalar.b ? 1 : 0); break;
    case GgufType::kString: PutString(&out, v.str); break;
    case GgufType::kArray: RLM_CHECK(false); break;
  }
  return out;
}

uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

void GgufWriter::SetRaw(std::string_view key, std::string encoded) {
  auto [it, inserted] = metadata_index_.emplace(std::string(key), metadata_.size());
  if (inserted) {
    metadata_.emplace_back(std::string(key), std::move(encoded));
  } else {
    metadata_[it->second].second = std::move(encoded);
  }
}

void GgufWriter::AddString(std::string_view key, std::string_view value) {
  GgufValue v;
  v.str = value;
  SetRaw(key, EncodeScalar(GgufType::kString, v));
}

void GgufWriter::AddU32(std::string_view key, uint32_t value) {
  if (key == "general.alignment" && value != 0 && value <= (1u << 30) &&
      (value & (value - 1)) == 0) {
    alignment_ = value;
  }
  GgufValue v;
  v.scalar.u64 = value;
  SetRaw(key, EncodeScalar(GgufType::kUint32, v));
}

void GgufWriter::AddI32(std::string_view key, int32_t value) {
  GgufValue v;
  v.scalar.i64 = value;
  SetRaw(key, EncodeScalar(GgufType::kInt32, v));
}

void GgufWriter::AddU64(std::string_view key, uint64_t value) {
  GgufValue v;
  v.scalar.u64 = value;
  SetRaw(key, EncodeScalar(GgufType::kUint64, v));
}

void GgufWriter::AddF32(std::string_view key, float value) {
  GgufValue v;
  v.scalar.f64 = value;
  SetRaw(key, EncodeScalar(GgufType::kFloat32, v));
}

void GgufWriter::AddBool(std::string_view key, bool value) {
  GgufValue v;
  v.scalar.b = value;
  SetRaw(key, EncodeScalar(GgufType::kBool, v));
}

void GgufWriter::AddStringArray(std::string_view key, const std::vector<std::string>& values) {
  std::string out;
  PutType(&out, GgufType::kArray);
  PutType(&out, GgufType::kString);
  Put<uint64_t>(&out, values.size());
  for (const auto& s : values) PutString(&out, s);
  SetRaw(key, std::move(out));
}

void GgufWriter::AddF32Array(std::string_view key, const std::vector<float>& values) {
  std::string out;
  PutType(&out, GgufType::kArray);
  PutType(&out, GgufType::kFloat32);
  Put<uint64_t>(&out, values.size());
  for (float f : values) Put<float>(&out, f);
  SetRaw(key, std::move(out));
}

void GgufWriter::AddI32Array(std::string_view key, const std::vector<int32_t>& values) {
  std::string out;
  PutType(&out, GgufType::kArray);
  PutType(&out, GgufType::kInt32);
  Put<uint64_t>(&out, values.size());
  for (int32_t x : values) Put<int32_t>(&out, x);
  SetRaw(key, std::move(out));
}

Status GgufWriter::CopyKeyFrom(const GgufFile& src, std::string_view key) {
  const GgufValue* v = src.Find(key);
  if (v == nullptr) {
    return Status::NotFound("gguf writer: source has no metadata key '" + std::string(key) + "'");
  }
  if (v->type != GgufType::kArray) {
    SetRaw(key, EncodeScalar(v->type, *v));
    int64_t a = 0;
    if (key == "general.alignment" && src.GetInt(key, &a).ok() && a > 0 && a <= (1 << 30) &&
        (a & (a - 1)) == 0) {
      alignment_ = static_cast<uint64_t>(a);
    }
    return Status::Ok();
  }
  std::string out;
  PutType(&out, GgufType::kArray);
  PutType(&out, v->array_type);
  Put<uint64_t>(&out, v->array_size);
  if (v->array_type == GgufType::kString) {
    for (std::string_view s : v->strings) PutString(&out, s);
  } else {
    out.append(reinterpret_cast<const char*>(v->array_data),
               v->array_size * GgufScalarSize(v->array_type));
  }
  SetRaw(key, std::move(out));
  return Status::Ok();
}

void GgufWriter::SetAlignment(uint32_t alignment) {
  RLM_CHECK(alignment != 0 && (alignment & (alignment - 1)) == 0 && alignment <= (1u << 30));
  AddU32("general.alignment", alignment);
}

Status GgufWriter::CheckTensor(std::string_view name, const std::vector<uint64_t>& dims,
                               DType type, uint64_t* n_bytes) const {
  const std::string ctx = "gguf writer: tensor '" + std::string(name) + "': ";
  if (name.empty()) return Status::InvalidArgument("gguf writer: empty tensor name");
  if (tensor_index_.count(std::string(name))) {
    return Status::InvalidArgument(ctx + "duplicate name");
  }
  if (dims.size() > 4) {
    return Status::InvalidArgument(ctx + std::to_string(dims.size()) + " dims, at most 4");
  }
  if (!IsSupportedDType(static_cast<uint32_t>(type))) {
    return Status::InvalidArgument(ctx + "unsupported type id " +
                                   std::to_string(static_cast<uint32_t>(type)));
  }
  uint64_t n;
  if (!GgufElementCount(dims, &n)) {
    return Status::InvalidArgument(ctx + "element count overflows");
  }
  const uint64_t ne0 = dims.empty() ? 1 : dims[0];
  const uint64_t block = DTypeBlockSize(type);
  if (ne0 % block != 0) {
    return Status::InvalidArgument(ctx + "ne[0] = " + std::to_string(ne0) +
                                   " is not a multiple of the " + DTypeName(type) +
                                   " block size " + std::to_string(block));
  }
  if (__builtin_mul_overflow(n / block, uint64_t{DTypeBlockBytes(type)}, n_bytes)) {
    return Status::InvalidArgument(ctx + "byte size overflows");
  }
  return Status::Ok();
}

Status GgufWriter::AddTensor(std::string_view name, const std::vector<uint64_t>& dims,
                             DType type, const void* data, size_t bytes) {
  uint64_t n_bytes;
  RLM_RETURN_IF_ERROR(CheckTensor(name, dims, type, &n_bytes));
  if (n_bytes != bytes) {
    return Status::InvalidArgument("gguf writer: tensor '" + std::string(name) + "': " +
                                   std::to_string(bytes) + " bytes given, " +
                                   GgufDimsToString(dims) + " " + DTypeName(type) + " needs " +
                                   std::to_string(n_bytes));
  }
  tensor_index_.emplace(std::string(name), tensors_.size());
  tensors_.push_back(Tensor{std::string(name), dims, type, n_bytes, data, nullptr});
  return Status::Ok();
}

Status GgufWriter::AddTensor(std::string_view name, const std::vector<uint64_t>& dims,
                             DType type, FillFn fill) {
  uint64_t n_bytes;
  RLM_RETURN_IF_ERROR(CheckTensor(name, dims, type, &n_bytes));
  tensor_index_.emplace(std::string(name), tensors_.size());
  tensors_.push_back(Tensor{std::string(name), dims, type, n_bytes, nullptr, std::move(fill)});
  return Status::Ok();
}

Status GgufWriter::WriteTo(const Sink& sink) const {
  std::string head;
  head.append("GGUF", 4);
  Put<uint32_t>(&head, 3);
  Put<uint64_t>(&head, tensors_.size());
  Put<uint64_t>(&head, metadata_.size());
  for (const auto& [key, value] : metadata_) {
    PutString(&head, key);
    head += value;
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    PutString(&head, t.name);
    Put<uint32_t>(&head, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) Put<uint64_t>(&head, d);
    Put<uint32_t>(&head, static_cast<uint32_t>(t.type));
    Put<uint64_t>(&head, offset);
    offset = AlignUp(offset + t.n_bytes, alignment_);
  }
  head.resize(AlignUp(head.size(), alignment_), '\0');
  RLM_RETURN_IF_ERROR(sink(head.data(), head.size()));

  const std::string zeros(alignment_, '\0');
  std::vector<uint8_t> buf;
  for (const Tensor& t : tensors_) {
    if (t.fill) {
      buf.assign(t.n_bytes, 0);
      t.fill(buf.data(), buf.size());
      RLM_RETURN_IF_ERROR(sink(buf.data(), buf.size()));
    } else if (t.n_bytes > 0) {
      RLM_RETURN_IF_ERROR(sink(t.data, t.n_bytes));
    }
    const uint64_t pad = AlignUp(t.n_bytes, alignment_) - t.n_bytes;
    RLM_RETURN_IF_ERROR(sink(zeros.data(), pad));
  }
  return Status::Ok();
}

std::string GgufWriter::Serialize() const {
  std::string out;
  Status s = WriteTo([&out](const void* p, size_t n) {
    out.append(static_cast<const char*>(p), n);
    return Status::Ok();
  });
  RLM_CHECK(s.ok());
  return out;
}

Status GgufWriter::WriteFile(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::IOError(tmp + ": " + std::strerror(errno));
  Status s = WriteTo([f, &tmp](const void* p, size_t n) {
    if (n > 0 && std::fwrite(p, 1, n, f) != n) {
      return Status::IOError(tmp + ": write: " + std::strerror(errno));
    }
    return Status::Ok();
  });
  if (std::fclose(f) != 0 && s.ok()) s = Status::IOError(tmp + ": close: " + std::strerror(errno));
  if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::IOError(tmp + ": rename to " + path + ": " + std::strerror(errno));
  }
  if (!s.ok()) std::remove(tmp.c_str());
  return s;
}

}  // namespace radixlm
