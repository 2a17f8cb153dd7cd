/* radixlm.h: the C API of the radixlm inference engine.
 *
 * An engine is a loaded model plus its RadixAttention KV cache. Sequences
 * are computed through cache handles: rlm_forward_with_cache() runs tokens
 * on top of a handle's sequence (handle 0 = the empty sequence) and returns
 * a new handle; whatever prefix of the whole sequence is already cached is
 * not computed again. rlm_slice_cache() returns a handle to a prefix
 * without copying KV. rlm_free_cache() drops a handle.
 *
 * Conventions: every function that can fail returns an rlm_status (RLM_OK
 * = 0), takes its out-parameters first, and, where it takes `char** error`,
 * stores there (when error is not NULL) a message the caller frees with
 * rlm_free_error() (NULL on success). No C++ exception crosses this API.
 *
 * Thread safety: all functions may be called concurrently, on the same or
 * different handles and engines, except rlm_engine_free (no other call on
 * that engine may be running or follow). Concurrent forwards are batched
 * together by the engine.
 */
#ifndef RADIXLM_RADIXLM_H_
#define RADIXLM_RADIXLM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RLM_API __attribute__((visibility("default")))
#else
#define RLM_API
#endif

/* Status codes (the values of the engine's Status codes). */
typedef enum rlm_status {
  RLM_OK = 0,
  RLM_INVALID_ARGUMENT = 1,   /* bad tokens, sizes, options */
  RLM_NOT_FOUND = 2,          /* unknown cache handle, missing file */
  RLM_RESOURCE_EXHAUSTED = 3, /* KV cache full even after eviction */
  RLM_CORRUPTION = 4,         /* malformed model file */
  RLM_IO_ERROR = 5,
  RLM_CANCELLED = 6,
  RLM_INTERNAL = 7
} rlm_status;

/* Returns a static, human-readable name of a status code. */
RLM_API const char* rlm_status_string(int status);

/* Frees a message returned through a `char** error` parameter. NULL is
 * allowed. */
RLM_API void rlm_free_error(char* error);

typedef struct rlm_engine rlm_engine;

typedef struct rlm_engine_options {
  /* Bytes of RAM for KV pages; 0 = a quarter of RAM, at most 16 GiB. */
  uint64_t kv_cache_bytes;
  /* Tokens per KV page; 0 = 16. */
  uint32_t page_size;
  /* Compute threads; 0 = one per CPU. */
  uint32_t threads;
  /* Most tokens per forward step across sequences; 0 = 512. */
  uint32_t max_step_tokens;
  /* Eviction policy: "lru" (default when NULL), "lfu" or "priority". */
  const char* eviction;
  /* llama2.c checkpoints: tokenizer path; NULL = next to the model. */
  const char* tokenizer_path;
  /* Testing only: when > 0, the Nth model computation fails (RLM_INTERNAL),
   * and every fail_every-th after it when fail_every > 0. */
  uint64_t fail_computation;
  uint64_t fail_every;
} rlm_engine_options;

/* Fills *options with the defaults. */
RLM_API void rlm_engine_options_init(rlm_engine_options* options);

/* Loads a model (GGUF file, Hugging Face model directory, or llama2.c
 * checkpoint) and creates its engine.
 * options may be NULL (defaults). On success the caller owns *out and frees
 * it with rlm_engine_free. */
RLM_API int rlm_engine_new(rlm_engine** out, const char* model_path,
                           const rlm_engine_options* options, char** error);

/* Frees an engine and every handle it holds. NULL is allowed. */
RLM_API void rlm_engine_free(rlm_engine* engine);

/* Size of the model's vocabulary (the length of a logits vector). */
RLM_API int32_t rlm_engine_vocab_size(const rlm_engine* engine);

/* Runs tokens[0, n_tokens) on top of the sequence of `base` (0 = empty) and
 * stores a new handle for base + tokens in *out_handle. When logits is not
 * NULL it receives the last token's logits; logits_size must then be at
 * least rlm_engine_vocab_size(). Errors: RLM_NOT_FOUND (unknown base),
 * RLM_INVALID_ARGUMENT (no tokens, a token outside the vocabulary, a small
 * buffer, a sequence longer than the model's context),
 * RLM_RESOURCE_EXHAUSTED (no KV pages even after eviction). */
RLM_API int rlm_forward_with_cache(uint64_t* out_handle, rlm_engine* engine, uint64_t base,
                                   const int32_t* tokens, size_t n_tokens, float* logits,
                                   size_t logits_size, char** error);

/* Same, in the cache namespace `ns` (e.g. a hash of a tenant's cache salt):
 * sequences of different namespaces never share KV. */
RLM_API int rlm_forward_with_cache_ns(uint64_t* out_handle, rlm_engine* engine, uint64_t ns,
                                      uint64_t base, const int32_t* tokens, size_t n_tokens,
                                      float* logits, size_t logits_size, char** error);

/* Finds the longest cached prefix of tokens[0, n_tokens) in namespace ns
 * without computing anything: *out_handle is a handle to it (0 when nothing
 * is cached; the handle pins the prefix until freed) and *out_length its
 * length in tokens. */
RLM_API int rlm_match_prefix(uint64_t* out_handle, size_t* out_length, rlm_engine* engine,
                             uint64_t ns, const int32_t* tokens, size_t n_tokens, char** error);

/* Stores in *out_handle a handle to the first keep_tokens tokens of
 * `handle`, without copying KV (0 when keep_tokens is 0). Errors:
 * RLM_NOT_FOUND, RLM_INVALID_ARGUMENT (keep_tokens > the handle's length). */
RLM_API int rlm_slice_cache(uint64_t* out_handle, rlm_engine* engine, uint64_t handle,
                            size_t keep_tokens, char** error);

/* Drops one reference to a handle; at zero its KV becomes evictable.
 * Freeing 0, an unknown or an already freed handle does nothing. */
RLM_API void rlm_free_cache(rlm_engine* engine, uint64_t handle);

/* Adds a reference to a handle (each needs its own rlm_free_cache). */
RLM_API int rlm_retain_cache(rlm_engine* engine, uint64_t handle, char** error);

/* Length in tokens of a handle's sequence. */
RLM_API int rlm_cache_length(size_t* out_length, const rlm_engine* engine, uint64_t handle,
                             char** error);

/* Copies a handle's stored last-token logits into logits[0, vocab) and sets
 * *out_present to 1, or to 0 when the handle has none (a slice). */
RLM_API int rlm_cache_logits(int* out_present, const rlm_engine* engine, uint64_t handle,
                             float* logits, size_t logits_size, char** error);

typedef struct rlm_evict_result {
  uint64_t nodes;
  uint64_t tokens;
  uint64_t pages_freed;
} rlm_evict_result;

/* Evicts unpinned cached KV until at least `pages` pages are free again or
 * nothing is evictable. out may be NULL. */
RLM_API int rlm_evict_pages(rlm_evict_result* out, rlm_engine* engine, uint64_t pages);

/* Evicts up to `leaves` least-recently-used (by the engine's policy)
 * unpinned cache leaves. out may be NULL. */
RLM_API int rlm_evict_leaves(rlm_evict_result* out, rlm_engine* engine, uint64_t leaves);

typedef struct rlm_stats {
  uint64_t lookups;           /* cache lookups (one per forward) */
  uint64_t hits;              /* lookups that matched at least one token */
  uint64_t tokens_looked_up;
  uint64_t tokens_matched;    /* tokens served from the cache */
  uint64_t tokens_computed;   /* tokens run through the model */
  uint64_t forwards;          /* successful forwards */
  uint64_t full_hits;         /* forwards that computed nothing */
  uint64_t evicted_nodes;
  uint64_t evicted_tokens;
  uint64_t cached_tokens;     /* tokens currently in the cache tree */
  uint64_t nodes;
  uint64_t pages_total;
  uint64_t pages_free;
  uint64_t pages_evictable;
  uint64_t pages_pinned;
  uint64_t live_handles;
  uint64_t page_bytes;        /* bytes per KV page */
} rlm_stats;

/* Fills *out with the engine's counters and cache state. */
RLM_API int rlm_engine_stats(rlm_stats* out, const rlm_engine* engine);

/* Tokenizes UTF-8 text. Writes at most capacity ids to tokens and the full
 * count to *out_count (call with capacity 0 to size the buffer).
 * add_special: prepend BOS as the model's tokenizer does. */
RLM_API int rlm_tokenize(size_t* out_count, const rlm_engine* engine, const char* text,
                         size_t text_len, int add_special, int32_t* tokens, size_t capacity,
                         char** error);

/* Decodes tokens to UTF-8 text, written (NUL-terminated, truncated to
 * capacity-1 bytes) to text; *out_len receives the full length. */
RLM_API int rlm_detokenize(size_t* out_len, const rlm_engine* engine, const int32_t* tokens,
                           size_t n_tokens, char* text, size_t capacity, char** error);

/* The model's BOS and EOS token ids (-1 when it has none). */
RLM_API int32_t rlm_token_bos(const rlm_engine* engine);
RLM_API int32_t rlm_token_eos(const rlm_engine* engine);

/* Profiler (process-wide, all engines): per-operation timings of every
 * forward (matmuls by layer, attention, norms), sampling, scheduling and
 * cache lookups. Near-zero cost while stopped.
 * rlm_profiler_start() clears earlier events and starts recording.
 * rlm_profiler_stop() stops; when trace_path is not NULL it writes the
 * events there as a Chrome trace (JSON, for chrome://tracing or Perfetto);
 * when summary is not NULL it stores there a text table of where the time
 * went, which the caller frees with rlm_free_error().
 * libmlx_runtime starts it in MLXLoadModel when the environment variable
 * RADIXLM_PROFILE names a file, and writes that file at exit. */
RLM_API int rlm_profiler_start(void);
RLM_API int rlm_profiler_stop(const char* trace_path, char** summary, char** error);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* RADIXLM_RADIXLM_H_ */
