// MatMul throughput at TinyLlama-1.1B shapes (dim 2048, hidden 5632, vocab
// 32000) for each weight type. bytes_per_second counts weight bytes read per
// call, so at n_batch=1 it compares directly with memory bandwidth;
// GFLOPS (2 * rows * cols * n_batch per call) is the compute rate.
//
//   kernels_bench --benchmark_filter='batch:1/' (decode), 'batch:64/' (batched
//   decode) or 'batch:512/' (prefill)
//   RADIXLM_THREADS=N sets the pool size (default: all online CPUs).
#include <iterator>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/gemm_int8.h"
#include "kernels/matmul.h"
#include "kernels/test_util.h"

namespace radixlm {
namespace {

ThreadPool* Pool() {
  static ThreadPool* pool = [] {
    const char* env = std::getenv("RADIXLM_THREADS");
    const size_t n = env != nullptr ? std::strtoul(env, nullptr, 10) : DefaultThreadCount();
    return new ThreadPool(n > 0 ? n : 1);
  }();
  return pool;
}

constexpr DType kTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ8_0,
                            DType::kQ4_0, DType::kQ4_K, DType::kQ6_K};

// Args: dtype index, rows, cols, n_batch.
void BM_MatMul(benchmark::State& state) {
  const DType type = kTypes[state.range(0)];
  const size_t rows = static_cast<size_t>(state.range(1));
  const size_t cols = static_cast<size_t>(state.range(2));
  const size_t n_batch = static_cast<size_t>(state.range(3));
  const test::Matrix m = test::RandomMatrix(type, rows, cols, 1);
  const std::vector<float> x = test::RandomFloats(n_batch * cols, 2);
  std::vector<float> out(n_batch * rows);
  ThreadPool* pool = Pool();
  for (auto _ : state) {
    MatMul(out.data(), rows, m.view, x.data(), n_batch, pool);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(DTypeName(type));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * rows *
                                               DTypeRowBytes(type, cols)));
  state.counters["GFLOPS"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2.0 * rows * cols * n_batch * 1e-9,
      benchmark::Counter::kIsRate);
}

void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"type", "rows", "cols", "batch"});
  const int64_t shapes[][2] = {{2048, 2048}, {5632, 2048}, {2048, 5632}, {32000, 2048}};
  for (int64_t batch : {1, 64, 512}) {
    for (int64_t t = 0; t < static_cast<int64_t>(std::size(kTypes)); ++t) {
      for (const auto& s : shapes) b->Args({t, s[0], s[1], batch});
    }
  }
  b->UseRealTime();
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_MatMul)->Apply(Shapes);

// Decode as the model runs it: one batch row against weights streamed from
// memory (copies of a 5632x2048 matrix cycled through, 96 MiB or more in
// all, so the last-level cache holds none of them) and read from the
// load-time panels where the type has them. bytes_per_second is then the
// memory bandwidth the kernel draws; compare with tools/membw.
void BM_Decode(benchmark::State& state) {
  const DType type = kTypes[state.range(0)];
  constexpr size_t kRows = 5632, kCols = 2048;
  const size_t copies = std::max<size_t>(2, (96u << 20) / (kRows * DTypeRowBytes(type, kCols)) + 1);
  // One random matrix, copied: quantizing is slow, and the bytes' values do
  // not matter to the speed.
  std::vector<test::Matrix> ms(copies, test::RandomMatrix(type, kRows, kCols, 1));
  std::vector<std::vector<uint8_t>> panels(copies);
  for (size_t i = 0; i < copies; ++i) {
    ms[i].view.data = ms[i].bytes.data();
    panels[i].resize(PackedPanelBytes(ms[i].view));
    if (i == 0 && !panels[i].empty()) PackPanels(ms[i].view, panels[i].data());
    if (i > 0) panels[i] = panels[0];
    if (!panels[i].empty()) ms[i].view.packed = panels[i].data();
  }
  const std::vector<float> x = test::RandomFloats(kCols, 2);
  std::vector<float> out(kRows);
  ThreadPool* pool = Pool();
  size_t i = 0;
  for (auto _ : state) {
    MatMul(out.data(), kRows, ms[i].view, x.data(), 1, pool);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    i = (i + 1) % copies;
  }
  state.SetLabel(DTypeName(type));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRows *
                                               DTypeRowBytes(type, kCols)));
}
BENCHMARK(BM_Decode)->DenseRange(0, static_cast<int64_t>(std::size(kTypes)) - 1)
    ->ArgName("type")->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace radixlm

BENCHMARK_MAIN();
