// The C API (include/radixlm/radixlm.h) over radixlm::Engine. Every entry
// point catches everything: no exception crosses into C.
#include "radixlm/radixlm.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "base/profiler.h"
#include "capi/capi_internal.h"
#include "engine/engine.h"

using radixlm::Engine;
using radixlm::EngineOptions;
using radixlm::Status;

namespace radixlm {

char* CopyError(const std::string& message) {
  char* out = static_cast<char*>(std::malloc(message.size() + 1));
  if (out != nullptr) std::memcpy(out, message.c_str(), message.size() + 1);
  return out;
}

int Report(const Status& s, char** error) {
  if (error != nullptr) *error = s.ok() ? nullptr : CopyError(s.ToString());
  return static_cast<int>(s.code());
}

Engine* EngineOf(rlm_engine* e) { return reinterpret_cast<Engine*>(e); }
const Engine* EngineOf(const rlm_engine* e) { return reinterpret_cast<const Engine*>(e); }

}  // namespace radixlm

using radixlm::EngineOf;
using radixlm::Report;

// Runs body() (returning Status) with exceptions turned into kInternal.
#define RLM_C_GUARD(error, body)                                          \
  try {                                                                   \
    return Report((body), (error));                                       \
  } catch (const std::bad_alloc&) {                                       \
    return Report(Status::ResourceExhausted("out of memory"), (error));   \
  } catch (const std::exception& ex) {                                    \
    return Report(Status::Internal(ex.what()), (error));                  \
  } catch (...) {                                                         \
    return Report(Status::Internal("unknown exception"), (error));        \
  }

extern "C" {

const char* rlm_status_string(int status) {
  switch (status) {
    case RLM_OK: return "OK";
    case RLM_INVALID_ARGUMENT: return "invalid argument";
    case RLM_NOT_FOUND: return "not found";
    case RLM_RESOURCE_EXHAUSTED: return "resource exhausted";
    case RLM_CORRUPTION: return "corruption";
    case RLM_IO_ERROR: return "I/O error";
    case RLM_CANCELLED: return "cancelled";
    case RLM_INTERNAL: return "internal error";
    default: return "unknown status";
  }
}

void rlm_free_error(char* error) { std::free(error); }

void rlm_engine_options_init(rlm_engine_options* options) {
  if (options != nullptr) std::memset(options, 0, sizeof(*options));
}

int rlm_engine_new(rlm_engine** out, const char* model_path, const rlm_engine_options* options,
                   char** error) {
  RLM_C_GUARD(error, ([&]() -> Status {
    if (out == nullptr || model_path == nullptr) {
      return Status::InvalidArgument("rlm_engine_new: out and model_path must not be NULL");
    }
    *out = nullptr;
    EngineOptions opt;
    if (options != nullptr) {
      opt.kv_cache_bytes = options->kv_cache_bytes;
      if (options->page_size) opt.page_size = options->page_size;
      opt.threads = options->threads;
      if (options->max_step_tokens) opt.max_step_tokens = options->max_step_tokens;
      if (options->eviction != nullptr) {
        RLM_RETURN_IF_ERROR(radixlm::ParseEvictionPolicy(options->eviction, &opt.eviction));
      }
      if (options->tokenizer_path != nullptr) opt.tokenizer_path = options->tokenizer_path;
      opt.fail_computation = options->fail_computation;
      opt.fail_every = options->fail_every;
    }
    std::unique_ptr<Engine> engine;
    RLM_RETURN_IF_ERROR(Engine::Open(model_path, opt, &engine));
    *out = reinterpret_cast<rlm_engine*>(engine.release());
    return Status::Ok();
  }()));
}

void rlm_engine_free(rlm_engine* engine) {
  if (engine == nullptr) return;
  delete EngineOf(engine);
}

int32_t rlm_engine_vocab_size(const rlm_engine* engine) {
  return engine ? EngineOf(engine)->vocab_size() : 0;
}

int rlm_forward_with_cache_ns(uint64_t* out_handle, rlm_engine* engine, uint64_t ns,
                              uint64_t base, const int32_t* tokens, size_t n_tokens,
                              float* logits, size_t logits_size, char** error) {
  RLM_C_GUARD(error, ([&]() -> Status {
    if (out_handle == nullptr || engine == nullptr) {
      return Status::InvalidArgument("out_handle and engine must not be NULL");
    }
    if (tokens == nullptr && n_tokens > 0) return Status::InvalidArgument("tokens is NULL");
    return EngineOf(engine)->ForwardWithCache(base, {tokens, n_tokens}, logits, logits_size,
                                              out_handle, ns);
  }()));
}

int rlm_forward_with_cache(uint64_t* out_handle, rlm_engine* engine, uint64_t base,
                           const int32_t* tokens, size_t n_tokens, float* logits,
                           size_t logits_size, char** error) {
  return rlm_forward_with_cache_ns(out_handle, engine, 0, base, tokens, n_tokens, logits,
                                   logits_size, error);
}

int rlm_match_prefix(uint64_t* out_handle, size_t* out_length, rlm_engine* engine, uint64_t ns,
                     const int32_t* tokens, size_t n_tokens, char** error) {
  RLM_C_GUARD(error, ([&]() -> Status {
    if (out_handle == nullptr || out_length == nullptr || engine == nullptr) {
      return Status::InvalidArgument("out_handle, out_length and engine must not be NULL");
    }
    if (tokens == nullptr && n_tokens > 0) return Status::InvalidArgument("tokens is NULL");
    return EngineOf(engine)->MatchPrefix({tokens, n_tokens}, out_handle, out_length, ns);
  }()));
}

int rlm_slice_cache(uint64_t* out_handle, rlm_engine* engine, uint64_t handle,
                    size_t keep_tokens, char** error) {
  RLM_C_GUARD(error, ([&]() -> Status {
    if (out_handle == nullptr || engine == nullptr) {
      return Status::InvalidArgument("out_handle and engine must not be NULL");
    }
    return EngineOf(engine)->SliceCache(handle, keep_tokens, out_handle);
  }()));
}

void rlm_free_cache(rlm_engine* engine, uint64_t handle) {
  if (engine == nullptr) return;
  try {
    EngineOf(engine)->FreeCache(handle);
  } catch (...) {
  }
}

int rlm_retain_cache(rlm_engine* engine, uint64_t handle, char** error) {
  RLM_C_GUARD(error, ([&]() -> Status {
    if (engine == nullptr) return Status::InvalidArgument("engine is NULL");
    return EngineOf(engine)->RetainCache(handle);
  }()));
}

int rlm_cache_length(size_t* out_length, const rlm_engine* engine, uint64_t handle,
                     char** error) {
  RLM_C_GUARD(error, ([&]() -> Status {
    if (out_length == nullptr || engine == nullptr) {
      return Status::InvalidArgument("out_length and engine must not be NULL");
    }
    return EngineOf(engine)->HandleInfo(handle, out_length, nullptr, nullptr);
  }()));
}

int rlm_cache_logits(int* out_present, const rlm_engine* engine, uint64_t handle, float* logits,
                     size_t logits_size, char** error) {
  RLM_C_GUARD(error, ([&]() -> Status {
    if (out_present == nullptr || engine == nullptr || logits == nullptr) {
      return Status::InvalidArgument("out_present, engine and logits must not be NULL");
    }
    const Engine* e = EngineOf(engine);
    if (logits_size < static_cast<size_t>(e->vocab_size())) {
      return Status::InvalidArgument("logits buffer smaller than the vocabulary");
    }
    std::vector<float> v;
    RLM_RETURN_IF_ERROR(e->HandleInfo(handle, nullptr, nullptr, &v));
    *out_present = v.empty() ? 0 : 1;
    std::copy(v.begin(), v.end(), logits);
    return Status::Ok();
  }()));
}

int rlm_evict_pages(rlm_evict_result* out, rlm_engine* engine, uint64_t pages) {
  RLM_C_GUARD(nullptr, ([&]() -> Status {
    if (engine == nullptr) return Status::InvalidArgument("engine is NULL");
    radixlm::EvictResult r = EngineOf(engine)->EvictPages(pages);
    if (out != nullptr) *out = rlm_evict_result{r.nodes, r.tokens, r.pages_freed};
    return Status::Ok();
  }()));
}

int rlm_evict_leaves(rlm_evict_result* out, rlm_engine* engine, uint64_t leaves) {
  RLM_C_GUARD(nullptr, ([&]() -> Status {
    if (engine == nullptr) return Status::InvalidArgument("engine is NULL");
    radixlm::EvictResult r = EngineOf(engine)->EvictLeaves(leaves);
    if (out != nullptr) *out = rlm_evict_result{r.nodes, r.tokens, r.pages_freed};
    return Status::Ok();
  }()));
}

int rlm_engine_stats(rlm_stats* out, const rlm_engine* engine) {
  RLM_C_GUARD(nullptr, ([&]() -> Status {
    if (out == nullptr || engine == nullptr) {
      return Status::InvalidArgument("out and engine must not be NULL");
    }
    const Engine* e = EngineOf(engine);
    const radixlm::EngineStats s = e->Stats();
    *out = rlm_stats{};
    out->lookups = s.cache.lookups;
    out->hits = s.cache.hits;
    out->tokens_looked_up = s.cache.tokens_looked_up;
    out->tokens_matched = s.cache.tokens_matched;
    out->tokens_computed = s.tokens_computed;
    out->forwards = s.forwards;
    out->full_hits = s.full_hits;
    out->evicted_nodes = s.cache.evicted_nodes;
    out->evicted_tokens = s.cache.evicted_tokens;
    out->cached_tokens = s.cache.cached_tokens;
    out->nodes = s.cache.nodes;
    out->pages_total = s.cache.total_pages;
    out->pages_free = s.cache.free_pages;
    out->pages_evictable = s.cache.evictable_pages;
    out->pages_pinned = s.cache.pinned_pages;
    out->live_handles = s.live_handles;
    out->page_bytes = const_cast<Engine*>(e)->pool().bytes_per_page();
    return Status::Ok();
  }()));
}

int rlm_tokenize(size_t* out_count, const rlm_engine* engine, const char* text, size_t text_len,
                 int add_special, int32_t* tokens, size_t capacity, char** error) {
  RLM_C_GUARD(error, ([&]() -> Status {
    if (out_count == nullptr || engine == nullptr || (text == nullptr && text_len > 0)) {
      return Status::InvalidArgument("out_count, engine and text must not be NULL");
    }
    std::vector<int32_t> ids;
    RLM_RETURN_IF_ERROR(EngineOf(engine)->model().tokenizer().Encode(
        std::string_view(text ? text : "", text_len), add_special != 0, false, &ids));
    *out_count = ids.size();
    if (tokens != nullptr) std::copy_n(ids.begin(), std::min(capacity, ids.size()), tokens);
    return Status::Ok();
  }()));
}

int rlm_detokenize(size_t* out_len, const rlm_engine* engine, const int32_t* tokens,
                   size_t n_tokens, char* text, size_t capacity, char** error) {
  RLM_C_GUARD(error, ([&]() -> Status {
    if (out_len == nullptr || engine == nullptr || (tokens == nullptr && n_tokens > 0)) {
      return Status::InvalidArgument("out_len, engine and tokens must not be NULL");
    }
    const std::string s = EngineOf(engine)->model().tokenizer().Decode(
        std::vector<int32_t>(tokens, tokens + n_tokens));
    *out_len = s.size();
    if (text != nullptr && capacity > 0) {
      const size_t n = std::min(capacity - 1, s.size());
      std::memcpy(text, s.data(), n);
      text[n] = '\0';
    }
    return Status::Ok();
  }()));
}

int32_t rlm_token_bos(const rlm_engine* engine) {
  return engine ? EngineOf(engine)->model().tokenizer().bos() : -1;
}

int32_t rlm_token_eos(const rlm_engine* engine) {
  return engine ? EngineOf(engine)->model().tokenizer().eos() : -1;
}

int rlm_profiler_start(void) {
  radixlm::Profiler::Global().Start();
  return RLM_OK;
}

int rlm_profiler_stop(const char* trace_path, char** summary, char** error) {
  if (summary != nullptr) *summary = nullptr;
  RLM_C_GUARD(error, ([&]() -> Status {
    radixlm::Profiler& p = radixlm::Profiler::Global();
    p.Stop();
    if (summary != nullptr) *summary = radixlm::CopyError(p.Summary());
    return trace_path != nullptr ? p.WriteChromeTrace(trace_path) : Status::Ok();
  }()));
}

}  // extern "C"
