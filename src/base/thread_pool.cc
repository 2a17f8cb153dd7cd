#include "base/thread_pool.h"

#include <algorithm>

#include "base/check.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RLM_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define RLM_PAUSE() asm volatile("yield")
#else
#define RLM_PAUSE() ((void)0)
#endif

namespace radixlm {

namespace {
constexpr int kSpinIterations = 20000;
}  // namespace

ThreadPool::ThreadPool(size_t n_threads) : n_threads_(std::max<size_t>(1, n_threads)) {
  for (size_t i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::WorkerLoop(size_t index) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations) {
      RLM_PAUSE();
      ++spins;
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    RunChunk(index);
  }
}

void ThreadPool::RunChunk(size_t index) {
  (*job_)(index);
  pending_.fetch_sub(1, std::memory_order_acq_rel);
}

void ThreadPool::RunOnAll(const std::function<void(size_t)>& fn) {
  if (n_threads_ == 1) {
    fn(0);
    return;
  }
  job_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  wake_.notify_all();
  fn(0);
  while (pending_.load(std::memory_order_acquire) != 0) RLM_PAUSE();
  job_ = nullptr;
}

void ThreadPool::ParallelFor(size_t n, size_t grain,
                             const std::function<void(size_t, size_t, size_t)>& fn) {
  if (n == 0) return;
  grain = std::max<size_t>(1, grain);
  const size_t n_grains = (n + grain - 1) / grain;
  const size_t n_chunks = std::min(n_threads_, n_grains);
  if (n_chunks == 1) {
    fn(0, n, 0);
    return;
  }
  RunOnAll([&](size_t t) {
    if (t >= n_chunks) return;
    const size_t g0 = n_grains * t / n_chunks;
    const size_t g1 = n_grains * (t + 1) / n_chunks;
    const size_t begin = g0 * grain;
    const size_t end = std::min(n, g1 * grain);
    if (begin < end) fn(begin, end, t);
  });
}

size_t DefaultThreadCount() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace radixlm
