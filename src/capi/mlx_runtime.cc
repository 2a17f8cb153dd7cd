// The specification's MLX* API (include/radixlm/mlx_runtime.h), a thin layer
// over the native C API: one current engine, status codes mapped to MLX
// codes, uint32 tokens checked and passed on.
#include "radixlm/mlx_runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "radixlm/radixlm.h"

namespace {

// The current engine. Calls share the lock; MLXLoadModel takes it alone.
std::shared_mutex g_mu;
rlm_engine* g_engine = nullptr;

char* Message(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out != nullptr) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

int Fail(int code, const std::string& message, char** out_error) {
  if (out_error != nullptr) *out_error = Message(message);
  return code;
}

// Maps a native status to an MLX code, passing its message on.
int FromNative(int status, char* native_error, char** out_error) {
  int code = MLX_ERROR_COMPUTATION_FAILED;
  switch (status) {
    case RLM_OK: code = MLX_SUCCESS; break;
    case RLM_NOT_FOUND: code = MLX_ERROR_INVALID_HANDLE; break;
    case RLM_INVALID_ARGUMENT: code = MLX_ERROR_INVALID_TOKENS; break;
    case RLM_RESOURCE_EXHAUSTED: code = MLX_ERROR_OUT_OF_MEMORY; break;
    default: break;
  }
  if (out_error != nullptr) {
    *out_error = native_error;
  } else {
    rlm_free_error(native_error);
  }
  return code;
}

uint64_t EnvNumber(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : 0;
}

// The specification's MLXLoadModel takes no options, so this shim (and only
// it) reads them from the environment: RADIXLM_KV_CACHE_BYTES,
// RADIXLM_THREADS, RADIXLM_PAGE_SIZE, RADIXLM_PROFILE, and, for tests,
// RADIXLM_FAIL_COMPUTATION / RADIXLM_FAIL_EVERY (see EngineOptions).
void OptionsFromEnvironment(rlm_engine_options* o) {
  rlm_engine_options_init(o);
  o->kv_cache_bytes = EnvNumber("RADIXLM_KV_CACHE_BYTES");
  o->threads = static_cast<uint32_t>(EnvNumber("RADIXLM_THREADS"));
  o->page_size = static_cast<uint32_t>(EnvNumber("RADIXLM_PAGE_SIZE"));
  o->fail_computation = EnvNumber("RADIXLM_FAIL_COMPUTATION");
  o->fail_every = EnvNumber("RADIXLM_FAIL_EVERY");
}

// RADIXLM_PROFILE=FILE: profile from the first MLXLoadModel to exit, then
// write FILE (Chrome trace) and print the summary on stderr.
void WriteProfileAtExit() {
  char* summary = nullptr;
  char* error = nullptr;
  if (rlm_profiler_stop(std::getenv("RADIXLM_PROFILE"), &summary, &error) != RLM_OK) {
    std::fprintf(stderr, "radixlm: profile: %s\n", error != nullptr ? error : "failed");
  }
  if (summary != nullptr) std::fprintf(stderr, "radixlm profile:\n%s", summary);
  rlm_free_error(summary);
  rlm_free_error(error);
}

void StartProfileFromEnvironment() {
  static std::once_flag once;
  const char* path = std::getenv("RADIXLM_PROFILE");
  if (path == nullptr || *path == '\0') return;
  std::call_once(once, [] {
    rlm_profiler_start();
    std::atexit(WriteProfileAtExit);
  });
}

rlm_engine* EngineFor(uintptr_t model_handle) {
  if (model_handle == 0 || model_handle == reinterpret_cast<uintptr_t>(g_engine)) return g_engine;
  return nullptr;
}

}  // namespace

extern "C" {

int MLXLoadModel(const char* model_path, int vocab_size) {
  if (model_path == nullptr) return MLX_ERROR_MODEL_NOT_LOADED;
  rlm_engine_options options;
  OptionsFromEnvironment(&options);
  StartProfileFromEnvironment();
  rlm_engine* engine = nullptr;
  char* error = nullptr;
  const int status = rlm_engine_new(&engine, model_path, &options, &error);
  rlm_free_error(error);
  if (status == RLM_RESOURCE_EXHAUSTED) return MLX_ERROR_OUT_OF_MEMORY;
  if (status != RLM_OK) return MLX_ERROR_MODEL_NOT_LOADED;
  if (vocab_size > 0 && vocab_size != rlm_engine_vocab_size(engine)) {
    rlm_engine_free(engine);
    return MLX_ERROR_INVALID_TOKENS;
  }
  rlm_engine* old = nullptr;
  {
    std::unique_lock<std::shared_mutex> lock(g_mu);
    old = g_engine;
    g_engine = engine;
  }
  rlm_engine_free(old);
  return MLX_SUCCESS;
}

int MLXForwardWithCache(uintptr_t model_handle, const uint32_t* tokens, int num_tokens,
                        uint64_t base_cache_handle, float* out_logits, int out_logits_size,
                        uint64_t* out_cache_handle, char** out_error) {
  if (out_error != nullptr) *out_error = nullptr;
  std::shared_lock<std::shared_mutex> lock(g_mu);
  rlm_engine* engine = EngineFor(model_handle);
  if (engine == nullptr) {
    return Fail(MLX_ERROR_MODEL_NOT_LOADED,
                g_engine ? "unknown model handle" : "no model loaded (call MLXLoadModel)",
                out_error);
  }
  if (tokens == nullptr || num_tokens <= 0) {
    return Fail(MLX_ERROR_INVALID_TOKENS, "no tokens (tokens NULL or num_tokens <= 0)", out_error);
  }
  if (out_cache_handle == nullptr) {
    return Fail(MLX_ERROR_INVALID_TOKENS, "out_cache_handle is NULL", out_error);
  }
  const int32_t vocab = rlm_engine_vocab_size(engine);
  if (out_logits == nullptr || out_logits_size < vocab) {
    return Fail(MLX_ERROR_INVALID_TOKENS,
                "out_logits must hold the vocabulary (" + std::to_string(vocab) + " floats)",
                out_error);
  }
  std::vector<int32_t> ids(static_cast<size_t>(num_tokens));
  for (int i = 0; i < num_tokens; ++i) {
    if (tokens[i] >= static_cast<uint32_t>(vocab)) {
      return Fail(MLX_ERROR_INVALID_TOKENS,
                  "token " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                      " is outside the vocabulary [0, " + std::to_string(vocab) + ")",
                  out_error);
    }
    ids[i] = static_cast<int32_t>(tokens[i]);
  }
  char* error = nullptr;
  const int status =
      rlm_forward_with_cache(out_cache_handle, engine, base_cache_handle, ids.data(), ids.size(),
                             out_logits, static_cast<size_t>(out_logits_size), &error);
  return FromNative(status, error, out_error);
}

int MLXSliceCache(uint64_t cache_handle, int keep_tokens, uint64_t* out_sliced_handle,
                  char** out_error) {
  if (out_error != nullptr) *out_error = nullptr;
  std::shared_lock<std::shared_mutex> lock(g_mu);
  if (g_engine == nullptr) {
    return Fail(MLX_ERROR_MODEL_NOT_LOADED, "no model loaded (call MLXLoadModel)", out_error);
  }
  if (out_sliced_handle == nullptr) {
    return Fail(MLX_ERROR_INVALID_TOKENS, "out_sliced_handle is NULL", out_error);
  }
  if (keep_tokens < 0) {
    return Fail(MLX_ERROR_INVALID_TOKENS, "keep_tokens is negative", out_error);
  }
  char* error = nullptr;
  const int status = rlm_slice_cache(out_sliced_handle, g_engine, cache_handle,
                                     static_cast<size_t>(keep_tokens), &error);
  return FromNative(status, error, out_error);
}

void MLXFreeCache(uint64_t cache_handle) {
  std::shared_lock<std::shared_mutex> lock(g_mu);
  if (g_engine != nullptr) rlm_free_cache(g_engine, cache_handle);
}

void MLXFreeError(char* error) { std::free(error); }

}  // extern "C"
