#include "server/metrics.h"

#include <cstdio>

namespace radixlm {

namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

void Metric(std::string* out, const char* name, const char* type, const char* help, double value) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
  *out += name;
  *out += ' ';
  *out += Num(value);
  *out += '\n';
}

void Header(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i]++;
  sum_ += v;
  count_++;
}

void Histogram::Render(const std::string& name, std::string* out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    *out += name + "_bucket{le=\"" + Num(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  *out += name + "_sum " + Num(sum_) + "\n";
  *out += name + "_count " + std::to_string(count_) + "\n";
}

ServerMetrics::ServerMetrics()
    : queue_({0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60}),
      ttft_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}),
      inter_token_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}),
      e2e_({0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}) {}

void ServerMetrics::CountRequest(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_[{endpoint, status}]++;
}

void ServerMetrics::ObserveGeneration(double queue_seconds, double ttft_seconds,
                                      double e2e_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.Observe(queue_seconds);
  if (ttft_seconds > 0) ttft_.Observe(ttft_seconds);
  e2e_.Observe(e2e_seconds);
}

void ServerMetrics::ObserveInterToken(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  inter_token_.Observe(seconds);
}

void ServerMetrics::CountFinish(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  finishes_[reason]++;
}

std::string ServerMetrics::Render(const SchedulerStats& s, const EngineStats& e, bool ready,
                                  size_t warmup_pinned_tokens) const {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Header(&out, "radixlm_http_requests_total", "counter",
           "HTTP requests answered, by endpoint and status code.");
    for (const auto& [key, n] : requests_) {
      out += "radixlm_http_requests_total{endpoint=\"" + key.first + "\",status=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
    }
    Header(&out, "radixlm_generations_finished_total", "counter",
           "Generations (choices) finished, by finish reason.");
    for (const auto& [reason, n] : finishes_) {
      out += "radixlm_generations_finished_total{reason=\"" + reason + "\"} " +
             std::to_string(n) + "\n";
    }
    Header(&out, "radixlm_queue_time_seconds", "histogram",
           "Time a generation waited for admission.");
    queue_.Render("radixlm_queue_time_seconds", &out);
    Header(&out, "radixlm_time_to_first_token_seconds", "histogram",
           "Submission to first generated token.");
    ttft_.Render("radixlm_time_to_first_token_seconds", &out);
    Header(&out, "radixlm_inter_token_latency_seconds", "histogram",
           "Time between consecutive tokens of one generation.");
    inter_token_.Render("radixlm_inter_token_latency_seconds", &out);
    Header(&out, "radixlm_request_duration_seconds", "histogram",
           "Submission to the end of a generation.");
    e2e_.Render("radixlm_request_duration_seconds", &out);
  }
  Metric(&out, "radixlm_ready", "gauge", "1 once warm-up is done and the server takes requests.",
         ready ? 1 : 0);
  Metric(&out, "radixlm_requests_queued", "gauge", "Generations waiting for admission.",
         static_cast<double>(s.queued));
  Metric(&out, "radixlm_requests_running", "gauge",
         "Generations running (the running batch's size).", static_cast<double>(s.running));
  Metric(&out, "radixlm_requests_admitted_total", "counter", "Admissions (resumptions included).",
         static_cast<double>(s.admitted));
  Metric(&out, "radixlm_requests_completed_total", "counter", "Generations finished.",
         static_cast<double>(s.completed));
  Metric(&out, "radixlm_requests_cancelled_total", "counter",
         "Generations cancelled (client gone or shutdown).", static_cast<double>(s.cancelled));
  Metric(&out, "radixlm_requests_rejected_total", "counter", "Submissions refused: queue full.",
         static_cast<double>(s.rejected));
  Metric(&out, "radixlm_preemptions_total", "counter",
         "Running generations paused to free KV pages.", static_cast<double>(s.preemptions));
  Metric(&out, "radixlm_prompt_tokens_total", "counter", "Prompt tokens of finished generations.",
         static_cast<double>(s.prompt_tokens));
  Metric(&out, "radixlm_cached_prompt_tokens_total", "counter",
         "Prompt tokens served from the radix cache.", static_cast<double>(s.cached_tokens));
  Metric(&out, "radixlm_generated_tokens_total", "counter", "Tokens generated.",
         static_cast<double>(s.generated_tokens));
  const RadixTreeStats& c = e.cache;
  Metric(&out, "radixlm_kv_pages_total", "gauge", "KV pages in the pool.",
         static_cast<double>(c.total_pages));
  Metric(&out, "radixlm_kv_pages_free", "gauge", "KV pages free.",
         static_cast<double>(c.free_pages));
  Metric(&out, "radixlm_kv_pages_evictable", "gauge", "KV pages cached and unpinned.",
         static_cast<double>(c.evictable_pages));
  Metric(&out, "radixlm_kv_pages_pinned", "gauge",
         "KV pages pinned by running requests, handles and pinned warm-up prefixes.",
         static_cast<double>(c.pinned_pages));
  Metric(&out, "radixlm_warmup_pinned_tokens", "gauge", "Tokens of the pinned warm-up prefixes.",
         static_cast<double>(warmup_pinned_tokens));
  Metric(&out, "radixlm_cache_nodes", "gauge", "Radix tree nodes.", static_cast<double>(c.nodes));
  Metric(&out, "radixlm_cache_tokens", "gauge", "Tokens held in the radix cache.",
         static_cast<double>(c.cached_tokens));
  Metric(&out, "radixlm_cache_lookups_total", "counter", "Radix cache lookups.",
         static_cast<double>(c.lookups));
  Metric(&out, "radixlm_cache_hits_total", "counter", "Lookups that matched at least one token.",
         static_cast<double>(c.hits));
  Metric(&out, "radixlm_cache_evicted_nodes_total", "counter", "Radix tree nodes evicted.",
         static_cast<double>(c.evicted_nodes));
  Metric(&out, "radixlm_cache_evicted_tokens_total", "counter", "Tokens evicted from the cache.",
         static_cast<double>(c.evicted_tokens));
  Metric(&out, "radixlm_engine_forwards_total", "counter", "Cached forwards.",
         static_cast<double>(e.forwards));
  Metric(&out, "radixlm_engine_tokens_requested_total", "counter",
         "Tokens of the forwards' whole sequences.", static_cast<double>(e.tokens_requested));
  Metric(&out, "radixlm_engine_tokens_computed_total", "counter",
         "Tokens run through the model (not served from the cache).",
         static_cast<double>(e.tokens_computed));
  Metric(&out, "radixlm_engine_batch_steps_total", "counter", "Batched forward steps.",
         static_cast<double>(e.runner.steps));
  Metric(&out, "radixlm_engine_max_batch_sequences", "gauge",
         "Most sequences seen in one batched step.", static_cast<double>(e.runner.max_batch_sequences));
  Metric(&out, "radixlm_engine_live_handles", "gauge", "Live cache handles.",
         static_cast<double>(e.live_handles));
  return out;
}

}  // namespace radixlm
