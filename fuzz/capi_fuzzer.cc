// Drives the C API with arbitrary sequences of operations (forward, slice,
// free, retain, evict) on stories260K with a tiny KV budget, checking the
// cache invariants after every operation. Any crash, sanitizer report or
// broken invariant (RLM_CHECK aborts) is a finding.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "radixlm/radixlm.h"

namespace {

rlm_engine* Engine() {
  static rlm_engine* engine = [] {
    rlm_engine_options opt;
    rlm_engine_options_init(&opt);
    opt.page_size = 4;
    opt.threads = 1;
    opt.kv_cache_bytes = 24 * 4 * 5 * 2 * 32 * 4;  // 24 pages of 4 tokens
    rlm_engine* e = nullptr;
    if (rlm_engine_new(&e, RADIXLM_SOURCE_DIR "/models/stories260K/stories260K.bin", &opt,
                       nullptr) != RLM_OK) {
      __builtin_trap();
    }
    return e;
  }();
  return engine;
}

void CheckAccounting(rlm_engine* e) {
  rlm_stats st;
  if (rlm_engine_stats(&st, e) != RLM_OK) __builtin_trap();
  if (st.pages_free + st.pages_evictable + st.pages_pinned != st.pages_total) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rlm_engine* e = Engine();
  std::vector<uint64_t> held;
  std::vector<float> logits(rlm_engine_vocab_size(e));
  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  auto pick = [&]() -> uint64_t {
    const uint8_t b = next();
    if (held.empty() || b % 8 == 0) return b % 16 == 0 ? 0 : 1000000 + b;  // root or bogus
    return held[b % held.size()];
  };
  while (i < size) {
    switch (next() % 6) {
      case 0:
      case 1: {  // forward 1..8 tokens (some outside the vocabulary)
        const uint64_t base = pick();
        const size_t n = 1 + next() % 8;
        std::vector<int32_t> tokens(n);
        for (auto& t : tokens) t = static_cast<int32_t>(next()) * 3 - 40;
        uint64_t h = 0;
        if (rlm_forward_with_cache(&h, e, base, tokens.data(), n, logits.data(), logits.size(),
                                   nullptr) == RLM_OK) {
          held.push_back(h);
        }
        break;
      }
      case 2: {  // slice
        const uint64_t h = pick();
        uint64_t s = 0;
        if (rlm_slice_cache(&s, e, h, next() % 24, nullptr) == RLM_OK && s != 0) held.push_back(s);
        break;
      }
      case 3: {  // free (maybe twice, maybe bogus)
        const uint64_t h = pick();
        rlm_free_cache(e, h);
        for (auto it = held.begin(); it != held.end(); ++it) {
          if (*it == h) {
            held.erase(it);
            break;
          }
        }
        break;
      }
      case 4: {  // retain, then free right away (net zero)
        const uint64_t h = pick();
        if (rlm_retain_cache(e, h, nullptr) == RLM_OK) rlm_free_cache(e, h);
        break;
      }
      case 5:
        if (next() % 2) {
          rlm_evict_pages(nullptr, e, next() % 8);
        } else {
          rlm_evict_leaves(nullptr, e, next() % 4);
        }
        break;
    }
    CheckAccounting(e);
  }
  for (uint64_t h : held) rlm_free_cache(e, h);
  rlm_evict_pages(nullptr, e, UINT64_MAX);
  rlm_stats st;
  rlm_engine_stats(&st, e);
  if (st.pages_pinned != 0 || st.live_handles != 0) __builtin_trap();
  return 0;
}
