#include "kernels/membw.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>

#include "base/check.h"
#include "base/thread_pool.h"

namespace radixlm {

MemBandwidth MeasureReadBandwidth(size_t threads, size_t mib, int reps) {
  RLM_CHECK(threads >= 1 && mib >= 1 && reps >= 1);
  const size_t n = mib * (size_t{1} << 20) / sizeof(uint64_t);
  std::unique_ptr<uint64_t[]> buf(new uint64_t[n]);
  for (size_t i = 0; i < n; ++i) buf[i] = i;  // touch every page
  ThreadPool pool(threads);
  std::vector<uint64_t> sums(threads);
  MemBandwidth r;
  for (int rep = 0; rep < reps; ++rep) {
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
    r.samples_gbps.push_back(n * sizeof(uint64_t) / s / 1e9);
  }
  // The sums are read so the loads cannot be optimized away.
  uint64_t check = 0;
  for (uint64_t s : sums) check += s;
  if (check == 1) r.samples_gbps.push_back(0);
  std::sort(r.samples_gbps.begin(), r.samples_gbps.end());
  r.median_gbps = r.samples_gbps[r.samples_gbps.size() / 2];
  r.best_gbps = r.samples_gbps.back();
  return r;
}

}  // namespace radixlm
