#include "server/completion_run.h"

#include <algorithm>

namespace radixlm {

namespace {

// What the client sees: "length", else "stop" (EOS, stop string).
std::string ClientFinishReason(const std::string& reason) {
  return reason == "length" ? "length" : "stop";
}

}  // namespace

CompletionRun::CompletionRun(ResponseMeta meta, ApiRequest request,
                             std::vector<PreparedPrompt> prompts, const Tokenizer* tokenizer,
                             ServerMetrics* metrics)
    : meta_(std::move(meta)),
      request_(std::move(request)),
      prompts_(std::move(prompts)),
      tokenizer_(tokenizer),
      metrics_(metrics),
      start_(Clock::now()) {
  choices_.resize(prompts_.size() * static_cast<size_t>(request_.n));
  for (size_t i = 0; i < choices_.size(); ++i) {
    choices_[i].prompt = i / static_cast<size_t>(request_.n);
    choices_[i].prev_token = prompts_[choices_[i].prompt].tokens.back();
  }
}

bool CompletionRun::Submit(Scheduler* scheduler, uint64_t base_seed, const ServingLimits& limits,
                           ApiError* error) {
  for (size_t i = 0; i < choices_.size(); ++i) {
    const int32_t choice_in_prompt = static_cast<int32_t>(i % static_cast<size_t>(request_.n));
    GenerationRequest g =
        BuildGenerationRequest(request_, prompts_[choices_[i].prompt], choice_in_prompt,
                               base_seed, limits);
    Status s = scheduler->Submit(std::move(g), Callbacks(i), &choices_[i].handle);
    if (!s.ok()) {
      for (size_t j = 0; j < i; ++j) choices_[j].handle->Cancel();
      *error = ErrorFromStatus(s);
      return false;
    }
  }
  return true;
}

RequestCallbacks CompletionRun::Callbacks(size_t choice) {
  std::shared_ptr<CompletionRun> self = shared_from_this();
  RequestCallbacks cb;
  cb.on_token = [self, choice](const TokenEvent& ev) {
    Choice& c = self->choices_[choice];
    Event e;
    e.choice = choice;
    e.text = ev.text;
    if (self->with_logprobs()) {
      e.logprob.token = ev.token_text;
      e.logprob.logprob = ev.logprob;
      for (const auto& [id, lp] : ev.top_logprobs) {
        e.logprob.top.emplace_back(self->tokenizer_->DecodeToken(c.prev_token, id), lp);
      }
    }
    c.prev_token = ev.token;
    const Clock::time_point now = Clock::now();
    if (c.last_token != Clock::time_point{}) {
      self->metrics_->ObserveInterToken(std::chrono::duration<double>(now - c.last_token).count());
    }
    c.last_token = now;
    self->Push(std::move(e));
  };
  cb.on_finish = [self, choice](const FinishEvent& f) {
    const double e2e = std::chrono::duration<double>(Clock::now() - self->start_).count();
    self->metrics_->ObserveGeneration(f.queue_seconds, f.ttft_seconds, e2e);
    self->metrics_->CountFinish(f.reason);
    Event e;
    e.choice = choice;
    e.finished = true;
    e.finish = f;
    self->Push(std::move(e));
  };
  return cb;
}

void CompletionRun::Push(Event ev) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back(std::move(ev));
  cv_.notify_all();
}

void CompletionRun::CancelAll() {
  for (Choice& c : choices_) {
    if (c.handle) c.handle->Cancel();
  }
}

void CompletionRun::Apply(Event& ev, std::string* sse) {
  Choice& c = choices_[ev.choice];
  const bool usage_null = request_.stream && request_.include_usage;
  if (!ev.finished) {
    if (sse == nullptr) {
      c.text += ev.text;
      if (with_logprobs()) c.logprobs.push_back(std::move(ev.logprob));
      return;
    }
    c.held += ev.text;
    const size_t n = CompleteUtf8Prefix(c.held);
    const std::string emit = c.held.substr(0, n);
    c.held.erase(0, n);
    if (emit.empty() && !with_logprobs()) return;
    std::vector<TokenLogprob> lp;
    if (with_logprobs()) lp.push_back(std::move(ev.logprob));
    *sse += SseData(ChunkJson(meta_, ev.choice, emit, false, with_logprobs(), lp, c.text_offset,
                              "", usage_null));
    c.text_offset += emit.size();
    return;
  }
  c.finished = true;
  c.finish = ev.finish;
  finished_++;
  if (sse == nullptr) return;
  if (!c.held.empty()) {
    *sse += SseData(ChunkJson(meta_, ev.choice, c.held, false, false, {}, c.text_offset, "",
                              usage_null));
    c.text_offset += c.held.size();
    c.held.clear();
  }
  if (c.finish.reason == "error") {
    ApiError err;
    err.http_status = 500;
    err.type = "server_error";
    err.message = "generation failed: " + c.finish.status.ToString();
    *sse += "data: " + ErrorBody(err) + "\n\n";
    return;
  }
  *sse += SseData(ChunkJson(meta_, ev.choice, "", false, false, {}, c.text_offset,
                            ClientFinishReason(c.finish.reason), usage_null));
}

UsageInfo CompletionRun::Usage() const {
  UsageInfo u;
  const size_t n = static_cast<size_t>(request_.n);
  for (size_t p = 0; p < prompts_.size(); ++p) {
    u.prompt_tokens += prompts_[p].tokens.size();
    size_t cached = SIZE_MAX;
    for (size_t i = p * n; i < (p + 1) * n; ++i) {
      cached = std::min(cached, choices_[i].finish.cached_tokens);
      u.completion_tokens += choices_[i].finish.completion_tokens;
    }
    u.cached_tokens += std::min(cached, prompts_[p].tokens.size());
  }
  return u;
}

bool CompletionRun::WaitForResponse(nlohmann::json* response, ApiError* error) {
  while (finished_ < choices_.size()) {
    std::deque<Event> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !events_.empty(); });
      batch.swap(events_);
    }
    for (Event& ev : batch) Apply(ev, nullptr);
  }
  std::vector<ChoiceResult> results(choices_.size());
  for (size_t i = 0; i < choices_.size(); ++i) {
    const Choice& c = choices_[i];
    if (c.finish.reason == "error") {
      error->http_status = 500;
      error->type = "server_error";
      error->message = "generation failed: " + c.finish.status.ToString();
      return false;
    }
    ChoiceResult& r = results[i];
    if (request_.echo) {
      r.text = prompts_[c.prompt].text;
      r.text_offset0 = r.text.size();
    }
    r.text += c.text;
    r.finish_reason = ClientFinishReason(c.finish.reason);
    r.logprobs = c.logprobs;
  }
  *response = ResponseJson(meta_, results, with_logprobs(), Usage());
  return true;
}

bool CompletionRun::NextSse(std::chrono::milliseconds wait, std::string* out) {
  if (stream_done_) return false;
  const bool usage_null = request_.include_usage;
  if (!stream_started_) {
    stream_started_ = true;
    for (size_t i = 0; i < choices_.size(); ++i) {
      if (meta_.endpoint == ApiEndpoint::kChatCompletions) {
        *out += SseData(ChunkJson(meta_, i, "", true, false, {}, 0, "", usage_null));
      } else if (request_.echo) {
        const std::string& text = prompts_[choices_[i].prompt].text;
        *out += SseData(ChunkJson(meta_, i, text, false, false, {}, 0, "", usage_null));
        choices_[i].text_offset = text.size();
      }
    }
    if (!out->empty()) return true;
  }
  std::deque<Event> batch;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [&] { return !events_.empty(); });
    batch.swap(events_);
  }
  for (Event& ev : batch) Apply(ev, out);
  if (finished_ == choices_.size()) {
    if (request_.include_usage) *out += SseData(UsageChunkJson(meta_, Usage()));
    *out += kSseDone;
    stream_done_ = true;
    return false;
  }
  return true;
}

}  // namespace radixlm
