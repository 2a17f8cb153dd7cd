/* End-to-end test of mlx_runtime.h, compiled as C, linked against
 * libmlx_runtime.so: loading, forwards and slices equal to fresh forwards,
 * and every error code.
 * usage: mlx_runtime_c_test MODEL_PATH */
#define _POSIX_C_SOURCE 200112L /* setenv */
#include "radixlm/mlx_runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_failed = 0;
static int g_passed = 0;

#define EXPECT(cond)                                               \
  do {                                                             \
    if (cond) {                                                    \
      g_passed++;                                                  \
    } else {                                                       \
      g_failed++;                                                  \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
    }                                                              \
  } while (0)

/* Runs `call` (which may set `error`), then expects code `want` and, for
 * errors, a non-empty message. */
#define CHECK_CALL(call, want)         \
  do {                                 \
    error = NULL;                      \
    int rc_ = (call);                  \
    ExpectError(rc_, (want), error);   \
  } while (0)

static void ExpectError(int got, int want, char* error) {
  EXPECT(got == want);
  if (want != MLX_SUCCESS) {
    EXPECT(error != NULL && strlen(error) > 0);
  } else {
    EXPECT(error == NULL);
  }
  MLXFreeError(error);
}

static double RelDiff(const float* a, const float* b, int n) {
  double diff = 0, ref = 0;
  for (int i = 0; i < n; ++i) {
    double d = fabs((double)a[i] - b[i]);
    if (d > diff) diff = d;
    if (fabs(b[i]) > ref) ref = fabs(b[i]);
  }
  return diff / ref;
}

enum { kVocab = 512 };

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL_PATH\n", argv[0]);
    return 2;
  }
  const char* model = argv[1];
  /* "<s> Once upon a time" in stories260K's tokenizer, then more. */
  const uint32_t seq[] = {1, 403, 407, 261, 378, 30, 356, 285, 261, 300};
  const int n = (int)(sizeof(seq) / sizeof(seq[0]));
  float* fresh = malloc(sizeof(float) * kVocab);
  float* logits = malloc(sizeof(float) * kVocab);
  uint64_t h = 0, h2 = 0, s = 0;
  char* error = NULL;

  /* Before any model is loaded. */
  CHECK_CALL(MLXForwardWithCache(0, seq, n, MLX_ROOT_CACHE_HANDLE, logits, kVocab, &h, &error), MLX_ERROR_MODEL_NOT_LOADED);
  CHECK_CALL(MLXSliceCache(1, 1, &s, &error), MLX_ERROR_MODEL_NOT_LOADED);
  MLXFreeCache(1); /* harmless */

  /* Loading. */
  EXPECT(MLXLoadModel("/nonexistent/model.gguf", 0) == MLX_ERROR_MODEL_NOT_LOADED);
  EXPECT(MLXLoadModel(NULL, 0) == MLX_ERROR_MODEL_NOT_LOADED);
  EXPECT(MLXLoadModel(model, 1000) == MLX_ERROR_INVALID_TOKENS);
  EXPECT(MLXLoadModel(model, kVocab) == MLX_SUCCESS);

  /* One fresh forward of the whole sequence. */
  CHECK_CALL(MLXForwardWithCache(0, seq, n, MLX_ROOT_CACHE_HANDLE, fresh, kVocab, &h, &error), MLX_SUCCESS);
  EXPECT(h != MLX_ROOT_CACHE_HANDLE);

  /* The same through a chain: 3 tokens, then 4, then the rest. */
  uint64_t a = 0, b = 0, c = 0;
  CHECK_CALL(MLXForwardWithCache(0, seq, 3, 0, logits, kVocab, &a, &error), MLX_SUCCESS);
  CHECK_CALL(MLXForwardWithCache(0, seq + 3, 4, a, logits, kVocab, &b, &error), MLX_SUCCESS);
  CHECK_CALL(MLXForwardWithCache(0, seq + 7, n - 7, b, logits, kVocab, &c, &error), MLX_SUCCESS);
  EXPECT(RelDiff(logits, fresh, kVocab) <= 1e-4);

  /* Slice back to 5 tokens and run the rest again. */
  CHECK_CALL(MLXSliceCache(c, 5, &s, &error), MLX_SUCCESS);
  CHECK_CALL(MLXForwardWithCache(0, seq + 5, n - 5, s, logits, kVocab, &h2, &error), MLX_SUCCESS);
  EXPECT(RelDiff(logits, fresh, kVocab) <= 1e-4);
  CHECK_CALL(MLXSliceCache(c, 0, &s, &error), MLX_SUCCESS);
  EXPECT(s == MLX_ROOT_CACHE_HANDLE);

  /* Errors. */
  CHECK_CALL(MLXForwardWithCache(0, seq, n, 987654321, logits, kVocab, &h2, &error), MLX_ERROR_INVALID_HANDLE);
  CHECK_CALL(MLXForwardWithCache(0, NULL, n, 0, logits, kVocab, &h2, &error), MLX_ERROR_INVALID_TOKENS);
  CHECK_CALL(MLXForwardWithCache(0, seq, 0, 0, logits, kVocab, &h2, &error), MLX_ERROR_INVALID_TOKENS);
  const uint32_t bad[] = {1, 512};
  CHECK_CALL(MLXForwardWithCache(0, bad, 2, 0, logits, kVocab, &h2, &error), MLX_ERROR_INVALID_TOKENS);
  const uint32_t huge[] = {1, 4000000000u};
  CHECK_CALL(MLXForwardWithCache(0, huge, 2, 0, logits, kVocab, &h2, &error), MLX_ERROR_INVALID_TOKENS);
  CHECK_CALL(MLXForwardWithCache(0, seq, n, 0, logits, kVocab - 1, &h2, &error), MLX_ERROR_INVALID_TOKENS);
  CHECK_CALL(MLXForwardWithCache(0, seq, n, 0, logits, kVocab, NULL, &error), MLX_ERROR_INVALID_TOKENS);
  CHECK_CALL(MLXForwardWithCache(12345, seq, n, 0, logits, kVocab, &h2, &error), MLX_ERROR_MODEL_NOT_LOADED);
  CHECK_CALL(MLXSliceCache(c, n + 1, &s, &error), MLX_ERROR_INVALID_TOKENS);
  CHECK_CALL(MLXSliceCache(c, -1, &s, &error), MLX_ERROR_INVALID_TOKENS);
  CHECK_CALL(MLXSliceCache(987654321, 1, &s, &error), MLX_ERROR_INVALID_HANDLE);
  /* Errors with out_error NULL must not crash. */
  EXPECT(MLXForwardWithCache(0, seq, n, 987654321, logits, kVocab, &h2, NULL) ==
         MLX_ERROR_INVALID_HANDLE);

  /* Freeing: twice, 0 and unknown are harmless; a freed handle is invalid. */
  MLXFreeCache(a);
  MLXFreeCache(a);
  MLXFreeCache(MLX_ROOT_CACHE_HANDLE);
  MLXFreeCache(987654321);
  MLXFreeError(NULL);
  CHECK_CALL(MLXForwardWithCache(0, seq, 1, a, logits, kVocab, &h2, &error), MLX_ERROR_INVALID_HANDLE);
  /* The cached KV outlives the handle: the same tokens are a full hit. */
  CHECK_CALL(MLXForwardWithCache(0, seq, n, 0, logits, kVocab, &h2, &error), MLX_SUCCESS);
  EXPECT(RelDiff(logits, fresh, kVocab) == 0.0);

  /* Out of memory: a KV budget of 2 pages cannot hold 100 tokens. */
  setenv("RADIXLM_KV_CACHE_BYTES", "40960", 1);
  EXPECT(MLXLoadModel(model, 0) == MLX_SUCCESS);
  uint32_t long_seq[100];
  for (int i = 0; i < 100; ++i) long_seq[i] = (uint32_t)(3 + i * 5 % 500);
  CHECK_CALL(MLXForwardWithCache(0, long_seq, 100, 0, logits, kVocab, &h2, &error), MLX_ERROR_OUT_OF_MEMORY);
  /* Handles of the replaced model are gone. */
  CHECK_CALL(MLXSliceCache(c, 1, &s, &error), MLX_ERROR_INVALID_HANDLE);

  /* A failed computation. */
  unsetenv("RADIXLM_KV_CACHE_BYTES");
  setenv("RADIXLM_FAIL_COMPUTATION", "1", 1);
  EXPECT(MLXLoadModel(model, 0) == MLX_SUCCESS);
  CHECK_CALL(MLXForwardWithCache(0, seq, n, 0, logits, kVocab, &h2, &error), MLX_ERROR_COMPUTATION_FAILED);
  /* The poisoned computation is not cached: a retry computes and succeeds. */
  CHECK_CALL(MLXForwardWithCache(0, seq, n, 0, logits, kVocab, &h2, &error), MLX_SUCCESS);
  EXPECT(RelDiff(logits, fresh, kVocab) <= 1e-4);
  unsetenv("RADIXLM_FAIL_COMPUTATION");

  free(fresh);
  free(logits);
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
