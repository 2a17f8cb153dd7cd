// Attention of a tile of query vectors over the keys and values of one KV
// head: out_i = softmax(scale * q_i · K[0, n_ctx_i)) · V[0, n_ctx_i).
//
// The caller groups query vectors that read the same keys (the query heads
// of a GQA group, consecutive positions of a sequence) into tiles of up to
// AttentionTileWidth() vectors. The kernel puts the tile's vectors in SIMD
// lanes: every key and value element is loaded once per tile and broadcast,
// scores are kept [position][lane], the softmax runs lane-wise (each lane
// masked to its own causal length), and no horizontal sums are needed.
#ifndef RADIXLM_KERNELS_ATTENTION_H_
#define RADIXLM_KERNELS_ATTENTION_H_

#include <cstddef>

namespace radixlm {

struct AttentionQuery {
  const float* q;    // [head_dim]
  float* out;        // [head_dim], written
  size_t n_ctx;      // attends to positions [0, n_ctx); >= 1
};

// Query vectors per tile: two vectors of f32 lanes of the best SIMD target
// (16 on AVX2), so that each broadcast key or value element feeds two FMAs.
size_t AttentionTileWidth();

// Floats of scratch AttendTile needs for tiles over at most max_ctx positions.
size_t AttentionScratchFloats(size_t max_ctx, size_t head_dim);

// keys[t], values[t]: position t's head_dim floats, for t < max n_ctx of
// the tile. REQUIRES 1 <= n <= AttentionTileWidth(); scratch as above.
void AttendTile(const AttentionQuery* queries, size_t n, const float* const* keys,
                const float* const* values, size_t head_dim, float scale, float* scratch);

namespace scalar {
// Plain reference, one query at a time (double accumulation).
void AttendTile(const AttentionQuery* queries, size_t n, const float* const* keys,
                const float* const* values, size_t head_dim, float scale);
}  // namespace scalar

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_ATTENTION_H_
