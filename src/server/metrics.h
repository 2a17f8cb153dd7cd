// ServerMetrics: the server's own counters and latency histograms, and the
// Prometheus text exposition of them together with the Scheduler's and
// Engine's statistics (GET /metrics).
//
// Thread safety: all methods are thread-safe.
#ifndef RADIXLM_SERVER_METRICS_H_
#define RADIXLM_SERVER_METRICS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "engine/scheduler.h"

namespace radixlm {

// A Prometheus histogram with fixed upper bounds (seconds).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  // Appends "name_bucket{le=...} n", "name_sum", "name_count" lines.
  void Render(const std::string& name, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // [bounds + 1], not cumulative
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServerMetrics {
 public:
  ServerMetrics();

  // One finished HTTP request (any endpoint; others are counted as "other").
  void CountRequest(const std::string& endpoint, int status);
  // One finished generation (choice): its queue time, TTFT, and the whole
  // request's duration.
  void ObserveGeneration(double queue_seconds, double ttft_seconds, double e2e_seconds);
  // The gap between two streamed tokens of one generation.
  void ObserveInterToken(double seconds);
  void CountFinish(const std::string& reason);

  // The Prometheus text; ready: 1 once warm-up is done.
  std::string Render(const SchedulerStats& sched, const EngineStats& engine, bool ready,
                     size_t warmup_pinned_tokens) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // GUARDED_BY(mu_)
  std::map<std::string, uint64_t> finishes_;                  // GUARDED_BY(mu_)
  Histogram queue_;        // GUARDED_BY(mu_)
  Histogram ttft_;         // GUARDED_BY(mu_)
  Histogram inter_token_;  // GUARDED_BY(mu_)
  Histogram e2e_;          // GUARDED_BY(mu_)
};

}  // namespace radixlm

#endif  // RADIXLM_SERVER_METRICS_H_
