/* mlx_runtime.h: the specification's runtime API, exactly, over radixlm.
 *
 * One current model per process (MLXLoadModel); model_handle 0 names it
 * (several models at once: use the native API, radixlm.h).
 * Cache handles are 64-bit ids; MLX_ROOT_CACHE_HANDLE (0) is the empty
 * sequence and is never freed. Whatever prefix of a sequence is already
 * cached is never computed again.
 *
 * Errors: functions return MLX_SUCCESS or a negative MLX_ERROR_* code; where
 * they take `char** out_error`, a message is stored there on failure (free
 * it with MLXFreeError; NULL on success; out_error may be NULL).
 *
 * Options: MLXLoadModel reads RADIXLM_KV_CACHE_BYTES (KV budget; default a
 * quarter of RAM, at most 16 GiB), RADIXLM_THREADS (default: all CPUs) and
 * RADIXLM_PAGE_SIZE (tokens per KV page, default 16) from the environment.
 *
 * Thread safety: MLXForwardWithCache, MLXSliceCache and MLXFreeCache may be
 * called concurrently from many threads; concurrent forwards are batched.
 * MLXLoadModel must not run concurrently with other calls.
 */
#ifndef RADIXLM_MLX_RUNTIME_H_
#define RADIXLM_MLX_RUNTIME_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLX_ROOT_CACHE_HANDLE 0
#define MLX_SUCCESS 0
#define MLX_ERROR_INVALID_HANDLE -1
#define MLX_ERROR_OUT_OF_MEMORY -2
#define MLX_ERROR_INVALID_TOKENS -3
#define MLX_ERROR_COMPUTATION_FAILED -4
#define MLX_ERROR_MODEL_NOT_LOADED -5

/* Loads a model (GGUF file, Hugging Face model directory, or llama2.c
 * checkpoint with its tokenizer beside it) and makes it the current model, replacing (and freeing) the previous
 * one; handles of the previous model become invalid. vocab_size <= 0: take
 * it from the model; otherwise it must equal the model's vocabulary.
 * Returns MLX_SUCCESS, MLX_ERROR_MODEL_NOT_LOADED (file missing or
 * malformed), MLX_ERROR_INVALID_TOKENS (vocab_size mismatch) or
 * MLX_ERROR_OUT_OF_MEMORY. */
int MLXLoadModel(const char* model_path, int vocab_size);

/* Runs tokens[0, num_tokens) on top of the sequence of base_cache_handle
 * (MLX_ROOT_CACHE_HANDLE = empty), writes the last token's logits to
 * out_logits[0, vocab) and a new handle for base + tokens to
 * *out_cache_handle. Returns:
 *   MLX_SUCCESS;
 *   MLX_ERROR_MODEL_NOT_LOADED: no current model / unknown model_handle;
 *   MLX_ERROR_INVALID_HANDLE: base_cache_handle does not exist;
 *   MLX_ERROR_INVALID_TOKENS: tokens NULL or num_tokens <= 0, a token
 *     outside the vocabulary, out_logits NULL or out_logits_size smaller
 *     than the vocabulary, out_cache_handle NULL, or a sequence longer than
 *     the model's context;
 *   MLX_ERROR_OUT_OF_MEMORY: no KV pages even after evicting the cache;
 *   MLX_ERROR_COMPUTATION_FAILED: anything else. */
int MLXForwardWithCache(uintptr_t model_handle, const uint32_t* tokens, int num_tokens,
                        uint64_t base_cache_handle, float* out_logits, int out_logits_size,
                        uint64_t* out_cache_handle, char** out_error);

/* Stores in *out_sliced_handle, without copying KV (the cost is a walk up
 * the cache tree, independent of the sequence's KV size), a handle to
 * the first keep_tokens tokens of cache_handle (keep_tokens 0 → root).
 * Returns MLX_SUCCESS, MLX_ERROR_INVALID_HANDLE, MLX_ERROR_INVALID_TOKENS
 * (keep_tokens < 0 or more than the handle's length, or out_sliced_handle
 * NULL) or MLX_ERROR_MODEL_NOT_LOADED. */
int MLXSliceCache(uint64_t cache_handle, int keep_tokens, uint64_t* out_sliced_handle,
                  char** out_error);

/* Releases a handle; its KV stays cached (evictable) for later reuse.
 * Freeing MLX_ROOT_CACHE_HANDLE, an unknown or a freed handle does nothing. */
void MLXFreeCache(uint64_t cache_handle);

/* Frees an error message returned through out_error. NULL is allowed. */
void MLXFreeError(char* error);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* RADIXLM_MLX_RUNTIME_H_ */
