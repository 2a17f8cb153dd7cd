// Memory read bandwidth, measured the way decode uses memory: several
// threads streaming a buffer much larger than the caches. Decode's floor is
// weight bytes per token / this bandwidth.
#ifndef RADIXLM_KERNELS_MEMBW_H_
#define RADIXLM_KERNELS_MEMBW_H_

#include <cstddef>
#include <vector>

namespace radixlm {

struct MemBandwidth {
  double median_gbps = 0;  // median over the repetitions, 1e9 bytes/s
  double best_gbps = 0;
  std::vector<double> samples_gbps;  // sorted ascending
};

// Streams a `mib` MiB buffer (touched once first) `reps` times with
// `threads` threads (each summing its contiguous share) and returns the
// read bandwidths. REQUIRES threads >= 1, mib >= 1, reps >= 1. Allocates
// the buffer for the duration of the call.
MemBandwidth MeasureReadBandwidth(size_t threads, size_t mib, int reps);

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_MEMBW_H_
