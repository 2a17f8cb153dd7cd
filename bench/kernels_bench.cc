// MatMul throughput at TinyLlama-1.1B shapes (dim 2048, hidden 5632, vocab
// 32000) for each weight type. bytes_per_second counts weight bytes read per
// call, so at n_batch=1 it compares directly with memory bandwidth;
// GFLOPS (2 * rows * cols * n_batch per call) is the compute rate.
//
//   kernels_bench --benchmark_filter='/1/' (decode)  or  '/64/' (prefill)
//   RADIXLM_THREADS=N sets the pool size (default: all online CPUs).
#include <iterator>
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "base/thread_pool.h"
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
  for (int64_t batch : {1, 64}) {
    for (int64_t t = 0; t < static_cast<int64_t>(std::size(kTypes)); ++t) {
      for (const auto& s : shapes) b->Args({t, s[0], s[1], batch});
    }
  }
  b->UseRealTime();
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_MatMul)->Apply(Shapes);

}  // namespace
}  // namespace radixlm

BENCHMARK_MAIN();
