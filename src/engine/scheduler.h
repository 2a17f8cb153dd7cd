// Scheduler: runs generation requests on an Engine with continuous batching
// and cache-aware admission.
//
// Each admitted request runs its own generation loop (prefill, then one
// token per step) whose forwards go through the engine's BatchRunner, so the
// decode steps of all running requests share one batched forward and a long
// prompt is prefilled in chunks between them (requests join and leave the
// batch at every step). Admission: at most max_running requests run; the
// rest wait in a queue ordered by the policy: fcfs (arrival order) or lpm
// (longest cached prefix first, with aging so nothing starves). From
// admission to completion a request pins its cached prefix. When KV pages
// run out the engine evicts unpinned cache first; if that is not enough the
// youngest running request is preempted: it releases its KV pin, goes back
// to the queue, and later resumes from prompt + what it had generated (its
// streamed output is never lost or repeated).
//
// Thread safety: all methods are thread-safe. Submit returns at once; the
// callbacks run on the request's own thread (never concurrently for one
// request) and must not block for long.
#ifndef RADIXLM_ENGINE_SCHEDULER_H_
#define RADIXLM_ENGINE_SCHEDULER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"
#include "sampling/sampler.h"

namespace radixlm {

enum class SchedulePolicy { kFcfs, kLpm };
// Parses "fcfs" or "lpm".
Status ParseSchedulePolicy(std::string_view name, SchedulePolicy* out);

struct SchedulerOptions {
  SchedulePolicy policy = SchedulePolicy::kFcfs;
  // Requests generating at once (the running batch's size bound). >= 1.
  size_t max_running = 16;
  // Requests waiting for admission; beyond it Submit fails with
  // ResourceExhausted (HTTP 429/503). 0: unbounded.
  size_t max_queue = 256;
  // lpm aging: a waiting request's score grows by this many tokens per
  // second of waiting, so short-prefix requests are admitted eventually.
  double lpm_aging_tokens_per_second = 200.0;
  // Disable prefix reuse across requests (each request gets a private cache
  // namespace): for benchmarks of what the cache buys.
  bool disable_cache = false;
};

struct GenerationRequest {
  std::vector<int32_t> prompt;  // token ids (BOS included when wanted); non-empty
  SamplingParams sampling;
  int32_t max_tokens = 16;       // tokens to generate at most (>= 0)
  std::vector<std::string> stop; // stop strings (not included in the output)
  bool ignore_eos = false;
  int32_t top_logprobs = -1;     // -1: no logprobs; 0..20: that many alternatives
  CacheNamespace ns = 0;         // tenant isolation (hash of cache_salt)
};

// One generated token.
struct TokenEvent {
  int32_t token = -1;
  // Text now safe to show (stop-string hold-back applied; may be empty, may
  // hold text of earlier tokens that was held back).
  std::string text;
  // The raw bytes of this token (for logprobs' "token" field).
  std::string token_text;
  float logprob = 0.0f;  // log p(token), when logprobs were requested
  std::vector<std::pair<int32_t, float>> top_logprobs;  // best first
};

struct FinishEvent {
  // "stop" (EOS or stop string), "length" (max_tokens or context end),
  // "cancelled", or "error" (status says why).
  std::string reason;
  Status status;
  size_t prompt_tokens = 0;
  size_t cached_tokens = 0;      // prompt tokens served from the cache
  size_t completion_tokens = 0;
  double queue_seconds = 0;      // submission → admission
  double ttft_seconds = 0;       // submission → first token
  size_t preemptions = 0;
};

struct RequestCallbacks {
  std::function<void(const TokenEvent&)> on_token;
  std::function<void(const FinishEvent&)> on_finish;  // exactly once, last
};

// Returned by Submit; cancels on request (e.g. the client disconnected).
class RequestHandle {
 public:
  void Cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

struct SchedulerStats {
  size_t queued = 0;              // submitted, waiting for admission
  size_t running = 0;
  uint64_t admitted = 0;
  uint64_t completed = 0;
  uint64_t cancelled = 0;
  uint64_t preemptions = 0;
  uint64_t rejected = 0;          // queue full
  uint64_t prompt_tokens = 0;
  uint64_t cached_tokens = 0;
  uint64_t generated_tokens = 0;
};

class Scheduler {
 public:
  // REQUIRES: engine outlives the scheduler.
  Scheduler(Engine* engine, const SchedulerOptions& options);
  // Drains: waits for every submitted request to finish.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request. InvalidArgument (bad request: empty prompt, tokens out
  // of range, prompt + max_tokens beyond the context), ResourceExhausted
  // (queue full), Cancelled (draining). On success the callbacks will run
  // and *handle (if not null) can cancel it.
  Status Submit(GenerationRequest request, RequestCallbacks callbacks,
                std::shared_ptr<RequestHandle>* handle);

  // Stops admitting new submissions (Submit returns Cancelled) and blocks
  // until every accepted request has finished.
  void Drain();

  SchedulerStats Stats() const;
  Engine* engine() const { return engine_; }

 private:
  struct Job;
  void RunJob(Job* job);
  // Blocks until `job` may run (policy order, max_running); false when
  // cancelled while waiting.
  bool Admit(Job* job);
  void Leave(Job* job);
  Job* PickNextLocked();
  Status Generate(Job* job);
  Status ForwardOrYield(Job* job, uint64_t base, std::span<const int32_t> tokens,
                        std::vector<float>* logits, uint64_t* out, ForwardInfo* info);

  Engine* const engine_;
  const SchedulerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::list<Job*> queue_;       // GUARDED_BY(mu_) waiting for admission
  std::list<Job*> running_;     // GUARDED_BY(mu_) oldest first
  size_t live_ = 0;             // GUARDED_BY(mu_) submitted, not finished (queued = live_ - running)
  // Running requests waiting for a preempted one to give its KV back; while
  // > 0 nothing is admitted (a preempted request re-admitted at once would
  // pin its prefix again and free nothing).
  size_t starving_ = 0;         // GUARDED_BY(mu_)
  bool draining_ = false;       // GUARDED_BY(mu_)
  SchedulerStats stats_;        // GUARDED_BY(mu_)
  std::atomic<uint64_t> next_private_ns_{1};
};

}  // namespace radixlm

#endif  // RADIXLM_ENGINE_SCHEDULER_H_
