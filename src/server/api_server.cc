#include "server/api_server.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include <httplib.h>

#include "server/api_response.h"
#include "server/completion_run.h"

namespace radixlm {

namespace {

using json = nlohmann::json;

constexpr const char* kJson = "application/json";

void SendError(httplib::Response& res, const ApiError& error) {
  res.status = error.http_status;
  res.set_content(ErrorBody(error), kJson);
}

std::string EndpointLabel(const std::string& path) {
  for (const char* known : {"/v1/completions", "/v1/chat/completions", "/v1/models", "/health",
                            "/metrics", "/tokenize"}) {
    if (path == known) return known;
  }
  return "other";
}

uint64_t RandomSeed() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}() ^
                             static_cast<uint64_t>(
                                 std::chrono::system_clock::now().time_since_epoch().count()));
  std::lock_guard<std::mutex> lock(mu);
  return rng();
}

// Counts a completion request as in flight until destroyed.
class InFlight {
 public:
  explicit InFlight(std::atomic<int>* n) : n_(n) { n_->fetch_add(1); }
  ~InFlight() { n_->fetch_sub(1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<int>* n_;
};

}  // namespace

struct ApiServer::Impl {
  // True when the request may use /v1 (no key set, or the right Bearer
  // token); else answers 401.
  static bool Authorized(ApiServer* s, const httplib::Request& req, httplib::Response& res) {
    if (s->options_.api_key.empty()) return true;
    const std::string auth = req.get_header_value("Authorization");
    const std::string want = "Bearer " + s->options_.api_key;
    // Constant time in the key's length.
    bool same = auth.size() == want.size();
    unsigned char diff = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      diff |= static_cast<unsigned char>((i < auth.size() ? auth[i] : 0) ^ want[i]);
    }
    if (same && diff == 0) return true;
    ApiError e;
    e.http_status = 401;
    e.type = "authentication_error";
    e.code = "invalid_api_key";
    e.message = auth.empty() ? "missing API key: send 'Authorization: Bearer <key>'"
                             : "invalid API key";
    SendError(res, e);
    return false;
  }

  static void Completion(ApiServer* s, const httplib::Request& req, httplib::Response& res,
                         ApiEndpoint endpoint) {
    if (!Authorized(s, req, res)) return;
    auto in_flight = std::make_shared<InFlight>(&s->in_flight_);
    if (s->shutting_down_.load()) {
      SendError(res, ErrorFromStatus(Status::Cancelled("the server is shutting down")));
      return;
    }
    if (!s->ready_.load()) {
      ApiError e;
      e.http_status = 503;
      e.type = "server_unavailable";
      e.code = "loading";
      e.message = "the server is warming up its cache; try again shortly";
      SendError(res, e);
      return;
    }
    ApiRequest request;
    ApiError error;
    if (!ParseApiRequest(req.body, endpoint, s->options_.api_limits, &request, &error)) {
      SendError(res, error);
      return;
    }
    std::vector<PreparedPrompt> prompts;
    if (!PreparePrompts(request, s->engine_->model().tokenizer(), s->chat_, s->options_.limits,
                        &prompts, &error)) {
      SendError(res, error);
      return;
    }
    ResponseMeta meta;
    meta.endpoint = endpoint;
    meta.id = NewResponseId(endpoint);
    meta.created = static_cast<int64_t>(std::time(nullptr));
    meta.model = s->options_.model_name;
    const bool stream = request.stream;
    const uint64_t seed = request.seed_given ? request.sampling.seed : RandomSeed();
    auto run = std::make_shared<CompletionRun>(std::move(meta), std::move(request),
                                               std::move(prompts),
                                               &s->engine_->model().tokenizer(), &s->metrics_);
    if (!run->Submit(s->scheduler_, seed, s->options_.limits, &error)) {
      SendError(res, error);
      return;
    }
    if (!stream) {
      json response;
      if (!run->WaitForResponse(&response, &error)) {
        SendError(res, error);
        return;
      }
      res.set_content(DumpJson(response), kJson);
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [run](size_t, httplib::DataSink& sink) {
          std::string out;
          const bool more = run->NextSse(std::chrono::milliseconds(250), &out);
          if (!out.empty() ? !sink.write(out.data(), out.size())
                           : (sink.is_writable && !sink.is_writable())) {
            run->CancelAll();  // the client went away
            return false;
          }
          if (!more) sink.done();
          return true;
        },
        [run, in_flight](bool success) {
          if (!success) run->CancelAll();
        });
  }

  static void Models(ApiServer* s, const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(s, req, res)) return;
    const Model& m = s->engine_->model();
    json model = {{"id", s->options_.model_name},
                  {"object", "model"},
                  {"created", s->created_},
                  {"owned_by", "radixlm"},
                  {"meta",
                   {{"format", m.format()},
                    {"n_vocab", m.config().vocab_size},
                    {"n_ctx", s->options_.limits.context},
                    {"n_params_bytes", m.weight_bytes()},
                    {"chat_template", s->chat_ != nullptr ? s->chat_->kind() : "none"}}}};
    json body = {{"object", "list"}, {"data", json::array({model})}};
    res.set_content(DumpJson(body), kJson);
  }

  // llama-server's POST /tokenize: {"content": text, "add_special": bool}
  // → {"tokens": [...]} (no BOS unless add_special).
  static void Tokenize(ApiServer* s, const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(s, req, res)) return;
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("content") ||
        !body["content"].is_string()) {
      SendError(res, InvalidRequest("'content' must be a string", "content"));
      return;
    }
    const bool add_special = body.value("add_special", false);
    std::vector<int32_t> tokens;
    Status st = s->engine_->model().tokenizer().Encode(body["content"].get<std::string>(),
                                                      add_special, true, &tokens);
    if (!st.ok()) {
      SendError(res, InvalidRequest(st.message(), "content"));
      return;
    }
    res.set_content(DumpJson(json{{"tokens", tokens}}), kJson);
  }

  static void Health(ApiServer* s, const httplib::Request&, httplib::Response& res) {
    if (s->shutting_down_.load()) {
      res.status = 503;
      res.set_content(R"({"status":"shutting_down"})", kJson);
    } else if (!s->ready_.load()) {
      res.status = 503;
      res.set_content(R"({"status":"loading"})", kJson);
    } else {
      res.set_content(R"({"status":"ok"})", kJson);
    }
  }

  static void Metrics(ApiServer* s, const httplib::Request&, httplib::Response& res) {
    const std::string text =
        s->metrics_.Render(s->scheduler_->Stats(), s->engine_->Stats(), s->ready_.load(),
                           s->warmup_pinned_tokens_.load());
    res.set_content(text, "text/plain; version=0.0.4");
  }
};

ApiServer::ApiServer(const ApiServerOptions& options, Engine* engine, Scheduler* scheduler,
                     const ChatPrompt* chat)
    : options_(options),
      engine_(engine),
      scheduler_(scheduler),
      chat_(chat),
      http_(std::make_unique<httplib::Server>()),
      created_(static_cast<int64_t>(std::time(nullptr))) {
  Route();
}

ApiServer::~ApiServer() = default;

void ApiServer::Route() {
  httplib::Server& h = *http_;
  const size_t threads = std::max<size_t>(options_.http_threads, 1);
  h.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  h.set_payload_max_length(options_.max_body_bytes);
  h.set_read_timeout(options_.timeout_seconds, 0);
  h.set_write_timeout(options_.timeout_seconds, 0);
  h.set_tcp_nodelay(true);
  h.set_keep_alive_max_count(10000);

  h.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Impl::Completion(this, req, res, ApiEndpoint::kCompletions);
  });
  h.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Impl::Completion(this, req, res, ApiEndpoint::kChatCompletions);
  });
  h.Post("/tokenize", [this](const httplib::Request& req, httplib::Response& res) {
    Impl::Tokenize(this, req, res);
  });
  h.Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
    Impl::Models(this, req, res);
  });
  h.Get("/health", [this](const httplib::Request& req, httplib::Response& res) {
    Impl::Health(this, req, res);
  });
  h.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    Impl::Metrics(this, req, res);
  });

  // Errors httplib itself answers (404, 413, 400 on a bad request line)
  // get an OpenAI error body too.
  h.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req,
                                                               httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ApiError e;
    e.http_status = res.status;
    switch (res.status) {
      case 404:
        e.message = "no such endpoint: " + req.method + " " + req.path;
        e.code = "not_found";
        break;
      case 413:
        e.message = "the request body is too large";
        e.code = "request_too_large";
        break;
      default:
        e.message = "HTTP error " + std::to_string(res.status);
        if (res.status >= 500) e.type = "server_error";
        break;
    }
    res.set_content(ErrorBody(e), kJson);
    return httplib::Server::HandlerResponse::Handled;
  }));
  h.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        ApiError e;
        e.http_status = 500;
        e.type = "server_error";
        e.message = "internal error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& ex) {
          e.message = std::string("internal error: ") + ex.what();
        } catch (...) {
        }
        SendError(res, e);
      });
  h.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    metrics_.CountRequest(EndpointLabel(req.path), res.status);
    if (options_.verbose) {
      std::fprintf(stderr, "radixlm serve: %s %s %d\n", req.method.c_str(), req.path.c_str(),
                   res.status);
    }
  });
}

Status ApiServer::Bind() {
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ <= 0) return Status::IOError("cannot listen on " + options_.host);
  } else {
    if (!http_->bind_to_port(options_.host, options_.port)) {
      return Status::IOError("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + " (address in use?)");
    }
    port_ = options_.port;
  }
  return Status::Ok();
}

void ApiServer::Serve() { http_->listen_after_bind(); }

void ApiServer::Stop() { http_->stop(); }

bool ApiServer::WaitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (in_flight_.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace radixlm
