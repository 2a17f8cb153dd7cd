#include "format/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/half.h"

namespace radixlm {

namespace {

// The safetensors spec caps the JSON header at 100 MB.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;
// Deepest JSON nesting accepted (a valid header needs 3).
constexpr int kMaxJsonDepth = 16;

struct DTypeEntry {
  const char* name;
  StDType dtype;
  uint64_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {"F64", StDType::kF64, 8},   {"F32", StDType::kF32, 4}, {"F16", StDType::kF16, 2},
    {"BF16", StDType::kBF16, 2}, {"I64", StDType::kI64, 8}, {"I32", StDType::kI32, 4},
    {"I16", StDType::kI16, 2},   {"I8", StDType::kI8, 1},   {"U8", StDType::kU8, 1},
    {"U32", StDType::kU32, 4},   {"BOOL", StDType::kBool, 1},
};

uint64_t ElementSize(StDType t) {
  for (const auto& e : kDTypes) {
    if (e.dtype == t) return e.size;
  }
  return 0;
}

const char* Name(StDType t) {
  for (const auto& e : kDTypes) {
    if (e.dtype == t) return e.name;
  }
  return "?";
}

// Nesting depth of JSON text, ignoring brackets inside strings. Bounds the
// parser's work on hostile input before it builds anything.
int JsonDepth(std::string_view s) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); i++) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') i++;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      depth--;
    }
  }
  return max_depth;
}

Status ParseEntry(const std::string& name, const nlohmann::json& j, const uint8_t* data,
                  uint64_t data_size, SafetensorInfo* t) {
  const std::string ctx = "safetensors: tensor '" + name + "': ";
  if (!j.is_object()) return Status::Corruption(ctx + "entry is not an object");
  auto dt = j.find("dtype");
  auto sh = j.find("shape");
  auto off = j.find("data_offsets");
  if (dt == j.end() || !dt->is_string()) return Status::Corruption(ctx + "missing string dtype");
  if (sh == j.end() || !sh->is_array()) return Status::Corruption(ctx + "missing shape array");
  if (off == j.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned()) {
    return Status::Corruption(ctx + "data_offsets is not [begin, end]");
  }
  const std::string& dtype = dt->get_ref<const std::string&>();
  uint64_t elem = 0;
  for (const auto& e : kDTypes) {
    if (dtype == e.name) {
      t->dtype = e.dtype;
      elem = e.size;
    }
  }
  if (elem == 0) return Status::InvalidArgument(ctx + "unsupported dtype \"" + dtype + "\"");
  t->name = name;
  uint64_t n = 1;
  for (const auto& d : *sh) {
    if (!d.is_number_unsigned()) {
      return Status::Corruption(ctx + "shape entry is not a non-negative integer");
    }
    const uint64_t v = d.get<uint64_t>();
    if (__builtin_mul_overflow(n, v, &n)) return Status::Corruption(ctx + "shape overflows");
    t->shape.push_back(v);
  }
  uint64_t n_bytes;
  if (__builtin_mul_overflow(n, elem, &n_bytes)) {
    return Status::Corruption(ctx + "byte size overflows");
  }
  const uint64_t begin = (*off)[0].get<uint64_t>();
  const uint64_t end = (*off)[1].get<uint64_t>();
  if (begin > end || end > data_size) {
    return Status::Corruption(ctx + "data_offsets [" + std::to_string(begin) + ", " +
                              std::to_string(end) + ") outside the data section of " +
                              std::to_string(data_size) + " bytes");
  }
  if (end - begin != n_bytes) {
    return Status::Corruption(ctx + "data_offsets span " + std::to_string(end - begin) +
                              " bytes, shape and dtype need " + std::to_string(n_bytes));
  }
  t->n_elements = n;
  t->n_bytes = n_bytes;
  t->data = data + begin;
  return Status::Ok();
}

}  // namespace

Status SafetensorsFile::Open(const std::string& path, std::unique_ptr<SafetensorsFile>* out) {
  std::unique_ptr<MappedFile> file;
  RLM_RETURN_IF_ERROR(MappedFile::Open(path, &file));
  return Parse(std::move(file), out).WithContext(path);
}

Status SafetensorsFile::Parse(std::unique_ptr<MappedFile> file,
                              std::unique_ptr<SafetensorsFile>* out) {
  const uint64_t size = file->size();
  if (size < 8) {
    return Status::Corruption("safetensors: file of " + std::to_string(size) +
                              " bytes has no header length");
  }
  uint64_t header_len;
  std::memcpy(&header_len, file->data(), 8);
  if (header_len > size - 8 || header_len > kMaxHeaderBytes) {
    return Status::Corruption("safetensors: header length " + std::to_string(header_len) +
                              " exceeds the file (" + std::to_string(size) +
                              " bytes) or the 100 MB limit");
  }
  const char* text = reinterpret_cast<const char*>(file->data() + 8);
  std::string_view header(text, header_len);
  if (JsonDepth(header) > kMaxJsonDepth) {
    return Status::Corruption("safetensors: header JSON nests deeper than " +
                              std::to_string(kMaxJsonDepth));
  }
  nlohmann::json j = nlohmann::json::parse(header.begin(), header.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption("safetensors: header is not valid JSON");
  if (!j.is_object()) return Status::Corruption("safetensors: header is not a JSON object");

  std::unique_ptr<SafetensorsFile> st(new SafetensorsFile());
  const uint8_t* data = file->data() + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  for (const auto& [name, value] : j.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) return Status::Corruption("safetensors: __metadata__ is not an object");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) {
          return Status::Corruption("safetensors: __metadata__ '" + k + "' is not a string");
        }
        st->metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    SafetensorInfo t;
    RLM_RETURN_IF_ERROR(ParseEntry(name, value, data, data_size, &t));
    st->tensors_.push_back(std::move(t));
  }
  // nlohmann's object is a std::map, so tensors_ is sorted by name already.
  std::sort(st->tensors_.begin(), st->tensors_.end(),
            [](const SafetensorInfo& a, const SafetensorInfo& b) { return a.name < b.name; });
  st->file_ = std::move(file);
  *out = std::move(st);
  return Status::Ok();
}

const SafetensorInfo* SafetensorsFile::Find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const SafetensorInfo& a, std::string_view n) { return a.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

Status SafetensorsFile::ToFloat(const SafetensorInfo& t, std::vector<float>* out) {
  if (t.dtype != StDType::kF32 && t.dtype != StDType::kF64 && t.dtype != StDType::kF16 &&
      t.dtype != StDType::kBF16) {
    return Status::InvalidArgument("safetensors: tensor '" + t.name + "' is " + Name(t.dtype) +
                                   ", not a float type");
  }
  out->resize(t.n_elements);
  const uint8_t* p = t.data;
  for (uint64_t i = 0; i < t.n_elements; i++) {
    switch (t.dtype) {
      case StDType::kF32: std::memcpy(&(*out)[i], p + 4 * i, 4); break;
      case StDType::kF64: {
        double d;
        std::memcpy(&d, p + 8 * i, 8);
        (*out)[i] = static_cast<float>(d);
        break;
      }
      case StDType::kF16:
      case StDType::kBF16: {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        (*out)[i] = t.dtype == StDType::kF16 ? F16ToF32(h) : BF16ToF32(h);
        break;
      }
      default:
        break;
    }
  }
  return Status::Ok();
}

Status SafetensorsFile::ToInt(const SafetensorInfo& t, std::vector<int64_t>* out) {
  const uint64_t elem = ElementSize(t.dtype);
  switch (t.dtype) {
    case StDType::kI64: case StDType::kI32: case StDType::kI16: case StDType::kI8:
    case StDType::kU8: case StDType::kU32:
      break;
    default:
      return Status::InvalidArgument("safetensors: tensor '" + t.name + "' is " +
                                     Name(t.dtype) + ", not an integer type");
  }
  out->resize(t.n_elements);
  for (uint64_t i = 0; i < t.n_elements; i++) {
    const uint8_t* p = t.data + elem * i;
    int64_t v = 0;
    switch (t.dtype) {
      case StDType::kI64: std::memcpy(&v, p, 8); break;
      case StDType::kI32: { int32_t x; std::memcpy(&x, p, 4); v = x; break; }
      case StDType::kI16: { int16_t x; std::memcpy(&x, p, 2); v = x; break; }
      case StDType::kI8: { int8_t x; std::memcpy(&x, p, 1); v = x; break; }
      case StDType::kU8: v = p[0]; break;
      case StDType::kU32: { uint32_t x; std::memcpy(&x, p, 4); v = x; break; }
      default: break;
    }
    (*out)[i] = v;
  }
  return Status::Ok();
}

}  // namespace radixlm
