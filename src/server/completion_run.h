// CompletionRun: one HTTP completion request in flight. It submits the
// request's generations (each prompt × n choices) to the Scheduler, gathers
// their events from the scheduler's callbacks, and builds the response:
// whole (WaitForResponse) or as server-sent events (NextSse).
//
// Thread safety: the scheduler's callbacks may run on any thread; the
// consumer (one HTTP handler thread) calls WaitForResponse or NextSse, and
// any thread may call CancelAll. Create with std::make_shared: the
// callbacks keep the run alive until the last generation has finished.
#ifndef RADIXLM_SERVER_COMPLETION_RUN_H_
#define RADIXLM_SERVER_COMPLETION_RUN_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/scheduler.h"
#include "server/api_error.h"
#include "server/api_prepare.h"
#include "server/api_request.h"
#include "server/api_response.h"
#include "server/metrics.h"

namespace radixlm {

class CompletionRun : public std::enable_shared_from_this<CompletionRun> {
 public:
  // REQUIRES: tokenizer and metrics outlive the run.
  CompletionRun(ResponseMeta meta, ApiRequest request, std::vector<PreparedPrompt> prompts,
                const Tokenizer* tokenizer, ServerMetrics* metrics);
  CompletionRun(const CompletionRun&) = delete;
  CompletionRun& operator=(const CompletionRun&) = delete;

  // Submits every generation. On failure the ones already submitted are
  // cancelled and the error (429 queue full, 503 shutting down, 400) is
  // returned in *error.
  bool Submit(Scheduler* scheduler, uint64_t base_seed, const ServingLimits& limits,
              ApiError* error);

  // Blocks until every generation has finished. Returns false with *error
  // when one failed (500).
  bool WaitForResponse(nlohmann::json* response, ApiError* error);

  // Streaming: waits up to `wait` for events and appends the SSE text they
  // make to *out (possibly nothing). Returns false once the stream is
  // complete (the last call appends "data: [DONE]").
  bool NextSse(std::chrono::milliseconds wait, std::string* out);

  // Cancels every generation (the client went away); their pages are freed
  // as they stop.
  void CancelAll();

 private:
  using Clock = std::chrono::steady_clock;
  struct Event {
    size_t choice = 0;
    bool finished = false;
    std::string text;
    TokenLogprob logprob;  // when logprobs were requested
    FinishEvent finish;
  };
  struct Choice {
    size_t prompt = 0;
    std::shared_ptr<RequestHandle> handle;
    // Consumer side.
    std::string text;           // whole text so far (non-streaming)
    std::string held;           // streaming: bytes that end mid-UTF-8
    std::vector<TokenLogprob> logprobs;
    size_t text_offset = 0;     // streaming completions: offset of the next text
    bool finished = false;
    FinishEvent finish;
    // Callback side (one thread at a time per generation).
    int32_t prev_token = -1;
    Clock::time_point last_token;
  };

  RequestCallbacks Callbacks(size_t choice);
  void Push(Event ev);
  // Applies one event to its choice (consumer side); streaming appends SSE.
  void Apply(Event& ev, std::string* sse);
  UsageInfo Usage() const;
  bool with_logprobs() const { return request_.logprobs >= 0; }

  const ResponseMeta meta_;
  const ApiRequest request_;
  const std::vector<PreparedPrompt> prompts_;
  const Tokenizer* const tokenizer_;
  ServerMetrics* const metrics_;
  const Clock::time_point start_;
  std::vector<Choice> choices_;
  size_t finished_ = 0;         // consumer side
  bool stream_started_ = false; // consumer side
  bool stream_done_ = false;    // consumer side

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;  // GUARDED_BY(mu_)
};

}  // namespace radixlm

#endif  // RADIXLM_SERVER_COMPLETION_RUN_H_
