// config.json parsing (hf_config.h) and the RoPE frequency formulas.
#include "model/hf_config.h"

#include <gtest/gtest.h>

#include <cmath>

namespace radixlm {
namespace {

Status Parse(const std::string& json, ModelConfig* c, HfModelInfo* info = nullptr) {
  HfModelInfo local;
  return ParseHfConfig(json, c, info ? info : &local);
}

// A Llama config with `extra` keys spliced in.
std::string Llama(const std::string& extra = "") {
  return R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "hidden_size": 64, "intermediate_size": 176, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
    "rms_norm_eps": 1e-05, "max_position_embeddings": 4096)" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

TEST(HfConfig, ClassicRopeKeys) {
  ModelConfig c;
  ASSERT_TRUE(Parse(Llama(R"("rope_theta": 500000.0, "rope_scaling": {"factor": 8.0,
      "low_freq_factor": 1.0, "high_freq_factor": 4.0,
      "original_max_position_embeddings": 8192, "rope_type": "llama3"},
      "tie_word_embeddings": false)"), &c).ok());
  EXPECT_EQ(c.arch, "llama");
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.rope_theta, 500000.0f);
  EXPECT_EQ(c.rope_style, RopeStyle::kNeox);
  EXPECT_EQ(c.rope_scaling, RopeScaling::kLlama3);
  EXPECT_EQ(c.rope_factor, 8.0f);
  EXPECT_EQ(c.rope_high_freq_factor, 4.0f);
  EXPECT_EQ(c.rope_original_context, 8192);
  EXPECT_FALSE(c.tied_output);
  EXPECT_FALSE(c.has_qkv_bias);
}

TEST(HfConfig, Transformers5RopeParameters) {
  ModelConfig c;
  ASSERT_TRUE(Parse(Llama(R"("rope_parameters": {"rope_theta": 1000.0, "rope_type": "linear",
      "factor": 2.0}, "tie_word_embeddings": true)"), &c).ok());
  EXPECT_EQ(c.rope_theta, 1000.0f);
  EXPECT_EQ(c.rope_scaling, RopeScaling::kLinear);
  EXPECT_EQ(c.rope_factor, 2.0f);
  EXPECT_TRUE(c.tied_output);
  // "type" (older spelling) and "default".
  ModelConfig d;
  ASSERT_TRUE(Parse(Llama(R"("rope_scaling": {"type": "default"})"), &d).ok());
  EXPECT_EQ(d.rope_scaling, RopeScaling::kNone);
  EXPECT_EQ(d.rope_theta, 10000.0f);
}

TEST(HfConfig, Qwen2AndQwen3) {
  ModelConfig c;
  ASSERT_TRUE(Parse(R"({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
      "hidden_size": 32, "intermediate_size": 96, "num_hidden_layers": 3,
      "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 151936,
      "sliding_window": null, "use_sliding_window": false, "max_window_layers": 28,
      "layer_types": ["full_attention"], "rope_parameters": {"rope_theta": 1000000.0,
      "rope_type": "default"}})", &c).ok());
  EXPECT_EQ(c.arch, "qwen2");
  EXPECT_TRUE(c.has_qkv_bias);
  EXPECT_FALSE(c.has_qk_norm);
  EXPECT_EQ(c.rope_theta, 1e6f);

  ModelConfig q3;
  ASSERT_TRUE(Parse(R"({"architectures": ["Qwen3ForCausalLM"], "hidden_size": 32,
      "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 2, "head_dim": 24, "vocab_size": 300,
      "attention_bias": false, "sliding_window": 4096, "use_sliding_window": false})",
                    &q3).ok());
  EXPECT_EQ(q3.arch, "qwen3");
  EXPECT_TRUE(q3.has_qk_norm);
  EXPECT_FALSE(q3.has_qkv_bias);
  EXPECT_EQ(q3.head_dim, 24);
  EXPECT_EQ(q3.q_dim(), 96);
}

TEST(HfConfig, MistralSlidingWindowCapsContext) {
  ModelConfig c;
  HfModelInfo info;
  ASSERT_TRUE(Parse(R"({"architectures": ["MistralForCausalLM"], "model_type": "mistral",
      "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
      "num_attention_heads": 4, "num_key_value_heads": 1, "vocab_size": 100,
      "max_position_embeddings": 32768, "sliding_window": 4096, "rope_theta": 10000.0})",
                    &c, &info).ok());
  EXPECT_EQ(c.arch, "mistral");
  EXPECT_EQ(c.max_seq_len, 4096);
  EXPECT_NE(info.note.find("sliding_window"), std::string::npos);
}

TEST(HfConfig, MlxQuantization) {
  ModelConfig c;
  HfModelInfo info;
  ASSERT_TRUE(Parse(Llama(R"("quantization": {"group_size": 64, "bits": 4,
      "model.layers.0.mlp.down_proj": false,
      "lm_head": {"group_size": 32, "bits": 8}})"), &c, &info).ok());
  EXPECT_TRUE(info.quantization.enabled);
  EXPECT_EQ(info.quantization.For("model.layers.1.mlp.up_proj").bits, 4);
  EXPECT_EQ(info.quantization.For("model.layers.0.mlp.down_proj").bits, 0);
  EXPECT_EQ(info.quantization.For("lm_head").bits, 8);
  EXPECT_EQ(info.quantization.For("lm_head").group_size, 32u);
}

// Each unsupported setting is refused with a message naming its key.
TEST(HfConfig, UnsupportedKeysAreNamed) {
  struct Case {
    std::string json;
    std::string names;
  };
  const Case cases[] = {
      {R"({"architectures": ["GemmaForCausalLM"], "hidden_size": 8})", "GemmaForCausalLM"},
      {Llama(R"("rope_scaling": {"rope_type": "yarn", "factor": 4.0})"), "yarn"},
      {Llama(R"("rope_parameters": {"rope_type": "dynamic", "factor": 2.0, "rope_theta": 1e4})"),
       "dynamic"},
      {Llama(R"("rope_scaling": {"rope_type": "llama3", "factor": 8.0})"), "low_freq_factor"},
      {Llama(R"("attention_bias": true)"), "attention_bias"},
      {Llama(R"("mlp_bias": true)"), "mlp_bias"},
      {Llama(R"("partial_rotary_factor": 0.5)"), "partial_rotary_factor"},
      {Llama(R"("hidden_act": "gelu")"), "hidden_act"},
      {Llama(R"("quantization_config": {"quant_method": "gptq", "bits": 4})"), "gptq"},
      {Llama(R"("quantization": {"group_size": 64, "bits": 3})"), "bits"},
      {Llama(R"("quantization": {"group_size": 64, "bits": 4, "mode": "mxfp4"})"), "mode"},
      {Llama(R"("layer_types": ["sliding_attention"])"), "layer_types"},
      {R"({"architectures": ["Qwen2ForCausalLM"], "hidden_size": 32, "intermediate_size": 96,
          "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 10,
          "use_sliding_window": true})", "use_sliding_window"},
      {R"({"architectures": ["LlamaForCausalLM"], "model_type": "qwen2"})", "model_type"},
      {Llama().substr(0, 20), "JSON"},
  };
  for (const Case& tc : cases) {
    ModelConfig c;
    Status s = Parse(tc.json, &c);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << tc.json;
    EXPECT_NE(s.ToString().find(tc.names), std::string::npos) << s.ToString();
  }
}

// Llama 3.1 8B's settings (theta 5e5, head_dim 128, factor 8, low 1, high
// 4, original context 8192). Expected values computed in Python (float64)
// straight from the formula of transformers' _compute_llama3_parameters:
// i <= 28 high band (unchanged), 29..34 smoothed, >= 35 divided by 8.
TEST(RopeInvFreq, Llama3MatchesPublishedFormula) {
  ModelConfig c;
  c.head_dim = 128;
  c.rope_theta = 500000.0f;
  c.rope_scaling = RopeScaling::kLlama3;
  c.rope_factor = 8.0f;
  c.rope_low_freq_factor = 1.0f;
  c.rope_high_freq_factor = 4.0f;
  c.rope_original_context = 8192;
  const std::vector<double> f = RopeInvFreq(c);
  ASSERT_EQ(f.size(), 64u);
  const std::pair<int, double> want[] = {
      {0, 1.0},
      {1, 0.8146172338565447},
      {20, 0.016560440080994446},
      {28, 0.003211445994752591},
      {29, 0.002166570763503359},
      {30, 0.0013718935677611381},
      {31, 0.0008567514129196321},
      {32, 0.0005248461609929547},
      {33, 0.00031269375038406517},
      {34, 0.0001785078127679964},
      {35, 9.556212353964683e-05},
      {40, 3.428102195952591e-05},
      {50, 4.411534674558404e-06},
      {63, 3.068925988914511e-07},
  };
  for (const auto& [i, v] : want) EXPECT_NEAR(f[i], v, 1e-12 * v) << "i=" << i;
}

TEST(RopeInvFreq, LinearAndNone) {
  ModelConfig c;
  c.head_dim = 64;
  c.rope_theta = 10000.0f;
  std::vector<double> f = RopeInvFreq(c);
  EXPECT_DOUBLE_EQ(f[5], std::pow(10000.0, -10.0 / 64.0));
  c.rope_scaling = RopeScaling::kLinear;
  c.rope_factor = 4.0f;
  f = RopeInvFreq(c);
  EXPECT_NEAR(f[5], 0.05928434264154138, 1e-15);
}

}  // namespace
}  // namespace radixlm
