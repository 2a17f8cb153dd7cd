#include "model/transformer.h"

#include <algorithm>
#include <cmath>

#include "base/check.h"
#include "base/profiler.h"
#include "kernels/attention.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"

namespace radixlm {

Transformer::Transformer(const Model& model, ThreadPool* pool) : model_(model), pool_(pool) {
  // RoPE frequencies, with the config's scaling (linear, llama3) applied.
  inv_freq_ = RopeInvFreq(model_.config());
}

KvLayout Transformer::kv_layout(size_t page_size) const {
  KvLayout l;
  l.n_layers = model_.config().n_layers;
  l.kv_dim = model_.config().kv_dim();
  l.page_size = page_size;
  return l;
}

const float* Transformer::RopeAngles(size_t pos, bool cos) {
  const size_t half = inv_freq_.size();
  if (pos >= rope_positions_) {
    size_t n = std::max<size_t>(pos + 1, rope_positions_ * 2);
    n = std::max<size_t>(n, 256);
    rope_cos_.resize(n * half);
    rope_sin_.resize(n * half);
    for (size_t p = rope_positions_; p < n; ++p) {
      for (size_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(p) * inv_freq_[i];
        rope_cos_[p * half + i] = static_cast<float>(std::cos(angle));
        rope_sin_[p * half + i] = static_cast<float>(std::sin(angle));
      }
    }
    rope_positions_ = n;
  }
  return (cos ? rope_cos_.data() : rope_sin_.data()) + pos * half;
}

void Transformer::EnsureScratch(size_t n, size_t max_ctx) {
  const ModelConfig& c = model_.config();
  auto grow = [](std::vector<float>& v, size_t size) {
    if (v.size() < size) v.resize(size);
  };
  grow(x_, n * c.dim);
  grow(xb_, n * std::max(c.dim, c.q_dim()));
  grow(q_, n * c.q_dim());
  grow(k_, n * c.kv_dim());
  grow(v_, n * c.kv_dim());
  grow(att_, n * c.q_dim());
  grow(h1_, n * c.hidden_dim);
  grow(h3_, n * c.hidden_dim);
  const size_t threads = pool_ ? pool_->size() : 1;
  grow(attn_scratch_, threads * AttentionScratchFloats(max_ctx, c.head_dim));
  if (kv_ptrs_.size() < threads * 2 * max_ctx) kv_ptrs_.resize(threads * 2 * max_ctx);
}

// Causal attention of every token of every chunk. The query vectors that
// read the same keys (one chunk, one KV head: its GQA group's heads at each
// of the chunk's positions) are cut into tiles of AttentionTileWidth(); the
// tiles run in parallel. Reads K/V of this layer from the chunk's pages
// (which already hold the chunk's own new positions).
void Transformer::Attention(std::span<const SeqChunk> chunks, const KvLayout& layout,
                            size_t layer, const std::vector<size_t>& row_of_chunk) {
  const ModelConfig& c = model_.config();
  const size_t head_dim = c.head_dim, q_dim = c.q_dim();
  const size_t n_kv = c.n_kv_heads, group = c.n_heads / c.n_kv_heads;
  const size_t width = AttentionTileWidth();
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const size_t threads = pool_ ? pool_->size() : 1;
  const size_t scratch_floats = attn_scratch_.size() / threads;
  const size_t max_ctx = kv_ptrs_.size() / (2 * threads);

  struct Task {
    size_t chunk, kv_head, first;  // first query: index into (row, head in group)
  };
  std::vector<Task> tasks;
  for (size_t ci = 0; ci < chunks.size(); ++ci) {
    const size_t n_queries = chunks[ci].n_tokens * group;
    for (size_t kvh = 0; kvh < n_kv; ++kvh) {
      for (size_t j = 0; j < n_queries; j += width) tasks.push_back(Task{ci, kvh, j});
    }
  }

  auto work = [&](size_t begin, size_t end, size_t thread) {
    float* scratch = attn_scratch_.data() + thread * scratch_floats;
    const float** keys = kv_ptrs_.data() + thread * 2 * max_ctx;
    const float** values = keys + max_ctx;
    AttentionQuery queries[64];
    for (size_t ti = begin; ti < end; ++ti) {
      const Task& task = tasks[ti];
      const SeqChunk& ch = chunks[task.chunk];
      const size_t n = std::min(width, ch.n_tokens * group - task.first);
      size_t n_ctx_max = 0;
      for (size_t i = 0; i < n; ++i) {
        const size_t j = task.first + i, t = j / group;
        const size_t h = task.kv_head * group + j % group;
        const size_t row = row_of_chunk[task.chunk] + t;
        queries[i] = AttentionQuery{q_.data() + row * q_dim + h * head_dim,
                                    att_.data() + row * q_dim + h * head_dim, ch.pos + t + 1};
        n_ctx_max = std::max(n_ctx_max, ch.pos + t + 1);
      }
      const size_t kv_off = task.kv_head * head_dim;
      for (size_t t = 0; t < n_ctx_max; ++t) {
        const float* page = ch.kv.pages[t / layout.page_size];
        keys[t] = page + layout.k_offset(layer, t % layout.page_size) + kv_off;
        values[t] = page + layout.v_offset(layer, t % layout.page_size) + kv_off;
      }
      AttendTile(queries, n, keys, values, head_dim, scale, scratch);
    }
  };
  if (pool_) {
    pool_->ParallelFor(tasks.size(), 1, work);
  } else {
    work(0, tasks.size(), 0);
  }
}

Status Transformer::Forward(std::span<const SeqChunk> chunks, size_t page_size) {
  const ModelConfig& c = model_.config();
  const Weights& w = model_.weights();
  const KvLayout layout = kv_layout(page_size);

  // Validate everything before computing anything.
  std::vector<size_t> row_of_chunk(1, 0);
  size_t max_ctx = 0;
  for (const SeqChunk& ch : chunks) {
    for (size_t i = 0; i < ch.n_tokens; ++i) {
      if (ch.tokens[i] < 0 || ch.tokens[i] >= c.vocab_size) {
        return Status::InvalidArgument("token " + std::to_string(ch.tokens[i]) +
                                       " is out of range [0, " + std::to_string(c.vocab_size) +
                                       ")");
      }
    }
    if (ch.n_logits > ch.n_tokens) return Status::InvalidArgument("n_logits > n_tokens");
    if (ch.n_logits > 0 && ch.logits == nullptr) return Status::InvalidArgument("null logits");
    const size_t end = ch.pos + ch.n_tokens;
    if (ch.kv.n_pages * page_size < end) {
      return Status::InvalidArgument("page table covers " +
                                     std::to_string(ch.kv.n_pages * page_size) +
                                     " positions, need " + std::to_string(end));
    }
    max_ctx = std::max(max_ctx, end);
    row_of_chunk.push_back(row_of_chunk.back() + ch.n_tokens);
  }
  const size_t n = row_of_chunk.back();
  if (n == 0) return Status::Ok();
  ProfileScope forward_scope("forward", "forward", -1, static_cast<int64_t>(n));
  EnsureScratch(n, max_ctx);
  RopeAngles(max_ctx, true);  // grow the table before anything reads it

  const size_t dim = c.dim, q_dim = c.q_dim(), kv_dim = c.kv_dim(), hidden = c.hidden_dim;
  float* x = x_.data();

  // Token embeddings: x[row] = token_embedding[token].
  {
    ProfileScope scope("embedding", "other");
    for (size_t ci = 0; ci < chunks.size(); ++ci) {
      for (size_t i = 0; i < chunks[ci].n_tokens; ++i) {
        DequantizeRow(x + (row_of_chunk[ci] + i) * dim, w.token_embedding, chunks[ci].tokens[i]);
      }
    }
  }

  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& lw = w.layers[l];
    const int32_t li = static_cast<int32_t>(l);
    // The matrix product out = in·W of one named weight, timed per layer.
    auto matmul = [&](const char* name, float* out, size_t stride, const TensorView& wt,
                      const float* in) {
      ProfileScope scope(name, "matmul", li, static_cast<int64_t>(n));
      MatMul(out, stride, wt, in, n, pool_);
    };
    // Attention block: xb = rmsnorm(x); q, k, v = xb·Wq, xb·Wk, xb·Wv (+ bias).
    {
      ProfileScope scope("attn_norm", "norm", li);
      for (size_t r = 0; r < n; ++r) RmsNorm(&xb_[r * dim], x + r * dim, lw.attn_norm, dim, c.norm_eps);
    }
    matmul("matmul.wq", q_.data(), q_dim, lw.wq, xb_.data());
    matmul("matmul.wk", k_.data(), kv_dim, lw.wk, xb_.data());
    matmul("matmul.wv", v_.data(), kv_dim, lw.wv, xb_.data());
    {
      ProfileScope scope("rope_kv_store", "attention", li);
      for (size_t ci = 0; ci < chunks.size(); ++ci) {
        const SeqChunk& ch = chunks[ci];
        for (size_t i = 0; i < ch.n_tokens; ++i) {
          const size_t r = row_of_chunk[ci] + i, pos = ch.pos + i;
          float* q = &q_[r * q_dim];
          float* k = &k_[r * kv_dim];
          float* v = &v_[r * kv_dim];
          if (lw.bq) {
            Add(q, lw.bq, q_dim);
            Add(k, lw.bk, kv_dim);
            Add(v, lw.bv, kv_dim);
          }
          // Qwen3: RMSNorm of every q and k head over head_dim, before RoPE.
          if (lw.q_norm) {
            for (int h = 0; h < c.n_heads; ++h) {
              float* qh = q + h * c.head_dim;
              RmsNorm(qh, qh, lw.q_norm, c.head_dim, c.norm_eps);
            }
            for (int h = 0; h < c.n_kv_heads; ++h) {
              float* kh = k + h * c.head_dim;
              RmsNorm(kh, kh, lw.k_norm, c.head_dim, c.norm_eps);
            }
          }
          // RoPE on q and k at this token's position.
          const float* cos_t = RopeAngles(pos, true);
          const float* sin_t = RopeAngles(pos, false);
          Rope(q, c.n_heads, c.head_dim, cos_t, sin_t, c.rope_style);
          Rope(k, c.n_kv_heads, c.head_dim, cos_t, sin_t, c.rope_style);
          // Store k, v into the sequence's page for this position.
          float* page = ch.kv.pages[pos / page_size];
          std::copy(k, k + kv_dim, page + layout.k_offset(l, pos % page_size));
          std::copy(v, v + kv_dim, page + layout.v_offset(l, pos % page_size));
        }
      }
    }
    // att = softmax(q·K^T / sqrt(head_dim))·V, causal, per head (GQA).
    {
      ProfileScope scope("attention", "attention", li, static_cast<int64_t>(n));
      Attention(chunks, layout, l, row_of_chunk);
    }
    // x += att·Wo.
    matmul("matmul.wo", xb_.data(), dim, lw.wo, att_.data());
    {
      // FFN block: x += W2·(silu(W1·xb) * W3·xb), xb = rmsnorm(x).
      ProfileScope scope("ffn_norm", "norm", li);
      for (size_t r = 0; r < n; ++r) Add(x + r * dim, &xb_[r * dim], dim);
      for (size_t r = 0; r < n; ++r) RmsNorm(&xb_[r * dim], x + r * dim, lw.ffn_norm, dim, c.norm_eps);
    }
    matmul("matmul.w1", h1_.data(), hidden, lw.w1, xb_.data());
    matmul("matmul.w3", h3_.data(), hidden, lw.w3, xb_.data());
    {
      ProfileScope scope("swiglu", "other", li);
      SwiGlu(h1_.data(), h1_.data(), h3_.data(), n * hidden);
    }
    matmul("matmul.w2", xb_.data(), dim, lw.w2, h1_.data());
    for (size_t r = 0; r < n; ++r) Add(x + r * dim, &xb_[r * dim], dim);
  }

  // Final norm and classifier, only for the rows whose logits are wanted;
  // all chunks' rows share one product with the (large) output matrix.
  ProfileScope output_scope("output", "matmul", -1);
  size_t n_out = 0;
  for (size_t ci = 0; ci < chunks.size(); ++ci) {
    const SeqChunk& ch = chunks[ci];
    const size_t first = row_of_chunk[ci] + ch.n_tokens - ch.n_logits;
    for (size_t i = 0; i < ch.n_logits; ++i, ++n_out) {
      RmsNorm(&xb_[n_out * dim], x + (first + i) * dim, w.final_norm, dim, c.norm_eps);
    }
  }
  if (n_out == 0) return Status::Ok();
  const size_t vocab = c.vocab_size;
  if (chunks.size() == 1) {
    MatMul(chunks[0].logits, vocab, w.output, xb_.data(), n_out, pool_);
    return Status::Ok();
  }
  if (logits_.size() < n_out * vocab) logits_.resize(n_out * vocab);
  MatMul(logits_.data(), vocab, w.output, xb_.data(), n_out, pool_);
  const float* src = logits_.data();
  for (const SeqChunk& ch : chunks) {
    std::copy(src, src + ch.n_logits * vocab, ch.logits);
    src += ch.n_logits * vocab;
  }
  return Status::Ok();
}

}  // namespace radixlm
