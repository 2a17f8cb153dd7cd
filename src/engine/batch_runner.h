// BatchRunner: one engine thread that runs forward passes for many callers,
// batching whatever work is queued into each step (continuous batching at
// the granularity of one forward). Long jobs advance by at most
// `max_step_tokens` per step, shared fairly, so short jobs are not stuck
// behind a long prefill.
//
// Thread safety: Run may be called from any number of threads at once.
#ifndef RADIXLM_ENGINE_BATCH_RUNNER_H_
#define RADIXLM_ENGINE_BATCH_RUNNER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "model/transformer.h"

namespace radixlm {

// One sequence's work: compute tokens[begin, end) at positions
// [begin, end) into `pages` (which already hold KV of [0, begin)), and the
// logits of position end-1.
struct ForwardJob {
  const int32_t* tokens = nullptr;  // the whole sequence, [0, end)
  size_t begin = 0;
  size_t end = 0;
  std::vector<float*> pages;        // covers [0, end)
  std::vector<float>* logits = nullptr;  // resized to vocab; written
};

struct BatchRunnerStats {
  uint64_t steps = 0;
  uint64_t tokens_computed = 0;
  uint64_t max_batch_sequences = 0;
};

class BatchRunner {
 public:
  // REQUIRES: model outlives the runner.
  BatchRunner(const Model& model, size_t threads, size_t page_size, size_t max_step_tokens);
  ~BatchRunner();
  BatchRunner(const BatchRunner&) = delete;
  BatchRunner& operator=(const BatchRunner&) = delete;

  // Queues the job and blocks until it is computed.
  Status Run(ForwardJob* job);

  BatchRunnerStats stats() const;

 private:
  struct Pending {
    ForwardJob* job;
    size_t cursor;  // next position to compute
    bool done = false;
    Status status;
  };
  void Loop();
  void Step(std::vector<Pending*>* active);

  const Model& model_;
  const size_t page_size_;
  const size_t max_step_tokens_;
  ThreadPool pool_;
  Transformer transformer_;  // used by the loop thread only
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Pending*> queue_;  // GUARDED_BY(mu_)
  bool stop_ = false;           // GUARDED_BY(mu_)
  // Jobs that finished in the last step: their owners usually come back
  // with the next token at once, so the loop waits briefly (kGatherWait)
  // for that many submissions to batch them together.
  size_t last_finished_ = 0;    // GUARDED_BY(mu_)
  BatchRunnerStats stats_;      // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace radixlm

#endif  // RADIXLM_ENGINE_BATCH_RUNNER_H_
