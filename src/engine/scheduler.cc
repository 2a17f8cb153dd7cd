#include "engine/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "base/check.h"
#include "base/profiler.h"
#include "sampling/stop_strings.h"

namespace radixlm {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Private namespaces (cache disabled) live in the top half of the space.
constexpr CacheNamespace kPrivateNamespaceBit = CacheNamespace{1} << 63;

// log p for every token, and the best k as (token, logprob).
void LogProbs(const std::vector<float>& logits, int32_t token, int32_t k, float* token_logprob,
              std::vector<std::pair<int32_t, float>>* top) {
  float max = -INFINITY;
  for (float v : logits) max = std::max(max, v);
  double sum = 0;
  for (float v : logits) sum += std::exp(double(v) - max);
  const float log_z = max + static_cast<float>(std::log(sum));
  *token_logprob = logits[token] - log_z;
  top->clear();
  if (k <= 0) return;
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  const size_t kk = std::min<size_t>(k, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + kk, ids.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  for (size_t i = 0; i < kk; ++i) top->emplace_back(ids[i], logits[ids[i]] - log_z);
}

}  // namespace

Status ParseSchedulePolicy(std::string_view name, SchedulePolicy* out) {
  if (name == "fcfs") {
    *out = SchedulePolicy::kFcfs;
  } else if (name == "lpm") {
    *out = SchedulePolicy::kLpm;
  } else {
    return Status::InvalidArgument("unknown schedule policy '" + std::string(name) +
                                   "' (fcfs, lpm)");
  }
  return Status::Ok();
}

// One request's state; lives from Submit until its thread ends.
struct Scheduler::Job {
  GenerationRequest req;
  RequestCallbacks cb;
  std::shared_ptr<RequestHandle> handle;
  Clock::time_point submitted;
  // Admission (GUARDED_BY(mu_)).
  bool admitted = false;
  bool preempt = false;   // asked to give its KV back
  // Generation state, kept across preemptions.
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<StopStringMatcher> stops;
  std::vector<int32_t> generated;
  uint64_t prefix_pin = 0;  // pins the cached prefix from admission
  FinishEvent finish;
  bool first_token = true;
  bool started = false;
};

Scheduler::Scheduler(Engine* engine, const SchedulerOptions& options)
    : engine_(engine), options_(options) {
  RLM_CHECK(options_.max_running >= 1);
}

Scheduler::~Scheduler() { Drain(); }

Status Scheduler::Submit(GenerationRequest request, RequestCallbacks callbacks,
                         std::shared_ptr<RequestHandle>* handle) {
  const int32_t vocab = engine_->vocab_size();
  if (request.prompt.empty()) return Status::InvalidArgument("the prompt is empty");
  for (int32_t t : request.prompt) {
    if (t < 0 || t >= vocab) {
      return Status::InvalidArgument("prompt token " + std::to_string(t) +
                                     " is outside the vocabulary");
    }
  }
  const size_t ctx = engine_->model().config().max_seq_len;
  if (request.prompt.size() >= ctx) {
    return Status::InvalidArgument("the prompt has " + std::to_string(request.prompt.size()) +
                                   " tokens; the model's context holds " + std::to_string(ctx));
  }
  if (request.max_tokens < 0) return Status::InvalidArgument("max_tokens must be >= 0");
  if (request.top_logprobs > 20) return Status::InvalidArgument("top_logprobs must be <= 20");
  if (options_.disable_cache) {
    request.ns = kPrivateNamespaceBit | next_private_ns_.fetch_add(1);
  } else {
    request.ns &= ~kPrivateNamespaceBit;
  }

  auto job = std::make_unique<Job>();
  job->req = std::move(request);
  job->cb = std::move(callbacks);
  job->handle = std::make_shared<RequestHandle>();
  job->submitted = Clock::now();
  job->sampler = std::make_unique<Sampler>(job->req.sampling, vocab);
  job->stops = std::make_unique<StopStringMatcher>(job->req.stop);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (draining_) return Status::Cancelled("the server is shutting down");
    const size_t waiting = live_ - running_.size();
    if (options_.max_queue > 0 && waiting >= options_.max_queue) {
      stats_.rejected++;
      return Status::ResourceExhausted("too many queued requests (" + std::to_string(waiting) +
                                       ")");
    }
    live_++;
  }
  if (handle != nullptr) *handle = job->handle;
  Job* raw = job.release();
  // Detach before the job can finish: RunJob deletes the job, so the
  // thread object must not live in it.
  std::thread([this, raw] { RunJob(raw); }).detach();
  return Status::Ok();
}

void Scheduler::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  draining_ = true;
  cv_.wait(lock, [&] { return live_ == 0; });
}

SchedulerStats Scheduler::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SchedulerStats s = stats_;
  s.queued = live_ - running_.size();
  s.running = running_.size();
  return s;
}

// The waiting job to admit next: fcfs by arrival; lpm by cached prefix
// length plus an aging bonus per second waited.
Scheduler::Job* Scheduler::PickNextLocked() {
  if (queue_.empty()) return nullptr;
  if (options_.policy == SchedulePolicy::kFcfs) return queue_.front();
  const Clock::time_point now = Clock::now();
  Job* best = nullptr;
  double best_score = -1;
  for (Job* j : queue_) {
    std::vector<int32_t> seq = j->req.prompt;
    seq.insert(seq.end(), j->generated.begin(), j->generated.end());
    const double score = static_cast<double>(engine_->CachedPrefixLength(seq, j->req.ns)) +
                         options_.lpm_aging_tokens_per_second * Seconds(j->submitted, now);
    if (score > best_score) {
      best = j;
      best_score = score;
    }
  }
  return best;
}

bool Scheduler::Admit(Job* job) {
  ProfileScope scope("schedule.admit", "schedule");
  std::unique_lock<std::mutex> lock(mu_);
  job->admitted = false;
  // A preempted job goes back to the head of the line.
  if (job->preempt) {
    queue_.push_front(job);
  } else {
    queue_.push_back(job);
  }
  job->preempt = false;
  for (;;) {
    while (running_.size() < options_.max_running && starving_ == 0) {
      Job* next = PickNextLocked();
      if (next == nullptr) break;
      queue_.remove(next);
      running_.push_back(next);
      next->admitted = true;
      stats_.admitted++;
      cv_.notify_all();
    }
    if (job->admitted) return true;
    if (job->handle->cancelled()) {
      queue_.remove(job);
      return false;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void Scheduler::Leave(Job* job) {
  std::lock_guard<std::mutex> lock(mu_);
  running_.remove(job);
  cv_.notify_all();
}

void Scheduler::RunJob(Job* job) {
  Status s;
  for (;;) {
    if (!Admit(job)) {
      s = Status::Cancelled("cancelled while queued");
      break;
    }
    if (!job->started) {
      job->started = true;
      job->finish.queue_seconds = Seconds(job->submitted, Clock::now());
    }
    s = Generate(job);
    engine_->FreeCache(job->prefix_pin);
    job->prefix_pin = 0;
    Leave(job);
    if (s.code() != Status::Code::kResourceExhausted || job->finish.reason == "error") break;
    // Preempted: back to the queue, resume later from what it generated.
    job->finish.preemptions++;
    std::lock_guard<std::mutex> lock(mu_);
    stats_.preemptions++;
    job->preempt = true;  // marks the requeue as a resumption
  }
  FinishEvent& f = job->finish;
  if (f.reason.empty()) {
    if (s.code() == Status::Code::kCancelled || job->handle->cancelled()) {
      f.reason = "cancelled";
    } else if (!s.ok()) {
      f.reason = "error";
    }
  }
  f.status = s.code() == Status::Code::kCancelled ? Status::Ok() : s;
  f.prompt_tokens = job->req.prompt.size();
  f.completion_tokens = job->generated.size();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.completed++;
    if (f.reason == "cancelled") stats_.cancelled++;
    stats_.prompt_tokens += f.prompt_tokens;
    stats_.cached_tokens += f.cached_tokens;
    stats_.generated_tokens += f.completion_tokens;
  }
  if (job->cb.on_finish) job->cb.on_finish(f);
  delete job;  // the thread is detached; nothing touches job after this
  std::lock_guard<std::mutex> lock(mu_);
  live_--;
  cv_.notify_all();
}

// A forward that handles running out of KV pages (after the engine's own
// eviction of unpinned cache): alone, the request cannot fit (error); the
// youngest running request yields its KV (returns ResourceExhausted, to be
// requeued); an older one asks the youngest to yield and retries.
Status Scheduler::ForwardOrYield(Job* job, uint64_t base, std::span<const int32_t> tokens,
                                 std::vector<float>* logits, uint64_t* out, ForwardInfo* info) {
  bool starving = false;  // counted in starving_
  auto stop_starving = [&] {  // REQUIRES mu_ held
    if (starving) {
      starving_--;
      starving = false;
      cv_.notify_all();
    }
  };
  for (int attempt = 0;; ++attempt) {
    size_t running_before;
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_before = running_.size();
    }
    Status s = engine_->ForwardWithCache(base, tokens, logits->data(), logits->size(), out,
                                         job->req.ns, info);
    std::unique_lock<std::mutex> lock(mu_);
    if (s.code() != Status::Code::kResourceExhausted) {
      stop_starving();
      return s;
    }
    // Others finished (and freed their KV) since the forward began: retry.
    if (running_.size() < running_before && attempt < 100) continue;
    if (running_before <= 1 || attempt >= 100) {
      stop_starving();
      job->finish.reason = "error";
      return s;
    }
    if (running_.back() == job) {  // the youngest yields
      stop_starving();
      return s;
    }
    if (!starving) {
      starving = true;
      starving_++;
    }
    Job* victim = running_.back();
    victim->preempt = true;
    cv_.wait_for(lock, std::chrono::milliseconds(100), [&] {
      return std::find(running_.begin(), running_.end(), victim) == running_.end();
    });
  }
}

// The generation loop of one admitted request. Returns Ok when finished
// (finish.reason set), ResourceExhausted when it must yield its KV
// (preempted) and should resume later, other errors as failures.
Status Scheduler::Generate(Job* job) {
  const Tokenizer& tok = engine_->model().tokenizer();
  const size_t ctx = engine_->model().config().max_seq_len;
  const size_t vocab = engine_->vocab_size();
  GenerationRequest& r = job->req;
  std::vector<int32_t> seq = r.prompt;
  seq.insert(seq.end(), job->generated.begin(), job->generated.end());

  // Pin the cached prefix for the request's lifetime on this admission.
  size_t pinned_len = 0;
  RLM_RETURN_IF_ERROR(engine_->MatchPrefix(seq, &job->prefix_pin, &pinned_len, r.ns));

  std::vector<float> logits(vocab);
  uint64_t h = 0;
  ForwardInfo info;
  Status s = ForwardOrYield(job, 0, seq, &logits, &h, &info);
  RLM_RETURN_IF_ERROR(s);
  if (job->generated.empty()) job->finish.cached_tokens = std::min(info.cached_tokens, seq.size());

  int32_t prev = seq.back();
  for (;;) {
    if (job->handle->cancelled()) {
      engine_->FreeCache(h);
      job->finish.reason = "cancelled";
      return Status::Ok();
    }
    if (job->generated.size() >= static_cast<size_t>(r.max_tokens)) {
      engine_->FreeCache(h);
      job->finish.reason = "length";
      break;
    }
    int32_t token;
    {
      ProfileScope scope("sampling", "sampling");
      token = job->sampler->Sample(logits.data());
      job->sampler->Accept(token);
    }
    job->generated.push_back(token);
    if (job->first_token) {
      job->first_token = false;
      job->finish.ttft_seconds = Seconds(job->submitted, Clock::now());
    }
    TokenEvent ev;
    ev.token = token;
    if (r.top_logprobs >= 0) LogProbs(logits, token, r.top_logprobs, &ev.logprob, &ev.top_logprobs);
    const bool eog = !r.ignore_eos && tok.IsEog(token);
    bool stop_hit = false;
    if (!eog) {
      ev.token_text = tok.DecodeToken(prev, token);
      stop_hit = job->stops->Feed(ev.token_text, &ev.text);
    }
    const bool at_limit = job->generated.size() >= static_cast<size_t>(r.max_tokens) ||
                          seq.size() + 1 >= ctx;
    if (!eog && !stop_hit && at_limit) job->stops->Flush(&ev.text);
    if (job->cb.on_token && !eog) job->cb.on_token(ev);
    if (eog || stop_hit) {
      engine_->FreeCache(h);
      job->finish.reason = "stop";
      break;
    }
    if (at_limit) {
      engine_->FreeCache(h);
      job->finish.reason = "length";
      break;
    }
    // Preempted by a request that ran out of pages: yield the KV.
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (job->preempt) {
        engine_->FreeCache(h);
        return Status::ResourceExhausted("preempted");
      }
    }
    uint64_t next;
    s = ForwardOrYield(job, h, {&token, 1}, &logits, &next, nullptr);
    engine_->FreeCache(h);
    RLM_RETURN_IF_ERROR(s);
    h = next;
    seq.push_back(token);
    prev = token;
  }
  return Status::Ok();
}

}  // namespace radixlm
