/* Test of the native C API (radixlm.h), compiled as C against
 * libradixlm.so: engine lifecycle, cached forwards and their statistics,
 * namespaces, retain/free, tokenize/detokenize, errors.
 * usage: radixlm_c_test MODEL_PATH */
#define _POSIX_C_SOURCE 200809L
#include "radixlm/radixlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_failed = 0;
static int g_passed = 0;

#define EXPECT(cond)                                                      \
  do {                                                                    \
    if (cond) {                                                           \
      g_passed++;                                                         \
    } else {                                                              \
      g_failed++;                                                         \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                     \
  } while (0)

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  char* error = NULL;
  rlm_engine* engine = NULL;

  EXPECT(rlm_engine_new(&engine, "/nonexistent", NULL, &error) == RLM_IO_ERROR);
  EXPECT(error != NULL && strstr(error, "/nonexistent") != NULL);
  rlm_free_error(error);
  error = NULL;
  EXPECT(rlm_engine_new(NULL, argv[1], NULL, NULL) == RLM_INVALID_ARGUMENT);

  rlm_engine_options opt;
  rlm_engine_options_init(&opt);
  opt.page_size = 4;
  opt.threads = 2;
  opt.eviction = "bogus";
  EXPECT(rlm_engine_new(&engine, argv[1], &opt, NULL) == RLM_INVALID_ARGUMENT);
  opt.eviction = "lru";
  EXPECT(rlm_engine_new(&engine, argv[1], &opt, &error) == RLM_OK);
  EXPECT(error == NULL);
  const int32_t vocab = rlm_engine_vocab_size(engine);
  EXPECT(vocab == 512);
  EXPECT(rlm_token_bos(engine) == 1);

  /* Tokenize "Once upon a time" with BOS. */
  int32_t ids[64];
  size_t n = 0;
  EXPECT(rlm_tokenize(&n, engine, "Once upon a time", 16, 1, ids, 64, NULL) == RLM_OK);
  EXPECT(n == 5 && ids[0] == 1);
  char text[128];
  size_t len = 0;
  EXPECT(rlm_detokenize(&len, engine, ids, n, text, sizeof(text), NULL) == RLM_OK);
  EXPECT(strcmp(text, "Once upon a time") == 0);

  float* logits = malloc(sizeof(float) * vocab);
  uint64_t h = 0, h2 = 0, h3 = 0;
  EXPECT(rlm_forward_with_cache(&h, engine, 0, ids, n, logits, vocab, NULL) == RLM_OK);
  rlm_stats st;
  EXPECT(rlm_engine_stats(&st, engine) == RLM_OK);
  EXPECT(st.tokens_computed == 5 && st.forwards == 1 && st.live_handles == 1);
  EXPECT(st.pages_free + st.pages_evictable + st.pages_pinned == st.pages_total);
  EXPECT(st.pages_pinned == 2); /* 5 tokens, 4 per page */

  /* The same sequence again computes nothing; a longer one only its tail. */
  EXPECT(rlm_forward_with_cache(&h2, engine, 0, ids, n, logits, vocab, NULL) == RLM_OK);
  EXPECT(rlm_engine_stats(&st, engine) == RLM_OK);
  EXPECT(st.tokens_computed == 5 && st.full_hits == 1);
  const int32_t more[] = {30, 356};
  EXPECT(rlm_forward_with_cache(&h3, engine, h, more, 2, logits, vocab, NULL) == RLM_OK);
  EXPECT(rlm_engine_stats(&st, engine) == RLM_OK);
  EXPECT(st.tokens_computed == 7);
  size_t length = 0;
  EXPECT(rlm_cache_length(&length, engine, h3, NULL) == RLM_OK && length == 7);

  /* Matching computes nothing and pins the prefix. */
  const int32_t probe[] = {1, 403, 407, 261, 999};
  uint64_t m = 0;
  size_t mlen = 0;
  EXPECT(rlm_match_prefix(&m, &mlen, engine, 0, probe, 5, NULL) == RLM_OK);
  EXPECT(mlen == 4 && m != 0);
  EXPECT(rlm_cache_length(&length, engine, m, NULL) == RLM_OK && length == 4);
  rlm_free_cache(engine, m);
  EXPECT(rlm_match_prefix(&m, &mlen, engine, 7, probe, 5, NULL) == RLM_OK);
  EXPECT(mlen == 0 && m == 0);
  EXPECT(rlm_engine_stats(&st, engine) == RLM_OK);
  EXPECT(st.tokens_computed == 7);

  /* Another namespace shares nothing. */
  EXPECT(rlm_forward_with_cache_ns(&h2, engine, 42, 0, ids, n, logits, vocab, NULL) == RLM_OK);
  EXPECT(rlm_engine_stats(&st, engine) == RLM_OK);
  EXPECT(st.tokens_computed == 12);

  /* Retain/free: two references need two frees. */
  EXPECT(rlm_retain_cache(engine, h3, NULL) == RLM_OK);
  rlm_free_cache(engine, h3);
  EXPECT(rlm_cache_length(&length, engine, h3, NULL) == RLM_OK);
  rlm_free_cache(engine, h3);
  EXPECT(rlm_cache_length(&length, engine, h3, NULL) == RLM_NOT_FOUND);
  rlm_free_cache(engine, h3);
  rlm_free_cache(engine, 0);

  /* Slices have no logits; errors carry messages. */
  uint64_t s = 0;
  int present = -1;
  EXPECT(rlm_slice_cache(&s, engine, h, 3, NULL) == RLM_OK);
  EXPECT(rlm_cache_logits(&present, engine, s, logits, vocab, NULL) == RLM_OK && present == 0);
  EXPECT(rlm_cache_logits(&present, engine, h, logits, vocab, NULL) == RLM_OK && present == 1);
  EXPECT(rlm_slice_cache(&s, engine, h, 6, &error) == RLM_INVALID_ARGUMENT);
  EXPECT(error != NULL);
  rlm_free_error(error);
  const int32_t bad[] = {vocab};
  EXPECT(rlm_forward_with_cache(&h2, engine, 0, bad, 1, logits, vocab, NULL) ==
         RLM_INVALID_ARGUMENT);
  EXPECT(rlm_forward_with_cache(&h2, engine, 0, ids, 0, logits, vocab, NULL) ==
         RLM_INVALID_ARGUMENT);
  EXPECT(rlm_forward_with_cache(&h2, engine, 99999999, ids, n, logits, vocab, NULL) ==
         RLM_NOT_FOUND);

  /* Eviction never touches pinned KV. */
  rlm_evict_result ev;
  EXPECT(rlm_evict_pages(&ev, engine, 1000000) == RLM_OK);
  EXPECT(rlm_engine_stats(&st, engine) == RLM_OK);
  EXPECT(st.pages_evictable == 0 && st.pages_pinned > 0);
  EXPECT(st.pages_free + st.pages_evictable + st.pages_pinned == st.pages_total);
  EXPECT(rlm_forward_with_cache(&h2, engine, h, more, 2, logits, vocab, NULL) == RLM_OK);

  /* The profiler records a forward's operations and writes a Chrome trace. */
  {
    char trace[] = "/tmp/radixlm_c_test_profile_XXXXXX";
    const int fd = mkstemp(trace);
    EXPECT(fd >= 0);
    EXPECT(rlm_profiler_start() == RLM_OK);
    const int32_t fresh[] = {1, 42, 43, 44, 45, 46};
    uint64_t hp = 0;
    EXPECT(rlm_forward_with_cache(&hp, engine, 0, fresh, 6, logits, vocab, NULL) == RLM_OK);
    char* summary = NULL;
    EXPECT(rlm_profiler_stop(trace, &summary, &error) == RLM_OK && error == NULL);
    EXPECT(summary != NULL && strstr(summary, "matmul.wq") != NULL &&
           strstr(summary, "attention") != NULL && strstr(summary, "cache.acquire") != NULL);
    rlm_free_error(summary);
    FILE* f = fopen(trace, "r");
    char head[64] = {0};
    EXPECT(f != NULL && fread(head, 1, sizeof(head) - 1, f) > 0);
    EXPECT(strstr(head, "\"traceEvents\":[") != NULL);
    if (f != NULL) fclose(f);
    remove(trace);
    EXPECT(rlm_profiler_stop("/nonexistent-dir/trace.json", NULL, &error) == RLM_IO_ERROR);
    EXPECT(error != NULL);
    rlm_free_error(error);
    error = NULL;
    rlm_free_cache(engine, hp);
  }

  rlm_engine_free(engine);
  rlm_engine_free(NULL);
  free(logits);
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
