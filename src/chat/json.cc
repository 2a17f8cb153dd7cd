#include "chat/json.h"

#include <algorithm>
#include <cstdio>

#include "chat/py_str.h"

namespace radixlm::chat {
namespace {

void AppendJsonString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

Status Dump(const Value& v, int indent, bool sort_keys, int level, std::string* out) {
  if (level > kMaxNestingDepth) return Status::InvalidArgument("tojson: value nested too deeply");
  auto newline = [&](int lvl) {
    out->push_back('\n');
    out->append(static_cast<size_t>(indent) * lvl, ' ');
  };
  switch (v.kind()) {
    case Value::Kind::kNone:
      *out += "null";
      return Status::Ok();
    case Value::Kind::kBool:
      *out += v.bool_value() ? "true" : "false";
      return Status::Ok();
    case Value::Kind::kInt:
      *out += std::to_string(v.int_value());
      return Status::Ok();
    case Value::Kind::kFloat: {
      double d = v.number();
      *out += d != d ? "NaN" : d == 1.0 / 0.0 ? "Infinity" : d == -1.0 / 0.0 ? "-Infinity"
                                                                         : PyFloatRepr(d);
      return Status::Ok();
    }
    case Value::Kind::kString:
      AppendJsonString(v.str(), out);
      return Status::Ok();
    case Value::Kind::kList: {
      const Value::List& items = v.list();
      if (items.empty()) {
        *out += "[]";
        return Status::Ok();
      }
      out->push_back('[');
      for (size_t i = 0; i < items.size(); i++) {
        if (i) out->push_back(',');
        if (indent >= 0) {
          newline(level + 1);
        } else if (i) {
          out->push_back(' ');
        }
        RLM_RETURN_IF_ERROR(Dump(items[i], indent, sort_keys, level + 1, out));
      }
      if (indent >= 0) newline(level);
      out->push_back(']');
      return Status::Ok();
    }
    case Value::Kind::kDict: {
      std::vector<const std::pair<std::string, Value>*> items;
      for (const auto& kv : v.dict()) items.push_back(&kv);
      if (sort_keys) {
        std::stable_sort(items.begin(), items.end(),
                         [](auto* a, auto* b) { return a->first < b->first; });
      }
      if (items.empty()) {
        *out += "{}";
        return Status::Ok();
      }
      out->push_back('{');
      for (size_t i = 0; i < items.size(); i++) {
        if (i) out->push_back(',');
        if (indent >= 0) {
          newline(level + 1);
        } else if (i) {
          out->push_back(' ');
        }
        AppendJsonString(items[i]->first, out);
        *out += ": ";
        RLM_RETURN_IF_ERROR(Dump(items[i]->second, indent, sort_keys, level + 1, out));
      }
      if (indent >= 0) newline(level);
      out->push_back('}');
      return Status::Ok();
    }
    default:
      return Status::InvalidArgument(std::string("Object of type ") + v.TypeName() +
                                     " is not JSON serializable");
  }
}

}  // namespace

Status FromJson(const nlohmann::ordered_json& j, int depth, Value* out) {
  if (depth > kMaxNestingDepth) return Status::InvalidArgument("JSON value nested too deeply");
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::boolean:
      *out = Value::Bool(j.get<bool>());
      break;
    case nlohmann::ordered_json::value_t::number_integer:
      *out = Value::Int(j.get<int64_t>());
      break;
    case nlohmann::ordered_json::value_t::number_unsigned:
      *out = Value::Int(static_cast<int64_t>(j.get<uint64_t>()));
      break;
    case nlohmann::ordered_json::value_t::number_float:
      *out = Value::Float(j.get<double>());
      break;
    case nlohmann::ordered_json::value_t::string:
      *out = Value::String(j.get<std::string>());
      break;
    case nlohmann::ordered_json::value_t::array: {
      Value::List items(j.size());
      for (size_t i = 0; i < j.size(); i++) {
        RLM_RETURN_IF_ERROR(FromJson(j[i], depth + 1, &items[i]));
      }
      *out = Value::MakeList(std::move(items));
      break;
    }
    case nlohmann::ordered_json::value_t::object: {
      Value::Dict items;
      for (const auto& [k, item] : j.items()) {
        items.emplace_back(k, Value());
        RLM_RETURN_IF_ERROR(FromJson(item, depth + 1, &items.back().second));
      }
      *out = Value::MakeDict(std::move(items));
      break;
    }
    default:
      *out = Value::None();
  }
  return Status::Ok();
}

Status FromJson(const nlohmann::ordered_json& j, Value* out) { return FromJson(j, 0, out); }

Status ToJson(const Value& v, int indent, bool sort_keys, std::string* out) {
  return Dump(v, indent, sort_keys, 0, out);
}

}  // namespace radixlm::chat
