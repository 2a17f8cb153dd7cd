#include "base/profiler.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace radixlm {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(ProfilerTest, RecordsNothingWhenOff) {
  Profiler& p = Profiler::Global();
  p.Start();
  p.Stop();
  { ProfileScope s("off", "test"); }
  EXPECT_TRUE(p.Events().empty());
}

TEST(ProfilerTest, ScopesBecomeEventsAndTotals) {
  Profiler& p = Profiler::Global();
  p.Start();
  {
    ProfileScope outer("forward", "forward", -1, 7);
    for (int l = 0; l < 3; ++l) {
      ProfileScope inner("matmul.wq", "matmul", l);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  p.Stop();
  const auto events = p.Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_STREQ(events[0].name, "matmul.wq");
  EXPECT_EQ(events[0].layer, 0);
  EXPECT_EQ(events[2].layer, 2);
  EXPECT_STREQ(events[3].name, "forward");
  EXPECT_EQ(events[3].arg, 7);
  // The outer scope encloses the inner ones.
  EXPECT_LE(events[3].begin_ns, events[0].begin_ns);
  EXPECT_GE(events[3].begin_ns + events[3].dur_ns, events[2].begin_ns + events[2].dur_ns);
  EXPECT_GE(events[0].dur_ns, 200000);

  const auto totals = p.Totals();
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(totals[0].name, "forward");
  EXPECT_EQ(totals[1].name, "matmul.wq");
  EXPECT_EQ(totals[1].calls, 3u);
  const std::string summary = p.Summary();
  EXPECT_NE(summary.find("matmul.wq"), std::string::npos);
  EXPECT_NE(summary.find("100.0%"), std::string::npos);  // forward vs itself
}

TEST(ProfilerTest, WritesChromeTrace) {
  Profiler& p = Profiler::Global();
  p.Start();
  { ProfileScope s("attention", "attention", 3, 12); }
  std::thread t([] { ProfileScope s("sampling", "sampling"); });
  t.join();
  p.Stop();
  const std::string path = ::testing::TempDir() + "/profile_test.json";
  ASSERT_TRUE(p.WriteChromeTrace(path).ok());
  const std::string json = ReadFile(path);
  EXPECT_EQ(json.rfind("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", 0), 0u);
  EXPECT_NE(json.find("\"name\":\"attention\",\"cat\":\"attention\",\"ph\":\"X\""),
            std::string::npos);
  EXPECT_NE(json.find("\"args\":{\"layer\":3,\"n\":12}"), std::string::npos);
  EXPECT_NE(json.find("\"name\":\"sampling\""), std::string::npos);
  EXPECT_EQ(json.substr(json.size() - 3), "]}\n");
  std::remove(path.c_str());
  EXPECT_FALSE(p.WriteChromeTrace("/nonexistent-dir/x.json").ok());
}

TEST(ProfilerTest, ConcurrentScopesAreAllRecorded) {
  Profiler& p = Profiler::Global();
  p.Start();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([] {
      for (int k = 0; k < 1000; ++k) ProfileScope s("op", "test");
    });
  }
  for (auto& t : threads) t.join();
  p.Stop();
  EXPECT_EQ(p.Events().size(), 4000u);
}

}  // namespace
}  // namespace radixlm
