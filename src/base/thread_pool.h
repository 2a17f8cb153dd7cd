// ThreadPool: a fixed set of workers for data-parallel loops.
//
// Thread safety: ParallelFor may be called from one thread at a time (the
// owner); it blocks until every chunk has run. Workers spin briefly after a
// job, then sleep, so back-to-back kernel launches cost little.
#ifndef RADIXLM_BASE_THREAD_POOL_H_
#define RADIXLM_BASE_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
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
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<size_t> pending_{0};
  std::atomic<bool> stop_{false};
  // The current job (written by the owner before bumping generation_).
  const std::function<void(size_t)>* job_ = nullptr;
};

// Threads to use by default: the number of online CPUs.
size_t DefaultThreadCount();

}  // namespace radixlm

#endif  // RADIXLM_BASE_THREAD_POOL_H_
