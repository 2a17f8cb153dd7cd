// membw: measures this machine's memory read bandwidth the way decode uses
// it (several threads streaming a buffer much larger than the caches), to
// state the floor of decode time: weight bytes per token / bandwidth.
//
//   membw [threads=2] [MiB=1024] [reps=7]   → prints median and best GB/s
#include <cstdio>
#include <cstdlib>

#include "kernels/membw.h"

int main(int argc, char** argv) {
  const size_t threads = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2;
  const size_t mib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1024;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 7;
  if (threads < 1 || mib < 1 || reps < 1) {
    std::fprintf(stderr, "usage: membw [threads>=1] [MiB>=1] [reps>=1]\n");
    return 1;
  }
  const radixlm::MemBandwidth bw = radixlm::MeasureReadBandwidth(threads, mib, reps);
  std::printf("read bandwidth, %zu threads, %zu MiB: median %.1f GB/s, best %.1f GB/s\n", threads,
              mib, bw.median_gbps, bw.best_gbps);
  return 0;
}
