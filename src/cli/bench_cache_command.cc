// radixlm bench-cache: what the radix cache saves. Time-to-first-token of a
// long prompt cold, of a second prompt sharing most of it (warm), and of
// computing just the new tokens on top of a handle of the shared prefix
// (the floor the warm request should approach); then the tree's own
// match+insert throughput on long sequences.
#include <chrono>
#include <cstdio>
#include <random>

#include "cli/commands.h"
#include "cli/flags.h"
#include "engine/engine.h"

namespace radixlm {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int Fail(const Status& s) {
  std::fprintf(stderr, "radixlm bench-cache: %s\n", s.ToString().c_str());
  return 1;
}

// Tree-only throughput: `n_seqs` sequences of `len` tokens, each sharing a
// random-length prefix with an earlier one, inserted (Acquire + Complete
// with fresh pages) and then matched again (Acquire, full hit).
void BenchTree(size_t n_seqs, size_t len) {
  KvLayout layout{1, 1, 16};  // tiny pages: this measures the tree, not memory
  std::unique_ptr<PagePool> pool;
  if (!PagePool::Create(layout, n_seqs * (len / 16 + 2) * layout.bytes_per_page(), &pool).ok()) {
    return;
  }
  RadixTree tree(pool.get(), RadixTreeOptions{});
  std::mt19937 rng(5);
  std::vector<std::vector<int32_t>> seqs;
  for (size_t i = 0; i < n_seqs; ++i) {
    std::vector<int32_t> s;
    if (i > 0) {
      const auto& prev = seqs[rng() % i];
      s.assign(prev.begin(), prev.begin() + rng() % len);
    }
    while (s.size() < len) s.push_back(static_cast<int32_t>(rng() % 32000));
    seqs.push_back(std::move(s));
  }
  std::vector<RadixNode*> held;
  auto t0 = Clock::now();
  size_t tokens = 0;
  for (const auto& s : seqs) {
    RadixTree::Lookup lk = tree.Acquire(0, s);
    if (lk.kind == RadixTree::Lookup::Kind::kCompute) {
      std::vector<PageId> pages;
      for (size_t j = lk.prefix_len / 16; j <= (s.size() - 1) / 16; ++j) {
        PageId p;
        if (!pool->Allocate(&p).ok()) break;
        pages.push_back(p);
      }
      tree.Complete(lk.node, pages, nullptr);
      for (PageId p : pages) pool->Unref(p);
    }
    held.push_back(lk.node);
    tokens += s.size();
  }
  const double insert_s = Since(t0);
  t0 = Clock::now();
  for (const auto& s : seqs) {
    RadixTree::Lookup lk = tree.Acquire(0, s);
    tree.Unlock(lk.node);
  }
  const double match_s = Since(t0);
  for (RadixNode* n : held) tree.Unlock(n);
  std::printf("tree: %zu sequences x %zu tokens: insert %.1f M tokens/s, match %.1f M tokens/s\n",
              n_seqs, len, tokens / insert_s / 1e6, tokens / match_s / 1e6);
}

}  // namespace

int BenchCacheCommand(int argc, char** argv, int first) {
  std::string model_path = RADIXLM_DEFAULT_MODEL;
  int32_t prompt_tokens = 1500, shared_tokens = 1400, threads = 0;
  FlagParser p("radixlm bench-cache [-m MODEL] [options]");
  p.AddString("-m,--model", &model_path, "model file");
  p.AddInt("--prompt-tokens", &prompt_tokens, "tokens of each prompt");
  p.AddInt("--shared-tokens", &shared_tokens, "tokens the second prompt shares with the first");
  p.AddInt("-t,--threads", &threads, "threads (0: all CPUs)");
  Status s = p.Parse(argc, argv, first);
  if (p.help_requested()) {
    std::fputs(p.Help().c_str(), stdout);
    return 0;
  }
  if (!s.ok()) return Fail(s);
  if (shared_tokens <= 0 || shared_tokens >= prompt_tokens) {
    return Fail(Status::InvalidArgument("need 0 < --shared-tokens < --prompt-tokens"));
  }
  EngineOptions opt;
  opt.threads = threads;
  std::unique_ptr<Engine> engine;
  s = Engine::Open(model_path, opt, &engine);
  if (!s.ok()) return Fail(s);
  const size_t vocab = engine->vocab_size();
  std::mt19937 rng(1);
  std::vector<int32_t> a(prompt_tokens), b;
  for (auto& t : a) t = static_cast<int32_t>(3 + rng() % (vocab - 3));
  b.assign(a.begin(), a.begin() + shared_tokens);
  while (b.size() < a.size()) b.push_back(static_cast<int32_t>(3 + rng() % (vocab - 3)));
  std::vector<float> logits(vocab);

  // Cold: nothing cached.
  uint64_t ha, hb, hp, hc;
  auto t0 = Clock::now();
  if (!(s = engine->ForwardWithCache(0, a, logits.data(), vocab, &ha)).ok()) return Fail(s);
  const double cold = Since(t0);
  // Warm: b shares shared_tokens with a; only the rest is computed.
  t0 = Clock::now();
  if (!(s = engine->ForwardWithCache(0, b, logits.data(), vocab, &hb)).ok()) return Fail(s);
  const double warm = Since(t0);
  // Floor: the same new tokens on top of a handle of the shared prefix.
  if (!(s = engine->SliceCache(ha, shared_tokens, &hp)).ok()) return Fail(s);
  std::vector<int32_t> tail(b.begin() + shared_tokens, b.end());
  tail[0] = (tail[0] + 1) % static_cast<int32_t>(vocab);  // not cached yet
  t0 = Clock::now();
  if (!(s = engine->ForwardWithCache(hp, tail, logits.data(), vocab, &hc)).ok()) return Fail(s);
  const double floor_s = Since(t0);
  const size_t new_tokens = prompt_tokens - shared_tokens;
  std::printf("model: %s\n", model_path.c_str());
  std::printf("cold  TTFT, %5d-token prompt:              %8.3f s (%.1f tokens/s)\n",
              prompt_tokens, cold, prompt_tokens / cold);
  std::printf("warm  TTFT, %5d shared + %zu new tokens:   %8.3f s\n", shared_tokens, new_tokens,
              warm);
  std::printf("floor, %zu tokens on a %d-token handle:     %8.3f s\n", new_tokens, shared_tokens,
              floor_s);
  std::printf("warm / floor: %.2fx   cold / warm: %.1fx\n", warm / floor_s, cold / warm);
  for (uint64_t h : {ha, hb, hp, hc}) engine->FreeCache(h);
  const EngineStats st = engine->Stats();
  std::printf("cache: %llu lookups, %llu hits, %llu tokens matched of %llu looked up, "
              "%llu computed; pages free/evictable/pinned %zu/%zu/%zu of %zu\n",
              (unsigned long long)st.cache.lookups, (unsigned long long)st.cache.hits,
              (unsigned long long)st.cache.tokens_matched,
              (unsigned long long)st.cache.tokens_looked_up,
              (unsigned long long)st.tokens_computed, st.cache.free_pages,
              st.cache.evictable_pages, st.cache.pinned_pages, st.cache.total_pages);
  BenchTree(100, 4000);
  return 0;
}

}  // namespace radixlm
