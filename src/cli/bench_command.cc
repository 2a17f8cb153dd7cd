// radixlm bench: prefill and decode throughput of a model, in llama-bench's
// shape (`-m -p -n -t -r`, a markdown table or `-o json` with llama-bench's
// field names) so the two line up column for column. Runs the Transformer
// directly on a private SequenceKv (no cache, no sampling): pp<P> is one
// forward of P random tokens from position 0, tg<N> is N one-token forwards
// from position 0 (as llama-bench runs them), each after one warm-up run.
// Also states decode against the memory floor: weight bytes read per token
// over the read bandwidth (measured like tools/membw, or --bandwidth).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/profiler.h"
#include "base/thread_pool.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "kernels/membw.h"
#include "model/kv_layout.h"
#include "model/model.h"
#include "model/transformer.h"

namespace radixlm {
namespace {

using Clock = std::chrono::steady_clock;

int Fail(const Status& s) {
  std::fprintf(stderr, "radixlm bench: %s\n", s.ToString().c_str());
  return 1;
}

// One test's timings, seconds per repetition.
struct TestResult {
  std::string name;  // "pp512", "tg128"
  int n_prompt = 0;
  int n_gen = 0;
  std::vector<double> seconds;
  std::vector<double> ts;  // tokens/s per repetition
  double avg_ts = 0, stddev_ts = 0, avg_ns = 0, stddev_ns = 0;
};

void Summarize(TestResult* r) {
  const int n_tok = r->n_prompt + r->n_gen;
  double s = 0, sn = 0;
  for (double sec : r->seconds) {
    r->ts.push_back(n_tok / sec);
    s += n_tok / sec;
    sn += sec * 1e9;
  }
  const double n = static_cast<double>(r->seconds.size());
  r->avg_ts = s / n;
  r->avg_ns = sn / n;
  double v = 0, vn = 0;
  for (size_t i = 0; i < r->seconds.size(); ++i) {
    v += (r->ts[i] - r->avg_ts) * (r->ts[i] - r->avg_ts);
    vn += (r->seconds[i] * 1e9 - r->avg_ns) * (r->seconds[i] * 1e9 - r->avg_ns);
  }
  // Sample standard deviation, as llama-bench reports it.
  r->stddev_ts = n > 1 ? std::sqrt(v / (n - 1)) : 0;
  r->stddev_ns = n > 1 ? std::sqrt(vn / (n - 1)) : 0;
}

size_t MatrixBytes(const TensorView& t) { return t.rows * t.row_bytes(); }
size_t MatrixParams(const TensorView& t) { return t.rows * t.cols; }

// Weight bytes one decode step reads: every matrix and norm, but only one
// row of the token embedding (unless it doubles as the output matrix).
size_t DecodeBytesPerToken(const Model& m) {
  const Weights& w = m.weights();
  const size_t dim = static_cast<size_t>(m.config().dim);
  size_t b = w.token_embedding.row_bytes() + dim * sizeof(float);
  for (const LayerWeights& l : w.layers) {
    for (const TensorView* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w1, &l.w2, &l.w3}) {
      b += MatrixBytes(*t);
    }
    b += 2 * dim * sizeof(float);
  }
  return b + MatrixBytes(w.output);
}

size_t ParamCount(const Model& m) {
  const Weights& w = m.weights();
  const size_t dim = static_cast<size_t>(m.config().dim);
  size_t n = MatrixParams(w.token_embedding) + dim;
  for (const LayerWeights& l : w.layers) {
    for (const TensorView* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w1, &l.w2, &l.w3}) {
      n += MatrixParams(*t);
    }
    n += 2 * dim;
  }
  if (w.output.data != w.token_embedding.data) n += MatrixParams(w.output);
  return n;
}

// "Q8_0", "F16", or "Q4_K - mix" when the matrices' types differ.
std::string WeightTypeName(const Model& m) {
  const Weights& w = m.weights();
  std::string first;
  bool mixed = false;
  auto see = [&](const TensorView& t) {
    std::string n = DTypeName(t.type);
    for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (first.empty()) first = n;
    else if (n != first) mixed = true;
  };
  for (const LayerWeights& l : w.layers) {
    for (const TensorView* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w1, &l.w2, &l.w3}) see(*t);
  }
  return mixed ? first + " - mix" : first;
}

// Runs `fn` once to warm up, then `reps` times, timing each.
template <class Fn>
Status Time(int reps, Fn fn, std::vector<double>* seconds) {
  RLM_RETURN_IF_ERROR(fn());
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    RLM_RETURN_IF_ERROR(fn());
    seconds->push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return Status::Ok();
}

std::string JsonList(const std::vector<double>& v, const char* fmt) {
  std::string s = "[";
  char buf[64];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof(buf), fmt, v[i]);
    s += (i ? ", " : "") + std::string(buf);
  }
  return s + "]";
}

}  // namespace

int BenchCommand(int argc, char** argv, int first) {
  std::string model_path, output = "md";
  int32_t n_prompt = 512, n_gen = 128, threads = 2, reps = 5;
  float bandwidth = 0.0f;
  int32_t membw_mib = 1024;
  FlagParser p("radixlm bench -m MODEL [-p 512] [-n 128] [-t 2] [-r 5] [-o md|json]");
  p.AddString("-m,--model", &model_path, "model file");
  p.AddInt("-p,--n-prompt", &n_prompt, "prompt tokens of the prefill test (0: skip)");
  p.AddInt("-n,--n-gen", &n_gen, "decode steps of the generation test (0: skip)");
  p.AddInt("-t,--threads", &threads, "threads");
  p.AddInt("-r,--repetitions", &reps, "timed repetitions per test (after one warm-up)");
  p.AddString("-o,--output", &output, "md (markdown table) or json (llama-bench fields)");
  p.AddFloat("--bandwidth", &bandwidth,
             "memory read bandwidth in GB/s for the decode floor (0: measure it)");
  p.AddInt("--membw-mib", &membw_mib, "MiB streamed when measuring bandwidth");
  std::string profile_path;
  p.AddString("--profile", &profile_path,
              "write a Chrome trace of per-operation timings (warm-up runs included) to FILE "
              "and print a summary");
  Status s = p.Parse(argc, argv, first);
  if (p.help_requested()) {
    std::fputs(p.Help().c_str(), stdout);
    return 0;
  }
  if (!s.ok()) return Fail(s);
  if (model_path.empty()) return Fail(Status::InvalidArgument("-m MODEL is required"));
  if (threads < 1 || reps < 1 || n_prompt < 0 || n_gen < 0 || (output != "md" && output != "json")) {
    return Fail(Status::InvalidArgument("need -t >= 1, -r >= 1, -p/-n >= 0, -o md|json"));
  }
  std::unique_ptr<Model> model;
  if (!(s = Model::Load(model_path, ModelLoadOptions{}, &model)).ok()) return Fail(s);
  const ModelConfig& cfg = model->config();
  const size_t vocab = static_cast<size_t>(cfg.vocab_size);
  std::unique_ptr<ThreadPool> pool;
  if (threads > 1) pool = std::make_unique<ThreadPool>(threads);
  Transformer tf(*model, pool.get());
  constexpr size_t kPageSize = 16;
  SequenceKv kv(tf.kv_layout(kPageSize));
  kv.Reserve(static_cast<size_t>(std::max(n_prompt, n_gen)) + 1);
  std::vector<float> logits(vocab);
  std::mt19937 rng(42);
  auto random_tokens = [&](size_t n) {
    std::vector<int32_t> t(n);
    for (auto& v : t) v = static_cast<int32_t>(rng() % vocab);
    return t;
  };

  std::vector<TestResult> results;
  ProfileSession profile(profile_path);
  if (n_prompt > 0) {
    TestResult r;
    r.name = "pp" + std::to_string(n_prompt);
    r.n_prompt = n_prompt;
    const std::vector<int32_t> tokens = random_tokens(n_prompt);
    s = Time(reps, [&] {
      SeqChunk c{tokens.data(), tokens.size(), 0, kv.table(), logits.data(), 1};
      return tf.Forward(std::span<const SeqChunk>(&c, 1), kPageSize);
    }, &r.seconds);
    if (!s.ok()) return Fail(s);
    results.push_back(std::move(r));
  }
  if (n_gen > 0) {
    TestResult r;
    r.name = "tg" + std::to_string(n_gen);
    r.n_gen = n_gen;
    const std::vector<int32_t> tokens = random_tokens(n_gen);
    s = Time(reps, [&] {
      for (int i = 0; i < n_gen; ++i) {
        SeqChunk c{&tokens[i], 1, static_cast<size_t>(i), kv.table(), logits.data(), 1};
        RLM_RETURN_IF_ERROR(tf.Forward(std::span<const SeqChunk>(&c, 1), kPageSize));
      }
      return Status::Ok();
    }, &r.seconds);
    if (!s.ok()) return Fail(s);
    results.push_back(std::move(r));
  }
  for (TestResult& r : results) Summarize(&r);

  // Decode floor.
  const size_t bytes_per_token = DecodeBytesPerToken(*model);
  bool measured = false;
  if (bandwidth <= 0.0f && n_gen > 0) {
    bandwidth = static_cast<float>(
        MeasureReadBandwidth(static_cast<size_t>(threads), static_cast<size_t>(membw_mib), 5)
            .median_gbps);
    measured = true;
  }
  const double floor_ts = bandwidth > 0 ? bandwidth * 1e9 / bytes_per_token : 0;

  const size_t params = ParamCount(*model);
  const std::string type_name = WeightTypeName(*model);
  char model_name[128];
  std::snprintf(model_name, sizeof(model_name), "%s %.1fB %s", cfg.arch.c_str(), params / 1e9,
                type_name.c_str());
  const double size_gib = model->weight_bytes() / 1073741824.0;
  if (output == "json") {
    char when[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    std::printf("[\n");
    for (size_t i = 0; i < results.size(); ++i) {
      const TestResult& r = results[i];
      std::vector<double> ns;
      for (double sec : r.seconds) ns.push_back(sec * 1e9);
      std::printf(
          "  {\n    \"build_commit\": \"radixlm\",\n    \"backends\": \"CPU\",\n"
          "    \"model_filename\": \"%s\",\n    \"model_type\": \"%s\",\n"
          "    \"model_size\": %zu,\n    \"model_n_params\": %zu,\n    \"n_batch\": %d,\n"
          "    \"n_ubatch\": %d,\n    \"n_threads\": %d,\n    \"type_k\": \"f32\",\n"
          "    \"type_v\": \"f32\",\n    \"n_prompt\": %d,\n    \"n_gen\": %d,\n"
          "    \"test_time\": \"%s\",\n    \"avg_ns\": %.0f,\n    \"stddev_ns\": %.0f,\n"
          "    \"avg_ts\": %.6f,\n    \"stddev_ts\": %.6f,\n    \"samples_ns\": %s,\n"
          "    \"samples_ts\": %s,\n    \"bytes_per_token\": %zu,\n"
          "    \"bandwidth_gbps\": %.2f,\n    \"floor_ts\": %.3f,\n    \"floor_ratio\": %.4f\n  }%s\n",
          model_path.c_str(), model_name, model->weight_bytes(), params,
          std::max(n_prompt, 1), std::max(n_prompt, 1), threads, r.n_prompt, r.n_gen, when,
          r.avg_ns, r.stddev_ns, r.avg_ts, r.stddev_ts, JsonList(ns, "%.0f").c_str(),
          JsonList(r.ts, "%.6f").c_str(), bytes_per_token, bandwidth, floor_ts,
          r.n_gen > 0 && floor_ts > 0 ? r.avg_ts / floor_ts : 0.0,
          i + 1 < results.size() ? "," : "");
    }
    std::printf("]\n");
    return 0;
  }
  std::printf("| model | size | params | backend | threads | test | t/s |\n");
  std::printf("| --- | ---: | ---: | --- | ---: | ---: | ---: |\n");
  for (const TestResult& r : results) {
    std::printf("| %s | %.2f GiB | %.2f B | CPU | %d | %s | %.2f ± %.2f |\n", model_name, size_gib,
                params / 1e9, threads, r.name.c_str(), r.avg_ts, r.stddev_ts);
  }
  if (n_gen > 0 && floor_ts > 0) {
    const TestResult& tg = results.back();
    std::printf("\ndecode floor: %.3f GB read per token / %.1f GB/s (%s) = %.2f tok/s; "
                "%s = %.0f%% of floor\n",
                bytes_per_token / 1e9, bandwidth, measured ? "measured" : "--bandwidth",
                floor_ts, tg.name.c_str(), 100.0 * tg.avg_ts / floor_ts);
  }
  return 0;
}

}  // namespace radixlm
