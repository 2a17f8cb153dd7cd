#include "server/metrics.h"

#include <gtest/gtest.h>

namespace radixlm {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsTest, PrometheusText) {
  ServerMetrics m;
  m.CountRequest("/v1/completions", 200);
  m.CountRequest("/v1/completions", 200);
  m.CountRequest("/v1/chat/completions", 400);
  m.ObserveGeneration(0.002, 0.03, 0.2);
  m.ObserveInterToken(0.004);
  m.CountFinish("stop");
  SchedulerStats s;
  s.queued = 2;
  s.running = 3;
  s.cancelled = 1;
  s.cached_tokens = 40;
  EngineStats e;
  e.cache.total_pages = 100;
  e.cache.free_pages = 90;
  e.cache.evictable_pages = 8;
  e.cache.pinned_pages = 2;
  const std::string text = m.Render(s, e, true, 0);
  EXPECT_TRUE(Has(text, R"(radixlm_http_requests_total{endpoint="/v1/completions",status="200"} 2)"));
  EXPECT_TRUE(Has(text, R"(radixlm_http_requests_total{endpoint="/v1/chat/completions",status="400"} 1)"));
  EXPECT_TRUE(Has(text, R"(radixlm_generations_finished_total{reason="stop"} 1)"));
  EXPECT_TRUE(Has(text, R"(radixlm_time_to_first_token_seconds_bucket{le="0.025"} 0)"));
  EXPECT_TRUE(Has(text, R"(radixlm_time_to_first_token_seconds_bucket{le="0.05"} 1)"));
  EXPECT_TRUE(Has(text, R"(radixlm_time_to_first_token_seconds_bucket{le="+Inf"} 1)"));
  EXPECT_TRUE(Has(text, "radixlm_time_to_first_token_seconds_count 1"));
  EXPECT_TRUE(Has(text, "radixlm_inter_token_latency_seconds_count 1"));
  EXPECT_TRUE(Has(text, "radixlm_requests_queued 2"));
  EXPECT_TRUE(Has(text, "radixlm_requests_running 3"));
  EXPECT_TRUE(Has(text, "radixlm_requests_cancelled_total 1"));
  EXPECT_TRUE(Has(text, "radixlm_cached_prompt_tokens_total 40"));
  EXPECT_TRUE(Has(text, "radixlm_kv_pages_total 100"));
  EXPECT_TRUE(Has(text, "radixlm_kv_pages_free 90"));
  EXPECT_TRUE(Has(text, "radixlm_kv_pages_evictable 8"));
  EXPECT_TRUE(Has(text, "radixlm_kv_pages_pinned 2"));
  EXPECT_TRUE(Has(text, "radixlm_ready 1"));
  EXPECT_TRUE(Has(text, "# TYPE radixlm_kv_pages_free gauge"));
}

}  // namespace
}  // namespace radixlm
