#include "model/config.h"

#include <cmath>
#include <numbers>

namespace radixlm {

Status ModelConfig::Validate() const {
  auto bad = [](const std::string& what) { return Status::InvalidArgument("model config: " + what); };
  if (dim <= 0 || hidden_dim <= 0 || n_layers <= 0 || n_heads <= 0 || n_kv_heads <= 0 ||
      head_dim <= 0 || vocab_size <= 0) {
    return bad("sizes must be positive (dim=" + std::to_string(dim) + " hidden=" +
               std::to_string(hidden_dim) + " layers=" + std::to_string(n_layers) + " heads=" +
               std::to_string(n_heads) + " kv_heads=" + std::to_string(n_kv_heads) +
               " head_dim=" + std::to_string(head_dim) + " vocab=" + std::to_string(vocab_size) + ")");
  }
  if (n_heads % n_kv_heads != 0) {
    return bad("n_heads " + std::to_string(n_heads) + " is not a multiple of n_kv_heads " +
               std::to_string(n_kv_heads));
  }
  if (head_dim % 2 != 0) return bad("head_dim " + std::to_string(head_dim) + " is odd");
  if (dim > (1 << 16) || hidden_dim > (1 << 18) || n_layers > 1024 || n_heads > 1024 ||
      vocab_size > (1 << 22) || head_dim > 1024) {
    return bad("sizes out of the supported range");
  }
  if (!(norm_eps > 0.0f) || !(rope_theta > 0.0f)) return bad("norm_eps and rope_theta must be > 0");
  if (rope_scaling != RopeScaling::kNone && !(rope_factor > 0.0f)) {
    return bad("rope scaling factor must be > 0");
  }
  if (rope_scaling == RopeScaling::kLlama3 &&
      (!(rope_low_freq_factor > 0.0f) || !(rope_high_freq_factor > rope_low_freq_factor) ||
       rope_original_context <= 0)) {
    return bad("llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor and "
               "original_max_position_embeddings > 0");
  }
  return Status::Ok();
}

std::vector<double> RopeInvFreq(const ModelConfig& c) {
  std::vector<double> inv_freq(c.head_dim / 2);
  for (size_t i = 0; i < inv_freq.size(); ++i) {
    inv_freq[i] = std::pow(static_cast<double>(c.rope_theta),
                           -2.0 * static_cast<double>(i) / static_cast<double>(c.head_dim));
  }
  const double factor = c.rope_factor;
  if (c.rope_scaling == RopeScaling::kLinear) {
    for (double& f : inv_freq) f /= factor;
  } else if (c.rope_scaling == RopeScaling::kLlama3) {
    const double low = c.rope_low_freq_factor, high = c.rope_high_freq_factor;
    const double old_ctx = c.rope_original_context;
    const double low_freq_wavelen = old_ctx / low, high_freq_wavelen = old_ctx / high;
    for (double& f : inv_freq) {
      const double wavelen = 2.0 * std::numbers::pi / f;
      if (wavelen < high_freq_wavelen) continue;
      if (wavelen > low_freq_wavelen) {
        f /= factor;
        continue;
      }
      const double smooth = (old_ctx / wavelen - low) / (high - low);
      f = (1.0 - smooth) * f / factor + smooth * f;
    }
  }
  return inv_freq;
}

}  // namespace radixlm
