#include "model/hf_config.h"

#include <nlohmann/json.hpp>

namespace radixlm {

namespace {

using Json = nlohmann::json;

Status Bad(const std::string& what) { return Status::InvalidArgument("config.json: " + what); }

// The supported architectures: config "architectures" entry, model_type,
// ModelConfig::arch.
struct Arch {
  const char* hf_class;
  const char* model_type;
  const char* arch;
};
constexpr Arch kArchs[] = {
    {"LlamaForCausalLM", "llama", "llama"},
    {"MistralForCausalLM", "mistral", "mistral"},
    {"Qwen2ForCausalLM", "qwen2", "qwen2"},
    {"Qwen3ForCausalLM", "qwen3", "qwen3"},
};

bool IsNull(const Json& j, const char* key) { return !j.contains(key) || j[key].is_null(); }

// Reads an optional positive integer key (absent or null: keep *out).
Status PositiveInt(const Json& j, const char* key, int32_t* out, bool required = false) {
  if (IsNull(j, key)) {
    return required ? Bad("missing '" + std::string(key) + "'") : Status::Ok();
  }
  if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0 ||
      j[key].get<int64_t>() > (int64_t{1} << 30)) {
    return Bad("'" + std::string(key) + "' must be a positive integer, got " + j[key].dump());
  }
  *out = static_cast<int32_t>(j[key].get<int64_t>());
  return Status::Ok();
}

Status Number(const Json& j, const char* key, float* out) {
  if (IsNull(j, key)) return Status::Ok();
  if (!j[key].is_number()) return Bad("'" + std::string(key) + "' must be a number");
  *out = j[key].get<float>();
  return Status::Ok();
}

// A boolean key that must be false (or absent) for the math we compute.
Status MustBeFalse(const Json& j, const char* key, const std::string& why) {
  if (IsNull(j, key)) return Status::Ok();
  if (!j[key].is_boolean()) return Bad("'" + std::string(key) + "' must be a boolean");
  if (j[key].get<bool>()) return Bad("'" + std::string(key) + "': true is not supported (" + why + ")");
  return Status::Ok();
}

// RoPE: transformers 5's rope_parameters or classic rope_theta/rope_scaling.
Status ReadRope(const Json& j, ModelConfig* c) {
  const Json* scaling = nullptr;
  std::string where = "rope_scaling";
  if (!IsNull(j, "rope_parameters")) {
    const Json& p = j["rope_parameters"];
    if (!p.is_object()) return Bad("'rope_parameters' must be an object");
    if (!p.contains("rope_theta") && !p.contains("rope_type")) {
      return Bad("'rope_parameters' per layer type is not supported");
    }
    where = "rope_parameters";
    scaling = &p;
    RLM_RETURN_IF_ERROR(Number(p, "rope_theta", &c->rope_theta));
  }
  RLM_RETURN_IF_ERROR(Number(j, "rope_theta", &c->rope_theta));
  if (!IsNull(j, "rope_scaling")) {
    if (!j["rope_scaling"].is_object()) return Bad("'rope_scaling' must be an object");
    scaling = &j["rope_scaling"];
    where = "rope_scaling";
  }
  if (!IsNull(j, "partial_rotary_factor") &&
      (!j["partial_rotary_factor"].is_number() || j["partial_rotary_factor"].get<double>() != 1.0)) {
    return Bad("'partial_rotary_factor' " + j["partial_rotary_factor"].dump() +
               " (partial RoPE) is not supported");
  }
  if (scaling == nullptr) return Status::Ok();
  const Json& s = *scaling;
  std::string type = "default";
  if (!IsNull(s, "rope_type")) {
    type = s["rope_type"].is_string() ? s["rope_type"].get<std::string>() : "?";
  } else if (!IsNull(s, "type")) {
    type = s["type"].is_string() ? s["type"].get<std::string>() : "?";
  }
  if (type == "default" || type == "none") return Status::Ok();
  if (type != "linear" && type != "llama3") {
    return Bad("'" + where + "' rope_type '" + type +
               "' is not supported (supported: default, linear, llama3)");
  }
  if (IsNull(s, "factor") || !s["factor"].is_number()) {
    return Bad("'" + where + "': rope_type " + type + " needs a numeric 'factor'");
  }
  c->rope_factor = s["factor"].get<float>();
  if (!IsNull(s, "attention_factor") &&
      (!s["attention_factor"].is_number() || s["attention_factor"].get<double>() != 1.0)) {
    return Bad("'" + where + "': attention_factor " + s["attention_factor"].dump() +
               " is not supported");
  }
  if (type == "linear") {
    c->rope_scaling = RopeScaling::kLinear;
    return Status::Ok();
  }
  c->rope_scaling = RopeScaling::kLlama3;
  for (const char* key : {"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
    if (IsNull(s, key) || !s[key].is_number()) {
      return Bad("'" + where + "': rope_type llama3 needs a numeric '" + key + "'");
    }
  }
  c->rope_low_freq_factor = s["low_freq_factor"].get<float>();
  c->rope_high_freq_factor = s["high_freq_factor"].get<float>();
  RLM_RETURN_IF_ERROR(PositiveInt(s, "original_max_position_embeddings", &c->rope_original_context));
  return Status::Ok();
}

// One MLX quantization spec: {"group_size": g, "bits": b}.
Status ReadQuantSpec(const Json& q, const std::string& where, MlxQuantSpec* spec) {
  if (!q.contains("bits") || !q["bits"].is_number_integer() || !q.contains("group_size") ||
      !q["group_size"].is_number_integer()) {
    return Bad("'" + where + "' needs integer 'bits' and 'group_size'");
  }
  if (!IsNull(q, "mode") && q["mode"] != "affine") {
    return Bad("'" + where + "' mode " + q["mode"].dump() + " is not supported (affine only)");
  }
  const int64_t bits = q["bits"].get<int64_t>(), gs = q["group_size"].get<int64_t>();
  if (bits != 4 && bits != 8) {
    return Bad("'" + where + "' bits " + std::to_string(bits) + " is not supported (4, 8)");
  }
  if (gs <= 0 || gs % 32 != 0 || gs > 4096) {
    return Bad("'" + where + "' group_size " + std::to_string(gs) +
               " is not supported (a multiple of 32)");
  }
  spec->bits = static_cast<int>(bits);
  spec->group_size = static_cast<size_t>(gs);
  return Status::Ok();
}

// MLX "quantization" (also mirrored as "quantization_config" by mlx-lm);
// any other quantization_config (GPTQ, AWQ, bitsandbytes, fp8) is refused.
Status ReadQuantization(const Json& j, HfQuantization* q) {
  const Json* src = nullptr;
  std::string where;
  if (!IsNull(j, "quantization")) {
    src = &j["quantization"];
    where = "quantization";
  } else if (!IsNull(j, "quantization_config")) {
    src = &j["quantization_config"];
    where = "quantization_config";
  }
  if (src == nullptr) return Status::Ok();
  if (!src->is_object()) return Bad("'" + where + "' must be an object");
  if (src->contains("quant_method")) {
    return Bad("'" + where + "' quant_method " + (*src)["quant_method"].dump() +
               " is not supported (MLX affine 4/8-bit only)");
  }
  q->enabled = true;
  RLM_RETURN_IF_ERROR(ReadQuantSpec(*src, where, &q->defaults));
  for (const auto& [key, value] : src->items()) {
    if (key == "bits" || key == "group_size" || key == "mode") continue;
    if (value.is_boolean()) {
      if (value.get<bool>()) {
        q->overrides[key] = q->defaults;
      } else {
        q->overrides[key] = MlxQuantSpec{};
      }
    } else if (value.is_object()) {
      MlxQuantSpec spec;
      RLM_RETURN_IF_ERROR(ReadQuantSpec(value, where + "." + key, &spec));
      q->overrides[key] = spec;
    } else {
      return Bad("'" + where + "' key '" + key + "' is not supported");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ParseHfConfig(const std::string& json_text, ModelConfig* c, HfModelInfo* info) {
  Json j = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad("not a JSON object");

  // Architecture: "architectures"[0], else model_type.
  std::string hf_class, model_type;
  if (!IsNull(j, "architectures")) {
    const Json& a = j["architectures"];
    if (!a.is_array() || a.size() != 1 || !a[0].is_string()) {
      return Bad("'architectures' must list exactly one class, got " + a.dump());
    }
    hf_class = a[0].get<std::string>();
  }
  if (!IsNull(j, "model_type") && j["model_type"].is_string()) {
    model_type = j["model_type"].get<std::string>();
  }
  const Arch* arch = nullptr;
  for (const Arch& a : kArchs) {
    if (hf_class.empty() ? model_type == a.model_type : hf_class == a.hf_class) arch = &a;
  }
  if (arch == nullptr) {
    return Bad("unsupported architecture '" + (hf_class.empty() ? model_type : hf_class) +
               "' (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, "
               "Qwen3ForCausalLM)");
  }
  if (!model_type.empty() && model_type != arch->model_type) {
    return Bad("model_type '" + model_type + "' does not match architecture '" + hf_class + "'");
  }
  const std::string type = arch->model_type;
  c->arch = arch->arch;

  // Sizes.
  RLM_RETURN_IF_ERROR(PositiveInt(j, "hidden_size", &c->dim, true));
  RLM_RETURN_IF_ERROR(PositiveInt(j, "intermediate_size", &c->hidden_dim, true));
  RLM_RETURN_IF_ERROR(PositiveInt(j, "num_hidden_layers", &c->n_layers, true));
  RLM_RETURN_IF_ERROR(PositiveInt(j, "num_attention_heads", &c->n_heads, true));
  c->n_kv_heads = c->n_heads;
  RLM_RETURN_IF_ERROR(PositiveInt(j, "num_key_value_heads", &c->n_kv_heads));
  c->head_dim = c->dim / c->n_heads;
  RLM_RETURN_IF_ERROR(PositiveInt(j, "head_dim", &c->head_dim));
  RLM_RETURN_IF_ERROR(PositiveInt(j, "vocab_size", &c->vocab_size, true));
  c->max_seq_len = 2048;
  RLM_RETURN_IF_ERROR(PositiveInt(j, "max_position_embeddings", &c->max_seq_len));
  c->norm_eps = 1e-6f;
  RLM_RETURN_IF_ERROR(Number(j, "rms_norm_eps", &c->norm_eps));
  c->rope_theta = 10000.0f;
  RLM_RETURN_IF_ERROR(ReadRope(j, c));
  // HF keeps q/k rows in the half-split order for every architecture.
  c->rope_style = RopeStyle::kNeox;
  c->has_qkv_bias = type == "qwen2";
  c->has_qk_norm = type == "qwen3";

  // Keys that would change the math.
  for (const char* key : {"hidden_act", "hidden_activation"}) {
    if (!IsNull(j, key) && j[key] != "silu") {
      return Bad("'" + std::string(key) + "' " + j[key].dump() + " is not supported (silu only)");
    }
  }
  if (type != "qwen2") {
    RLM_RETURN_IF_ERROR(MustBeFalse(j, "attention_bias", "biases on q/k/v/o projections"));
  }
  RLM_RETURN_IF_ERROR(MustBeFalse(j, "mlp_bias", "biases on the MLP projections"));
  if (!IsNull(j, "layer_types")) {
    for (const Json& t : j["layer_types"]) {
      if (t != "full_attention") {
        return Bad("'layer_types' entry " + t.dump() + " is not supported (full_attention only)");
      }
    }
  }
  // Sliding-window attention: Qwen2/3 apply it only with use_sliding_window.
  // Mistral applies it always; a window shorter than the context is exact
  // if the context is capped to the window, so it is.
  if (type == "qwen2" || type == "qwen3") {
    RLM_RETURN_IF_ERROR(MustBeFalse(j, "use_sliding_window", "sliding-window attention"));
  } else if (!IsNull(j, "sliding_window")) {
    int32_t window = 0;
    RLM_RETURN_IF_ERROR(PositiveInt(j, "sliding_window", &window));
    if (window < c->max_seq_len) {
      info->note = "context capped to sliding_window " + std::to_string(window) +
                   " (max_position_embeddings " + std::to_string(c->max_seq_len) +
                   "); longer contexts need sliding-window attention";
      c->max_seq_len = window;
    }
  }
  for (const char* key : {"attn_logit_softcapping", "final_logit_softcapping",
                          "logit_scale", "embedding_multiplier", "residual_multiplier",
                          "attention_multiplier", "logits_scaling"}) {
    if (!IsNull(j, key)) return Bad("'" + std::string(key) + "' is not supported");
  }

  info->tie_word_embeddings = false;
  if (!IsNull(j, "tie_word_embeddings")) {
    if (!j["tie_word_embeddings"].is_boolean()) return Bad("'tie_word_embeddings' must be a boolean");
    info->tie_word_embeddings = j["tie_word_embeddings"].get<bool>();
  }
  c->tied_output = info->tie_word_embeddings;
  RLM_RETURN_IF_ERROR(ReadQuantization(j, &info->quantization));
  return Status::Ok();
}

}  // namespace radixlm
