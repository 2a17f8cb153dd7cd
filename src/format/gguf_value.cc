// GgufFile's typed metadata getters and value rendering.
#include <cmath>
#include <cstring>
#include <limits>

#include "format/gguf.h"
#include "format/gguf_internal.h"

namespace radixlm {

namespace {

bool IsUnsigned(GgufType t) {
  return t == GgufType::kUint8 || t == GgufType::kUint16 || t == GgufType::kUint32 ||
         t == GgufType::kUint64;
}
bool IsSigned(GgufType t) {
  return t == GgufType::kInt8 || t == GgufType::kInt16 || t == GgufType::kInt32 ||
         t == GgufType::kInt64;
}
bool IsFloat(GgufType t) { return t == GgufType::kFloat32 || t == GgufType::kFloat64; }

// Decodes array element i (REQUIRES: a scalar element type, i < array_size).
// Elements are read with memcpy: the file gives no alignment guarantee.
GgufValue ArrayElement(const GgufValue& v, uint64_t i) {
  GgufValue e;
  e.type = v.array_type;
  const uint8_t* p = v.array_data + i * GgufScalarSize(v.array_type);
  switch (v.array_type) {
    case GgufType::kUint8: e.scalar.u64 = p[0]; break;
    case GgufType::kInt8: { int8_t x; std::memcpy(&x, p, 1); e.scalar.i64 = x; break; }
    case GgufType::kUint16: { uint16_t x; std::memcpy(&x, p, 2); e.scalar.u64 = x; break; }
    case GgufType::kInt16: { int16_t x; std::memcpy(&x, p, 2); e.scalar.i64 = x; break; }
    case GgufType::kUint32: { uint32_t x; std::memcpy(&x, p, 4); e.scalar.u64 = x; break; }
    case GgufType::kInt32: { int32_t x; std::memcpy(&x, p, 4); e.scalar.i64 = x; break; }
    case GgufType::kUint64: { uint64_t x; std::memcpy(&x, p, 8); e.scalar.u64 = x; break; }
    case GgufType::kInt64: { int64_t x; std::memcpy(&x, p, 8); e.scalar.i64 = x; break; }
    case GgufType::kFloat32: { float x; std::memcpy(&x, p, 4); e.scalar.f64 = x; break; }
    case GgufType::kFloat64: { double x; std::memcpy(&x, p, 8); e.scalar.f64 = x; break; }
    case GgufType::kBool: e.scalar.b = p[0] != 0; break;
    case GgufType::kString:
    case GgufType::kArray: break;
  }
  return e;
}

bool ScalarToInt(const GgufValue& v, int64_t* out) {
  if (IsSigned(v.type)) {
    *out = v.scalar.i64;
    return true;
  }
  if (IsUnsigned(v.type) && v.scalar.u64 <= uint64_t{std::numeric_limits<int64_t>::max()}) {
    *out = static_cast<int64_t>(v.scalar.u64);
    return true;
  }
  return false;
}

bool ScalarToDouble(const GgufValue& v, double* out) {
  if (IsFloat(v.type)) *out = v.scalar.f64;
  else if (IsSigned(v.type)) *out = static_cast<double>(v.scalar.i64);
  else if (IsUnsigned(v.type)) *out = static_cast<double>(v.scalar.u64);
  else return false;
  return true;
}

std::string ScalarToString(const GgufValue& v) {
  switch (v.type) {
    case GgufType::kBool: return v.scalar.b ? "true" : "false";
    case GgufType::kFloat32:
    case GgufType::kFloat64: {
      char buf[64];
      snprintf(buf, sizeof(buf), "%.9g", v.scalar.f64);
      return buf;
    }
    case GgufType::kString: {
      std::string s = "\"";
      for (char c : v.str.substr(0, 200)) {
        if (c == '\n') s += "\\n";
        else if (c == '"' || c == '\\') (s += '\\') += c;
        else if (static_cast<unsigned char>(c) < 0x20) s += '?';
        else s += c;
      }
      if (v.str.size() > 200) s += "...";
      return s + "\"";
    }
    default:
      if (IsSigned(v.type)) return std::to_string(v.scalar.i64);
      return std::to_string(v.scalar.u64);
  }
}

Status TypeError(std::string_view key, const GgufValue& v, const char* want) {
  std::string have = GgufTypeName(v.type);
  if (v.type == GgufType::kArray) have = std::string("array of ") + GgufTypeName(v.array_type);
  return Status::InvalidArgument("gguf: metadata '" + std::string(key) + "' is " + have +
                                 ", want " + want);
}

}  // namespace

const char* GgufTypeName(GgufType t) {
  switch (t) {
    case GgufType::kUint8: return "u8";
    case GgufType::kInt8: return "i8";
    case GgufType::kUint16: return "u16";
    case GgufType::kInt16: return "i16";
    case GgufType::kUint32: return "u32";
    case GgufType::kInt32: return "i32";
    case GgufType::kFloat32: return "f32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUint64: return "u64";
    case GgufType::kInt64: return "i64";
    case GgufType::kFloat64: return "f64";
  }
  return "unknown";
}

Status GgufFile::GetString(std::string_view key, std::string* out) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Status::NotFound("gguf: no metadata key '" + std::string(key) + "'");
  if (v->type != GgufType::kString) return TypeError(key, *v, "string");
  *out = std::string(v->str);
  return Status::Ok();
}

Status GgufFile::GetInt(std::string_view key, int64_t* out) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Status::NotFound("gguf: no metadata key '" + std::string(key) + "'");
  if (!ScalarToInt(*v, out)) {
    if (IsUnsigned(v->type)) {
      return Status::InvalidArgument("gguf: metadata '" + std::string(key) + "' value " +
                                     std::to_string(v->scalar.u64) + " does not fit int64");
    }
    return TypeError(key, *v, "an integer");
  }
  return Status::Ok();
}

Status GgufFile::GetFloat(std::string_view key, double* out) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Status::NotFound("gguf: no metadata key '" + std::string(key) + "'");
  if (!ScalarToDouble(*v, out)) return TypeError(key, *v, "a number");
  return Status::Ok();
}

Status GgufFile::GetBool(std::string_view key, bool* out) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Status::NotFound("gguf: no metadata key '" + std::string(key) + "'");
  if (v->type != GgufType::kBool) return TypeError(key, *v, "bool");
  *out = v->scalar.b;
  return Status::Ok();
}

Status GgufFile::GetStringArray(std::string_view key, std::vector<std::string>* out) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Status::NotFound("gguf: no metadata key '" + std::string(key) + "'");
  if (v->type != GgufType::kArray || v->array_type != GgufType::kString) {
    return TypeError(key, *v, "array of string");
  }
  out->assign(v->strings.begin(), v->strings.end());
  return Status::Ok();
}

Status GgufFile::GetFloatArray(std::string_view key, std::vector<float>* out) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Status::NotFound("gguf: no metadata key '" + std::string(key) + "'");
  if (v->type != GgufType::kArray || v->array_type == GgufType::kString ||
      v->array_type == GgufType::kBool) {
    return TypeError(key, *v, "array of numbers");
  }
  out->resize(v->array_size);
  for (uint64_t i = 0; i < v->array_size; i++) {
    double d = 0;
    ScalarToDouble(ArrayElement(*v, i), &d);
    (*out)[i] = static_cast<float>(d);
  }
  return Status::Ok();
}

Status GgufFile::GetIntArray(std::string_view key, std::vector<int64_t>* out) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Status::NotFound("gguf: no metadata key '" + std::string(key) + "'");
  if (v->type != GgufType::kArray ||
      !(IsSigned(v->array_type) || IsUnsigned(v->array_type))) {
    return TypeError(key, *v, "array of integers");
  }
  std::vector<int64_t> result(v->array_size);
  for (uint64_t i = 0; i < v->array_size; i++) {
    if (!ScalarToInt(ArrayElement(*v, i), &result[i])) {
      return Status::InvalidArgument("gguf: metadata '" + std::string(key) + "' element " +
                                     std::to_string(i) + " does not fit int64");
    }
  }
  *out = std::move(result);
  return Status::Ok();
}

std::string GgufFile::ValueToString(const GgufValue& v) {
  if (v.type != GgufType::kArray) return ScalarToString(v);
  constexpr uint64_t kShown = 8;
  std::string s = std::string("[") + GgufTypeName(v.array_type) + " x " +
                  std::to_string(v.array_size) + ":";
  for (uint64_t i = 0; i < v.array_size && i < kShown; i++) {
    s += i ? ", " : " ";
    if (v.array_type == GgufType::kString) {
      GgufValue e;
      e.type = GgufType::kString;
      e.str = v.strings[i];
      s += ScalarToString(e);
    } else {
      s += ScalarToString(ArrayElement(v, i));
    }
  }
  if (v.array_size > kShown) s += ", ...";
  return s + "]";
}

}  // namespace radixlm
