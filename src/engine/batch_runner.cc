#include "engine/batch_runner.h"

#include <algorithm>
#include <chrono>

#include "base/profiler.h"

namespace radixlm {

namespace {
// How long the loop waits for the sequences of the last step to come back
// before running a step without them.
constexpr auto kGatherWait = std::chrono::microseconds(500);
}  // namespace

BatchRunner::BatchRunner(const Model& model, size_t threads, size_t page_size,
                         size_t max_step_tokens)
    : model_(model),
      page_size_(page_size),
      max_step_tokens_(std::max<size_t>(1, max_step_tokens)),
      pool_(threads),
      transformer_(model, &pool_),
      thread_([this] { Loop(); }) {}

BatchRunner::~BatchRunner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

Status BatchRunner::Run(ForwardJob* job) {
  if (job->begin >= job->end) return Status::InvalidArgument("nothing to compute");
  Pending p{job, job->begin, false, Status::Ok()};
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) return Status::Cancelled("engine is shutting down");
  queue_.push_back(&p);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return p.done; });
  return p.status;
}

BatchRunnerStats BatchRunner::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void BatchRunner::Loop() {
  std::vector<Pending*> active;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty() || !active.empty(); });
      if (stop_ && queue_.empty() && active.empty()) return;
      // Continuous batching: let the sequences that just got their token
      // rejoin, so decode steps are batched rather than staggered.
      if (last_finished_ > 0 && queue_.size() < last_finished_) {
        ProfileScope scope("schedule.gather", "schedule");
        work_cv_.wait_for(lock, kGatherWait,
                          [&] { return stop_ || queue_.size() >= last_finished_; });
      }
      while (!queue_.empty()) {
        active.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    Step(&active);
  }
}

// Runs one forward over every active job: each gets an equal share of the
// step's token budget (at least one token), and jobs that reach their end
// get their logits and are released.
void BatchRunner::Step(std::vector<Pending*>* active) {
  const size_t n_jobs = active->size();
  ProfileScope scope("schedule.step", "schedule", -1, static_cast<int64_t>(n_jobs));
  const size_t share = std::max<size_t>(1, max_step_tokens_ / n_jobs);
  std::vector<SeqChunk> chunks;
  chunks.reserve(n_jobs);
  const size_t vocab = model_.config().vocab_size;
  size_t tokens = 0;
  for (Pending* p : *active) {
    ForwardJob* job = p->job;
    const size_t n = std::min(share, job->end - p->cursor);
    const bool last = p->cursor + n == job->end;
    if (last) job->logits->resize(vocab);
    chunks.push_back(SeqChunk{job->tokens + p->cursor, n, p->cursor,
                              PageTable{job->pages.data(), job->pages.size()},
                              last ? job->logits->data() : nullptr, last ? size_t{1} : size_t{0}});
    tokens += n;
  }
  Status s = transformer_.Forward(chunks, page_size_);

  std::lock_guard<std::mutex> lock(mu_);
  stats_.steps++;
  stats_.tokens_computed += tokens;
  stats_.max_batch_sequences = std::max<uint64_t>(stats_.max_batch_sequences, n_jobs);
  std::vector<Pending*> still;
  for (size_t i = 0; i < n_jobs; ++i) {
    Pending* p = (*active)[i];
    p->cursor += chunks[i].n_tokens;
    if (!s.ok() || p->cursor == p->job->end) {
      p->status = s;
      p->done = true;
    } else {
      still.push_back(p);
    }
  }
  last_finished_ = n_jobs - still.size();
  active->swap(still);
  done_cv_.notify_all();
}

}  // namespace radixlm
