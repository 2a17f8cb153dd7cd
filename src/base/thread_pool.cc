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
// Spins before sleeping: long enough to catch the next kernel launch of a
// forward pass, short enough not to matter when the machine is busy.
constexpr int kSpinIterations = 4000;

// Waits until `a` differs from `old`: spin, then futex wait.
void AwaitChange(const std::atomic<uint32_t>& a, uint32_t old) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (a.load(std::memory_order_acquire) != old) return;
    RLM_PAUSE();
  }
  while (a.load(std::memory_order_acquire) == old) a.wait(old, std::memory_order_acquire);
}
}  // namespace

ThreadPool::ThreadPool(size_t n_threads) : n_threads_(std::max<size_t>(1, n_threads)) {
  for (size_t i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::WorkerLoop(size_t index) {
  uint32_t seen = 0;
  for (;;) {
    AwaitChange(generation_, seen);
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    RunChunk(index);
  }
}

void ThreadPool::RunChunk(size_t index) {
  (*job_)(index);
  if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
}

void ThreadPool::RunOnAll(const std::function<void(size_t)>& fn) {
  if (n_threads_ == 1) {
    fn(0);
    return;
  }
  job_ = &fn;
  pending_.store(static_cast<uint32_t>(n_threads_ - 1), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  fn(0);
  for (uint32_t left = pending_.load(std::memory_order_acquire); left != 0;
       left = pending_.load(std::memory_order_acquire)) {
    AwaitChange(pending_, left);
  }
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
