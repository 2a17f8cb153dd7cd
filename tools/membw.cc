// membw: measures this machine's memory read bandwidth the way decode uses
// it (several threads streaming a buffer much larger than the caches), to
// state the floor of decode time: weight bytes per token / bandwidth.
//
//   membw [threads=2] [MiB=1024] [reps=7]   → prints median and best GB/s
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "base/thread_pool.h"

int main(int argc, char** argv) {
  const size_t threads = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2;
  const size_t mib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1024;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 7;
  const size_t n = mib * (1 << 20) / sizeof(uint64_t);
  std::unique_ptr<uint64_t[]> buf(new uint64_t[n]);
  for (size_t i = 0; i < n; ++i) buf[i] = i;  // touch every page
  radixlm::ThreadPool pool(threads);
  std::vector<double> gbs;
  std::vector<uint64_t> sums(threads);
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.ParallelFor(n, 4096, [&](size_t b, size_t e, size_t t) {
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      size_t i = b;
      for (; i + 4 <= e; i += 4) {
        s0 += buf[i];
        s1 += buf[i + 1];
        s2 += buf[i + 2];
        s3 += buf[i + 3];
      }
      for (; i < e; ++i) s0 += buf[i];
      sums[t] += s0 + s1 + s2 + s3;
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    gbs.push_back(n * sizeof(uint64_t) / s / 1e9);
  }
  std::sort(gbs.begin(), gbs.end());
  uint64_t check = 0;
  for (uint64_t s : sums) check += s;
  std::printf("read bandwidth, %zu threads, %zu MiB: median %.1f GB/s, best %.1f GB/s (checksum %llu)\n",
              threads, mib, gbs[gbs.size() / 2], gbs.back(), static_cast<unsigned long long>(check % 1000));
  return 0;
}
