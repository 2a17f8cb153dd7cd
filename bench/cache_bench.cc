// RadixTree throughput on long shared-prefix sequences: 100 sequences of
// 4,000 tokens (a 1,000-token shared system prompt, 10 groups sharing a
// further 1,000 tokens, then 2,000 tokens of their own). items_per_second
// counts tokens looked up (or inserted) per second.
//
//   cache_bench --benchmark_filter=Hit
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "base/check.h"
#include "cache/page_pool.h"
#include "cache/radix_tree.h"

namespace radixlm {
namespace {

using Kind = RadixTree::Lookup::Kind;
using Tokens = std::vector<int32_t>;

constexpr size_t kSequences = 100;
constexpr size_t kLength = 4000;

const std::vector<Tokens>& Sequences() {
  static const std::vector<Tokens>* seqs = [] {
    std::mt19937 rng(1);
    auto random_tokens = [&](size_t n) {
      Tokens t(n);
      for (int32_t& x : t) x = static_cast<int32_t>(rng() % 32000);
      return t;
    };
    const Tokens system = random_tokens(1000);
    std::vector<Tokens> groups;
    for (int g = 0; g < 10; ++g) groups.push_back(random_tokens(1000));
    auto* out = new std::vector<Tokens>;
    for (size_t i = 0; i < kSequences; ++i) {
      Tokens t = system;
      t.insert(t.end(), groups[i % 10].begin(), groups[i % 10].end());
      const Tokens own = random_tokens(kLength - t.size());
      t.insert(t.end(), own.begin(), own.end());
      out->push_back(std::move(t));
    }
    return out;
  }();
  return *seqs;
}

std::unique_ptr<PagePool> MakePool(size_t page_size) {
  KvLayout layout;
  layout.n_layers = 1;
  layout.kv_dim = 1;
  layout.page_size = page_size;
  const size_t pages = kSequences * kLength / page_size + 1024;
  std::unique_ptr<PagePool> pool;
  RLM_CHECK(PagePool::Create(layout, pages * layout.bytes_per_page(), &pool).ok());
  return pool;
}

// Acquire (match) every sequence and compute what is missing: Complete with
// fresh pages. A cold tree per iteration; pool and tree setup not timed.
void BM_AcquireComplete(benchmark::State& state) {
  const size_t page_size = static_cast<size_t>(state.range(0));
  const auto& seqs = Sequences();
  auto pool = MakePool(page_size);
  for (auto _ : state) {
    state.PauseTiming();
    auto tree = std::make_unique<RadixTree>(pool.get(), RadixTreeOptions{});
    state.ResumeTiming();
    std::vector<PageId> pages;
    for (const Tokens& t : seqs) {
      RadixTree::Lookup l = tree->Acquire(0, t);
      if (l.kind == Kind::kCompute) {
        pages.clear();
        for (size_t idx = l.prefix_len / page_size; idx * page_size < t.size(); ++idx) {
          PageId p;
          RLM_CHECK(pool->Allocate(&p).ok());
          pages.push_back(p);
        }
        tree->Complete(l.node, pages, nullptr);
        for (PageId p : pages) pool->Unref(p);
      }
      tree->Unlock(l.node);
    }
    state.PauseTiming();
    tree.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSequences * kLength));
}
BENCHMARK(BM_AcquireComplete)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);

// Plain Insert of every sequence with its full page list (duplicates freed).
void BM_Insert(benchmark::State& state) {
  const size_t page_size = static_cast<size_t>(state.range(0));
  const auto& seqs = Sequences();
  auto pool = MakePool(page_size);
  const size_t n_pages = (kLength + page_size - 1) / page_size;
  for (auto _ : state) {
    state.PauseTiming();
    auto tree = std::make_unique<RadixTree>(pool.get(), RadixTreeOptions{});
    state.ResumeTiming();
    std::vector<PageId> pages(n_pages);
    for (const Tokens& t : seqs) {
      for (PageId& p : pages) RLM_CHECK(pool->Allocate(&p).ok());
      size_t already = 0;
      RadixNode* node = tree->Insert(0, t, pages, nullptr, &already);
      for (PageId p : pages) pool->Unref(p);
      tree->Unlock(node);
    }
    state.PauseTiming();
    tree.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSequences * kLength));
}
BENCHMARK(BM_Insert)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);

// Full hits on a warm tree: match, page table, lock, unlock.
void BM_AcquireHit(benchmark::State& state) {
  const size_t page_size = static_cast<size_t>(state.range(0));
  const auto& seqs = Sequences();
  auto pool = MakePool(page_size);
  RadixTree tree(pool.get(), RadixTreeOptions{});
  const size_t n_pages = (kLength + page_size - 1) / page_size;
  std::vector<PageId> pages(n_pages);
  for (const Tokens& t : seqs) {
    for (PageId& p : pages) RLM_CHECK(pool->Allocate(&p).ok());
    size_t already = 0;
    tree.Unlock(tree.Insert(0, t, pages, nullptr, &already));
    for (PageId p : pages) pool->Unref(p);
  }
  for (auto _ : state) {
    for (const Tokens& t : seqs) {
      RadixTree::Lookup l = tree.Acquire(0, t);
      RLM_CHECK(l.kind == Kind::kHit);
      benchmark::DoNotOptimize(l.pages.data());
      tree.Unlock(l.node);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSequences * kLength));
}
BENCHMARK(BM_AcquireHit)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace radixlm

BENCHMARK_MAIN();
