// radixlm serve: the OpenAI-compatible HTTP server (see src/server).
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/mapped_file.h"
#include "base/profiler.h"
#include "base/thread_pool.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "engine/engine.h"
#include "engine/scheduler.h"
#include "server/api_server.h"
#include "server/chat_prompt.h"
#include "server/warmup.h"

namespace radixlm {

namespace {

struct ServeFlags {
  std::string model = RADIXLM_DEFAULT_MODEL;
  std::string profile;
  std::string tokenizer;
  std::string host = "127.0.0.1";
  int32_t port = 8080;
  int32_t ctx_size = 0;
  int32_t parallel = 8;
  int32_t threads = static_cast<int32_t>(DefaultThreadCount());
  int32_t batch_size = 512;
  std::string api_key;
  std::string schedule = "lpm";
  int32_t max_queue = 256;
  std::string kv_cache_bytes;
  std::string warmup;
  bool no_cache = false;
  std::string max_body_bytes = "8M";
  int32_t max_prompt_tokens = 0;
  int32_t max_tokens_limit = 0;
  int32_t max_n = 16;
  int32_t timeout = 600;
  int32_t http_threads = 0;
  std::string alias;
  std::string chat_template_file;
  bool verbose = false;
};

int Fail(const Status& s) {
  std::fprintf(stderr, "radixlm serve: %s\n", s.ToString().c_str());
  return 1;
}

// "123", "64K", "512M", "2G" (binary units) → bytes.
Status ParseBytes(const std::string& flag, const std::string& text, size_t* out) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0 || errno != 0) {
    return Status::InvalidArgument(flag + ": '" + text + "' is not a size");
  }
  double mult = 1;
  const std::string unit(end);
  if (unit == "K" || unit == "k" || unit == "KiB") {
    mult = 1024.0;
  } else if (unit == "M" || unit == "m" || unit == "MiB") {
    mult = 1024.0 * 1024;
  } else if (unit == "G" || unit == "g" || unit == "GiB") {
    mult = 1024.0 * 1024 * 1024;
  } else if (!unit.empty()) {
    return Status::InvalidArgument(flag + ": unknown unit in '" + text + "' (K, M, G)");
  }
  *out = static_cast<size_t>(v * mult);
  return Status::Ok();
}

}  // namespace

int ServeCommand(int argc, char** argv, int first) {
  ServeFlags f;
  FlagParser p("radixlm serve [-m MODEL] [--host HOST] [--port PORT] [options]");
  p.AddString("-m,--model", &f.model, "model file (GGUF, llama2.c checkpoint or HF directory)");
  p.AddString("--tokenizer", &f.tokenizer, "llama2.c tokenizer file (default: beside the model)");
  p.AddString("--profile", &f.profile,
              "record per-operation timings of every request; at shutdown write them to FILE "
              "as a Chrome trace and print a summary");
  p.AddString("-a,--alias", &f.alias, "model name in responses (default: the model file's name)");
  p.AddString("--host", &f.host, "address to listen on");
  p.AddInt("--port", &f.port, "port to listen on (0: any free port, printed on stderr)");
  p.AddInt("-c,--ctx-size", &f.ctx_size,
           "tokens of prompt + completion per request (0: the model's context)");
  p.AddInt("-np,--parallel", &f.parallel, "requests generating at once (the running batch)");
  p.AddInt("-t,--threads", &f.threads, "compute threads");
  p.AddInt("-b,--batch-size", &f.batch_size,
           "most tokens in one forward step (long prompts are prefilled in chunks of this)");
  p.AddString("--api-key", &f.api_key,
              "require 'Authorization: Bearer KEY' on /v1/* (default: none; also $RADIXLM_API_KEY)");
  p.AddString("--schedule", &f.schedule, "admission order: fcfs or lpm (longest cached prefix)");
  p.AddInt("--max-queue", &f.max_queue, "generations waiting for admission before 429 (0: no limit)");
  p.AddString("--kv-cache-bytes", &f.kv_cache_bytes,
              "RAM for KV pages, e.g. 512M or 4G (default: a quarter of RAM, at most 16G)");
  p.AddString("--warmup", &f.warmup,
              "JSON (array or lines) of prompts / chat prefixes to cache before /health is ok");
  p.AddBool("--no-cache", &f.no_cache, "no prefix reuse across requests (for benchmarks)");
  p.AddString("--max-body-bytes", &f.max_body_bytes, "largest request body (413 beyond)");
  p.AddInt("--max-prompt-tokens", &f.max_prompt_tokens, "longest prompt in tokens (0: the context)");
  p.AddInt("--max-tokens-limit", &f.max_tokens_limit,
           "largest max_tokens a request may ask for (0: the context)");
  p.AddInt("--max-n", &f.max_n, "largest n (choices per request)");
  p.AddInt("-to,--timeout", &f.timeout, "socket read/write timeout in seconds");
  p.AddInt("--http-threads", &f.http_threads,
           "HTTP worker threads (0: parallel + max-queue + 8, at most 1024)");
  p.AddString("--chat-template-file", &f.chat_template_file,
              "Jinja chat template to use instead of the model's");
  p.AddBool("-v,--verbose", &f.verbose, "log every request on stderr");
  Status s = p.Parse(argc, argv, first);
  if (p.help_requested()) {
    std::fputs(p.Help().c_str(), stdout);
    return 0;
  }
  if (!s.ok()) return Fail(s);
  if (f.api_key.empty()) {
    if (const char* env = std::getenv("RADIXLM_API_KEY")) f.api_key = env;
  }
  if (f.threads <= 0) return Fail(Status::InvalidArgument("--threads must be positive"));
  if (f.parallel <= 0) return Fail(Status::InvalidArgument("--parallel must be positive"));
  if (f.port < 0 || f.port > 65535) return Fail(Status::InvalidArgument("--port out of range"));
  if (f.ctx_size < 0 || f.max_queue < 0 || f.max_prompt_tokens < 0 || f.max_tokens_limit < 0 ||
      f.max_n < 1 || f.timeout < 1 || f.http_threads < 0 || f.batch_size < 1) {
    return Fail(Status::InvalidArgument("a size flag is out of range"));
  }
  SchedulerOptions sched_opt;
  s = ParseSchedulePolicy(f.schedule, &sched_opt.policy);
  if (!s.ok()) return Fail(s);
  sched_opt.max_running = static_cast<size_t>(f.parallel);
  sched_opt.max_queue = static_cast<size_t>(f.max_queue);
  sched_opt.disable_cache = f.no_cache;

  EngineOptions engine_opt;
  engine_opt.threads = static_cast<size_t>(f.threads);
  engine_opt.max_step_tokens = static_cast<size_t>(f.batch_size);
  engine_opt.tokenizer_path = f.tokenizer;
  if (!f.kv_cache_bytes.empty()) {
    s = ParseBytes("--kv-cache-bytes", f.kv_cache_bytes, &engine_opt.kv_cache_bytes);
    if (!s.ok()) return Fail(s);
  }
  ApiServerOptions server_opt;
  s = ParseBytes("--max-body-bytes", f.max_body_bytes, &server_opt.max_body_bytes);
  if (!s.ok()) return Fail(s);

  // SIGINT/SIGTERM are taken by a waiting thread (sigwait): block them here,
  // before any thread starts, so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Engine> engine;
  s = Engine::Open(f.model, engine_opt, &engine);
  if (!s.ok()) return Fail(s);
  const Model& model = engine->model();

  std::string template_source = model.chat_template();
  if (!f.chat_template_file.empty()) {
    s = ReadFileToString(f.chat_template_file, &template_source);
    if (!s.ok()) return Fail(s);
  }
  std::unique_ptr<ChatPrompt> chat;
  s = ChatPrompt::Create(template_source, &model.tokenizer(), &chat);
  if (!s.ok()) {
    return Fail(Status::InvalidArgument(s.message() +
                                        " (pass --chat-template-file to use another template)"));
  }
  std::vector<WarmupEntry> warmup_entries;
  if (!f.warmup.empty()) {
    std::string text;
    s = ReadFileToString(f.warmup, &text);
    if (s.ok()) s = ParseWarmup(text, model.tokenizer(), *chat, &warmup_entries);
    if (!s.ok()) return Fail(s);
  }

  const size_t model_ctx = model.config().max_seq_len;
  server_opt.host = f.host;
  server_opt.port = f.port;
  server_opt.api_key = f.api_key;
  server_opt.timeout_seconds = f.timeout;
  server_opt.model_name =
      !f.alias.empty() ? f.alias : std::filesystem::path(f.model).filename().string();
  server_opt.limits.context =
      f.ctx_size > 0 ? std::min<size_t>(model_ctx, static_cast<size_t>(f.ctx_size)) : model_ctx;
  if (server_opt.limits.context < 2) return Fail(Status::InvalidArgument("--ctx-size too small"));
  server_opt.limits.max_prompt_tokens = static_cast<size_t>(f.max_prompt_tokens);
  server_opt.limits.max_tokens_limit = f.max_tokens_limit;
  server_opt.api_limits.max_n = f.max_n;
  server_opt.http_threads =
      f.http_threads > 0 ? static_cast<size_t>(f.http_threads)
                         : std::min<size_t>(1024, static_cast<size_t>(f.parallel + f.max_queue + 8));
  server_opt.verbose = f.verbose;

  Scheduler scheduler(engine.get(), sched_opt);
  ApiServer server(server_opt, engine.get(), &scheduler, chat.get());
  s = server.Bind();
  if (!s.ok()) return Fail(s);
  std::thread http([&] { server.Serve(); });
  std::fprintf(stderr,
               "radixlm serve: %s (%s, context %zu, chat %s) | %d threads | parallel %d | "
               "schedule %s%s\n",
               server_opt.model_name.c_str(), model.format().c_str(), server_opt.limits.context,
               chat->kind(), f.threads, f.parallel, f.schedule.c_str(),
               f.no_cache ? " | cache off" : "");

  WarmupResult warm;
  if (!warmup_entries.empty()) {
    s = RunWarmup(engine.get(), warmup_entries, &warm);
    if (!s.ok()) {
      server.Stop();
      http.join();
      return Fail(s);
    }
    server.SetWarmupPinnedTokens(warm.pinned_tokens);
    std::fprintf(stderr,
                 "radixlm serve: warm-up: %zu entries, %zu tokens (%zu computed, %zu pinned)\n",
                 warm.entries, warm.tokens, warm.computed_tokens, warm.pinned_tokens);
  }
  ProfileSession profile(f.profile);
  server.SetReady(true);
  std::fprintf(stderr, "radixlm serve: listening on http://%s:%d\n", f.host.c_str(),
               server.port());

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "radixlm serve: %s: finishing running requests\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.BeginShutdown();
  scheduler.Drain();
  server.WaitIdle(std::chrono::seconds(30));
  server.Stop();
  http.join();
  for (uint64_t h : warm.pinned_handles) engine->FreeCache(h);
  (void)profile.Finish();
  std::fprintf(stderr, "radixlm serve: stopped\n");
  return 0;
}

}  // namespace radixlm
