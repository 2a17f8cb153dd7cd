// Engine: a loaded model plus the RadixAttention cache, reached through
// cache handles. Every forward first matches the longest cached prefix of
// its whole sequence and computes only the rest; a sequence that is fully
// cached with stored logits computes nothing. Concurrent forwards of the
// same new tokens compute them once; concurrent forwards of different
// sequences are batched into shared forward passes (BatchRunner).
//
// Handles. A handle (the specification's KVCache) is an immutable computed
// sequence: its tokens, a pinned radix-tree node, and the logits of its last
// token when it was computed. Ids are 64-bit, unique across all engines of
// the process and never reused; id 0 is the
// empty root (always valid, never freed). Freeing an unknown id, a freed id
// or 0 is harmless.
//
// Thread safety: every method is thread-safe.
#ifndef RADIXLM_ENGINE_ENGINE_H_
#define RADIXLM_ENGINE_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "cache/page_pool.h"
#include "cache/radix_tree.h"
#include "engine/batch_runner.h"
#include "model/model.h"

namespace radixlm {

struct EngineOptions {
  // Bytes of RAM for KV pages. 0: a quarter of physical memory, at most
  // 16 GiB.
  size_t kv_cache_bytes = 0;
  // Tokens per KV page (>= 1). Default 16.
  size_t page_size = 16;
  // Compute threads. 0: one per CPU.
  size_t threads = 0;
  // Most tokens computed in one forward step across all sequences (long
  // prompts are prefilled in chunks of this). Default 512.
  size_t max_step_tokens = 512;
  // Which cached leaves go first when pages run out.
  EvictionPolicy eviction = EvictionPolicy::kLru;
  // llama2.c checkpoints: tokenizer file (see ModelLoadOptions).
  std::string tokenizer_path;
  // Testing only: when > 0, the Nth model computation (and every
  // fail_every-th after it, if fail_every > 0) fails with an Internal error,
  // to exercise failure paths (poisoned pending nodes, error codes).
  uint64_t fail_computation = 0;
  uint64_t fail_every = 0;
};

// What one forward found in the cache.
struct ForwardInfo {
  size_t cached_tokens = 0;    // tokens of the whole sequence served from the cache
  size_t computed_tokens = 0;  // tokens run through the model
};

struct EngineStats {
  RadixTreeStats cache;
  BatchRunnerStats runner;
  uint64_t forwards = 0;          // ForwardWithCache calls that succeeded
  uint64_t tokens_requested = 0;  // their whole sequences' tokens
  uint64_t tokens_computed = 0;   // of those, computed (not served from cache)
  uint64_t full_hits = 0;         // forwards that computed nothing
  uint64_t live_handles = 0;
};

class Engine {
 public:
  static Status Open(const std::string& model_path, const EngineOptions& options,
                     std::unique_ptr<Engine>* out);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const Model& model() const { return *model_; }
  int32_t vocab_size() const { return model_->config().vocab_size; }

  // Runs tokens on top of the sequence of `base` (0 = empty) and returns a
  // new handle for base + tokens in *out_handle. If logits is not null it
  // receives the last token's logits (logits_size >= vocab_size, else
  // InvalidArgument). Errors: NotFound (bad handle), InvalidArgument (empty
  // or out-of-vocabulary tokens, small buffer), ResourceExhausted (no KV
  // pages even after eviction). ns: cache namespace (tenant isolation).
  Status ForwardWithCache(uint64_t base, std::span<const int32_t> tokens, float* logits,
                          size_t logits_size, uint64_t* out_handle, CacheNamespace ns = 0,
                          ForwardInfo* info = nullptr);

  // The longest cached prefix of tokens, computing nothing: *out_handle is a
  // handle to it (0 when nothing is cached) and *out_length its length. The
  // handle pins the prefix until freed.
  Status MatchPrefix(std::span<const int32_t> tokens, uint64_t* out_handle, size_t* out_length,
                     CacheNamespace ns = 0);

  // Tokens of the longest cached prefix of tokens (nothing pinned).
  size_t CachedPrefixLength(std::span<const int32_t> tokens, CacheNamespace ns = 0);

  // A handle to the first keep_tokens tokens of `handle`, in O(depth) and
  // without copying KV. keep 0 → 0 (root). keep > length → InvalidArgument.
  Status SliceCache(uint64_t handle, size_t keep_tokens, uint64_t* out_handle);

  // Drops a reference to a handle (at zero its pin is released).
  void FreeCache(uint64_t handle);
  // Adds a reference to a handle (FreeCache once more to drop it).
  Status RetainCache(uint64_t handle);

  // Length in tokens of a handle's sequence; its tokens; its logits (empty
  // when the handle's last token was not computed by a forward).
  Status HandleInfo(uint64_t handle, size_t* length, std::vector<int32_t>* tokens,
                    std::vector<float>* logits) const;

  // Evicts cached, unpinned KV: at least `pages` pages when possible.
  EvictResult EvictPages(size_t pages);
  // Evicts up to `leaves` least-valuable unpinned leaves.
  EvictResult EvictLeaves(size_t leaves);

  EngineStats Stats() const;
  // Aborts on a broken cache invariant (tests).
  void CheckInvariants() const;

  PagePool& pool() { return *pool_; }
  RadixTree& tree() { return *tree_; }

 private:
  struct Handle {
    std::shared_ptr<const std::vector<int32_t>> tokens;  // [0, length) used
    size_t length = 0;
    RadixNode* node = nullptr;  // locked by this handle
    Logits logits;
    uint32_t refs = 1;
  };

  Engine() = default;
  // Computes positions [begin, n) of `seq` on top of cached pages of
  // [0, begin) (prefix_pages), allocating (and copying on write) the pages
  // it needs. On success *new_pages holds page ids for indices begin/P ..
  // (n-1)/P, with this caller's refs, and *logits the last position's logits.
  Status Compute(const std::vector<int32_t>& seq, size_t begin,
                 const std::vector<PageId>& prefix_pages, std::vector<PageId>* new_pages,
                 Logits* logits);
  Status AllocatePage(PageId* out);
  uint64_t AddHandle(Handle h);

  std::unique_ptr<Model> model_;
  std::unique_ptr<PagePool> pool_;
  std::unique_ptr<RadixTree> tree_;
  std::unique_ptr<BatchRunner> runner_;
  size_t page_size_ = 16;
  uint64_t fail_computation_ = 0;
  uint64_t fail_every_ = 0;
  std::atomic<uint64_t> computations_{0};

  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Handle> handles_;  // GUARDED_BY(mu_)
  std::atomic<uint64_t> forwards_{0};
  std::atomic<uint64_t> tokens_requested_{0};
  std::atomic<uint64_t> tokens_computed_{0};
  std::atomic<uint64_t> full_hits_{0};
};

}  // namespace radixlm

#endif  // RADIXLM_ENGINE_ENGINE_H_
