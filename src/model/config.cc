#include "model/config.h"

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
  return Status::Ok();
}

}  // namespace radixlm
