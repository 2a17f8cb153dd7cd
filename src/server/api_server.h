// ApiServer: the OpenAI-compatible HTTP server (cpp-httplib) over a
// Scheduler.
//
//   POST /v1/completions, POST /v1/chat/completions  (JSON or SSE streams)
//   GET  /v1/models, GET /health, GET /metrics        (Prometheus text)
//   POST /tokenize                                    (llama-server's: text → ids)
//
// Each HTTP request runs on a thread of httplib's pool: it parses and
// validates the body, submits its generations to the Scheduler and waits
// for their events (streaming: writes each chunk as it comes; a failed
// write means the client left, and its generations are cancelled).
// Errors are OpenAI error objects with 400 (bad JSON or fields, prompt too
// long), 401 (--api-key set and the Bearer token differs, on /v1/* and
// /tokenize; /health and /metrics stay open), 404, 413 (body over max_body_bytes), 429 (queue
// full), 503 (loading or shutting down).
//
// Thread safety: Bind, Serve and Stop are for the owning thread(s) as
// documented; SetReady, BeginShutdown and WaitIdle are thread-safe.
#ifndef RADIXLM_SERVER_API_SERVER_H_
#define RADIXLM_SERVER_API_SERVER_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "engine/scheduler.h"
#include "server/api_prepare.h"
#include "server/api_request.h"
#include "server/chat_prompt.h"
#include "server/metrics.h"

namespace httplib {
class Server;
}

namespace radixlm {

struct ApiServerOptions {
  // Address to listen on. Default loopback only.
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free one (see port()).
  int port = 8080;
  // When non-empty, /v1/* requests need "Authorization: Bearer <api_key>".
  std::string api_key;
  // Largest request body in bytes (413 beyond). Default 8 MiB.
  size_t max_body_bytes = 8u << 20;
  // HTTP worker threads (each serves one connection at a time). >= 1.
  size_t http_threads = 64;
  // Socket read/write timeout in seconds.
  int timeout_seconds = 600;
  // The model's name in responses and /v1/models.
  std::string model_name = "model";
  ServingLimits limits;
  ApiLimits api_limits;
  // Log one line per request to stderr.
  bool verbose = false;
};

class ApiServer {
 public:
  // REQUIRES: engine, scheduler and chat outlive the server.
  ApiServer(const ApiServerOptions& options, Engine* engine, Scheduler* scheduler,
            const ChatPrompt* chat);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the listening socket. IOError when the address is taken.
  Status Bind();
  // The bound port (after Bind).
  int port() const { return port_; }
  // Accepts and serves connections until Stop(). REQUIRES: Bind succeeded.
  void Serve();
  // Makes Serve return; in-flight connections are finished first.
  void Stop();

  // /health reports ok (and completions are accepted) once ready.
  void SetReady(bool ready) { ready_.store(ready); }
  // Tokens pinned by the warm-up (shown in /metrics).
  void SetWarmupPinnedTokens(size_t tokens) { warmup_pinned_tokens_.store(tokens); }
  // From now on new completion requests get 503.
  void BeginShutdown() { shutting_down_.store(true); }
  // Waits until no completion request is being served, at most `timeout`.
  // Returns true when idle.
  bool WaitIdle(std::chrono::milliseconds timeout);

  ServerMetrics& metrics() { return metrics_; }

 private:
  struct Impl;
  void Route();

  const ApiServerOptions options_;
  Engine* const engine_;
  Scheduler* const scheduler_;
  const ChatPrompt* const chat_;
  std::unique_ptr<httplib::Server> http_;
  ServerMetrics metrics_;
  int port_ = 0;
  const int64_t created_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> shutting_down_{false};
  std::atomic<size_t> warmup_pinned_tokens_{0};
  std::atomic<int> in_flight_{0};
};

}  // namespace radixlm

#endif  // RADIXLM_SERVER_API_SERVER_H_
