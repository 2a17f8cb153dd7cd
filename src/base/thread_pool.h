// ThreadPool: a fixed set of workers for data-parallel loops.
//
// Thread safety: ParallelFor may be called from one thread at a time (the
// owner); it blocks until every chunk has run. Workers and the owner spin
// briefly, then sleep on a futex (C++20 atomic wait), so back-to-back kernel
// launches cost little and an oversubscribed machine (more runnable threads
// than cores) does not burn its time slices spinning.
#ifndef RADIXLM_BASE_THREAD_POOL_H_
#define RADIXLM_BASE_THREAD_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace radixlm {

class ThreadPool {
 public:
  // n_threads: total threads taking part, the caller included; >= 1.
  explicit ThreadPool(size_t n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return n_threads_; }

  // Runs fn(begin, end, thread_index) over [0, n) split into contiguous
  // chunks, at most one per thread, each a multiple of `grain` long (except
  // the last). Returns when all chunks are done.
  void ParallelFor(size_t n, size_t grain,
                   const std::function<void(size_t, size_t, size_t)>& fn);

  // Runs fn(thread_index) once on every thread.
  void RunOnAll(const std::function<void(size_t)>& fn);

 private:
  void WorkerLoop(size_t index);
  void RunChunk(size_t index);

  const size_t n_threads_;
  std::vector<std::thread> workers_;
  std::atomic<uint32_t> generation_{0};  // bumped per job; workers wait on it
  std::atomic<uint32_t> pending_{0};     // chunks not yet done; the owner waits on it
  std::atomic<bool> stop_{false};
  // The current job (written by the owner before bumping generation_).
  const std::function<void(size_t)>* job_ = nullptr;
};

// Threads to use by default: the number of online CPUs.
size_t DefaultThreadCount();

}  // namespace radixlm

#endif  // RADIXLM_BASE_THREAD_POOL_H_
