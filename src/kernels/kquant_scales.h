// The 6-bit (scale, min) pairs of a Q4_K/Q5_K super-block (see dtype.h for
// the packing), shared by the row kernels and the panel packers.
#ifndef RADIXLM_KERNELS_KQUANT_SCALES_H_
#define RADIXLM_KERNELS_KQUANT_SCALES_H_

#include <cstddef>
#include <cstdint>

namespace radixlm {

// Scale and min of group j (< 8) from the block's 12 scale bytes s.
inline void ScaleMinK4(size_t j, const uint8_t* s, int* sc, int* mn) {
  if (j < 4) {
    *sc = s[j] & 63;
    *mn = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

}  // namespace radixlm

#endif  // RADIXLM_KERNELS_KQUANT_SCALES_H_
