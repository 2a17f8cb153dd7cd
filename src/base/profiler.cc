#include "base/profiler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <utility>

namespace radixlm {

namespace {

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int32_t ThreadId() {
  static std::atomic<int32_t> next{1};
  thread_local const int32_t id = next.fetch_add(1, std::memory_order_relaxed);
  return id;
}

// Names are static identifiers, but escape anyway so the file is always JSON.
void AppendJsonString(std::string* out, const char* s) {
  out->push_back('"');
  for (; *s != '\0'; ++s) {
    const char c = *s;
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out->append(buf);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace

Profiler& Profiler::Global() {
  static Profiler* p = new Profiler();  // never destroyed: scopes may outlive main
  return *p;
}

void Profiler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  events_.clear();
  dropped_ = 0;
  origin_ns_.store(SteadyNs(), std::memory_order_relaxed);
  enabled_.store(true, std::memory_order_relaxed);
}

void Profiler::Stop() { enabled_.store(false, std::memory_order_relaxed); }

int64_t Profiler::Now() const {
  return SteadyNs() - origin_ns_.load(std::memory_order_relaxed);
}

void Profiler::Record(const char* name, const char* category, int64_t begin_ns, int64_t end_ns,
                      int32_t layer, int64_t arg) {
  const int32_t thread = ThreadId();
  std::lock_guard<std::mutex> lock(mu_);
  if (!enabled()) return;
  if (events_.size() >= kMaxEvents) {
    ++dropped_;
    return;
  }
  begin_ns = std::max<int64_t>(begin_ns, 0);
  events_.push_back(ProfileEvent{name, category, begin_ns, std::max<int64_t>(end_ns - begin_ns, 0),
                                 layer, thread, arg});
}

std::vector<ProfileEvent> Profiler::Events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

uint64_t Profiler::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

std::vector<ProfileTotal> Profiler::Totals() const {
  std::map<std::string, ProfileTotal> by_name;
  for (const ProfileEvent& e : Events()) {
    ProfileTotal& t = by_name[e.name];
    t.name = e.name;
    t.category = e.category;
    t.calls++;
    t.total_ns += e.dur_ns;
  }
  std::vector<ProfileTotal> out;
  for (auto& [name, t] : by_name) out.push_back(std::move(t));
  std::sort(out.begin(), out.end(), [](const ProfileTotal& a, const ProfileTotal& b) {
    return a.total_ns != b.total_ns ? a.total_ns > b.total_ns : a.name < b.name;
  });
  return out;
}

std::string Profiler::Summary() const {
  const std::vector<ProfileTotal> totals = Totals();
  int64_t forward_ns = 0;
  for (const ProfileTotal& t : totals) {
    if (t.category == std::string("forward")) forward_ns += t.total_ns;
  }
  std::string out;
  char line[256];
  std::snprintf(line, sizeof(line), "%-22s %-10s %9s %12s %11s %8s\n", "operation", "category",
                "calls", "total ms", "mean us", "% fwd");
  out += line;
  for (const ProfileTotal& t : totals) {
    const double ms = static_cast<double>(t.total_ns) / 1e6;
    const double mean_us = static_cast<double>(t.total_ns) / 1e3 / static_cast<double>(t.calls);
    const double share =
        forward_ns > 0 ? 100.0 * static_cast<double>(t.total_ns) / static_cast<double>(forward_ns)
                       : 0.0;
    std::snprintf(line, sizeof(line), "%-22s %-10s %9llu %12.3f %11.1f %7.1f%%\n", t.name.c_str(),
                  t.category.c_str(), static_cast<unsigned long long>(t.calls), ms, mean_us,
                  share);
    out += line;
  }
  const uint64_t lost = dropped();
  if (lost > 0) {
    std::snprintf(line, sizeof(line), "(%llu events dropped past the %zu-event limit)\n",
                  static_cast<unsigned long long>(lost), kMaxEvents);
    out += line;
  }
  return out;
}

Status Profiler::WriteChromeTrace(const std::string& path) const {
  const std::vector<ProfileEvent> events = Events();
  std::string json = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
  char num[160];
  bool first = true;
  for (const ProfileEvent& e : events) {
    if (!first) json += ",\n";
    first = false;
    json += "{\"name\":";
    AppendJsonString(&json, e.name);
    json += ",\"cat\":";
    AppendJsonString(&json, e.category);
    // Chrome trace times are microseconds; keep nanosecond precision.
    std::snprintf(num, sizeof(num), ",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f",
                  e.thread, static_cast<double>(e.begin_ns) / 1e3,
                  static_cast<double>(e.dur_ns) / 1e3);
    json += num;
    if (e.layer >= 0 || e.arg >= 0) {
      json += ",\"args\":{";
      if (e.layer >= 0) {
        std::snprintf(num, sizeof(num), "\"layer\":%d", e.layer);
        json += num;
      }
      if (e.arg >= 0) {
        std::snprintf(num, sizeof(num), "%s\"n\":%lld", e.layer >= 0 ? "," : "",
                      static_cast<long long>(e.arg));
        json += num;
      }
      json += "}";
    }
    json += "}";
  }
  json += "]}\n";
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::IOError("cannot open profile file '" + path + "' for writing");
  f.write(json.data(), static_cast<std::streamsize>(json.size()));
  f.close();
  if (!f) return Status::IOError("cannot write profile file '" + path + "'");
  return Status::Ok();
}

ProfileSession::ProfileSession(std::string path) : path_(std::move(path)) {
  if (path_.empty()) {
    finished_ = true;
    return;
  }
  Profiler::Global().Start();
}

ProfileSession::~ProfileSession() { (void)Finish(); }

Status ProfileSession::Finish() {
  if (finished_) return Status::Ok();
  finished_ = true;
  Profiler& p = Profiler::Global();
  p.Stop();
  std::fprintf(stderr, "\nprofile (%s):\n%s", path_.c_str(), p.Summary().c_str());
  Status s = p.WriteChromeTrace(path_);
  if (!s.ok()) std::fprintf(stderr, "radixlm: %s\n", s.ToString().c_str());
  return s;
}

}  // namespace radixlm
