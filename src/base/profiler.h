// Profiler: per-operation timings (matmuls by layer, attention, norms,
// sampling, scheduling, cache lookups), recorded while enabled and written
// as a Chrome trace (JSON "traceEvents", complete "X" events; open it in
// chrome://tracing or https://ui.perfetto.dev) plus a printed summary of
// where the time went.
//
// One process-wide instance (Profiler::Global()): the CLI's and server's
// --profile FILE, and the C API's rlm_profiler_start/stop, drive it.
//
// Cost when off: a ProfileScope reads one relaxed atomic and nothing else
// (no clock read, no allocation). When on, a scope reads the steady clock
// twice and appends one 40-byte event under a mutex; forwards record tens of
// events per layer, so the overhead is far below a microsecond per matmul.
//
// Thread safety: every member is thread-safe.
#ifndef RADIXLM_BASE_PROFILER_H_
#define RADIXLM_BASE_PROFILER_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"

namespace radixlm {

struct ProfileEvent {
  const char* name;      // static string, e.g. "matmul.wq"
  const char* category;  // static string, e.g. "matmul", "attention"
  int64_t begin_ns;      // since Start()
  int64_t dur_ns;
  int32_t layer;         // -1 when not per layer
  int32_t thread;        // small per-thread id (1, 2, ...)
  int64_t arg;           // e.g. tokens in the batch; -1 when none
};

// Totals of one operation name, for the summary.
struct ProfileTotal {
  std::string name;
  std::string category;
  uint64_t calls = 0;
  int64_t total_ns = 0;
};

class Profiler {
 public:
  // Events kept at most (about 40 MB); later ones are counted as dropped.
  static constexpr size_t kMaxEvents = size_t{1} << 20;

  static Profiler& Global();

  // Clears earlier events and starts recording.
  void Start();
  // Stops recording; events are kept until the next Start().
  void Stop();
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

  // Nanoseconds since Start() (steady clock).
  int64_t Now() const;
  void Record(const char* name, const char* category, int64_t begin_ns, int64_t end_ns,
              int32_t layer, int64_t arg);

  std::vector<ProfileEvent> Events() const;
  uint64_t dropped() const;

  // Per-name totals, largest first.
  std::vector<ProfileTotal> Totals() const;
  // A text table: per operation, calls, total ms, mean µs and share of the
  // time spent in top-level scopes (forward steps and sampling).
  std::string Summary() const;
  // Writes the Chrome trace JSON.
  Status WriteChromeTrace(const std::string& path) const;

 private:
  std::atomic<bool> enabled_{false};
  mutable std::mutex mu_;
  std::vector<ProfileEvent> events_;
  uint64_t dropped_ = 0;
  std::atomic<int64_t> origin_ns_{0};  // steady clock at Start()
};

// Times the enclosing scope when the global profiler is on.
class ProfileScope {
 public:
  ProfileScope(const char* name, const char* category, int32_t layer = -1, int64_t arg = -1)
      : name_(name), category_(category), layer_(layer), arg_(arg) {
    Profiler& p = Profiler::Global();
    if (p.enabled()) begin_ = p.Now();
  }
  ~ProfileScope() {
    if (begin_ < 0) return;
    Profiler& p = Profiler::Global();
    p.Record(name_, category_, begin_, p.Now(), layer_, arg_);
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  const char* name_;
  const char* category_;
  int32_t layer_;
  int64_t arg_;
  int64_t begin_ = -1;
};

// Starts the global profiler for a command's --profile FILE (when path is
// not empty) and, on destruction, stops it, writes the trace to path and
// prints the summary to stderr.
class ProfileSession {
 public:
  explicit ProfileSession(std::string path);
  ~ProfileSession();
  ProfileSession(const ProfileSession&) = delete;
  ProfileSession& operator=(const ProfileSession&) = delete;
  // Stops, writes and prints now (idempotent); returns the write's status.
  Status Finish();

 private:
  std::string path_;
  bool finished_ = false;
};

}  // namespace radixlm

#endif  // RADIXLM_BASE_PROFILER_H_
