// Helpers shared by the kernels tests.
#ifndef RADIXLM_KERNELS_TEST_UTIL_H_
#define RADIXLM_KERNELS_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "base/dtype.h"
#include "kernels/quantize.h"
#include "kernels/tensor_view.h"

namespace radixlm {
namespace test {

// n floats uniform in [lo, hi), deterministic in seed.
inline std::vector<float> RandomFloats(size_t n, uint32_t seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

// A [rows][cols] matrix of `type` made from random floats; owns its bytes.
struct Matrix {
  std::vector<uint8_t> bytes;
  TensorView view;
};

inline Matrix RandomMatrix(DType type, size_t rows, size_t cols, uint32_t seed) {
  Matrix m;
  const std::vector<float> f = RandomFloats(rows * cols, seed);
  const size_t row_bytes = DTypeRowBytes(type, cols);
  m.bytes.resize(rows * row_bytes + 1);  // never empty
  for (size_t r = 0; r < rows; ++r) {
    ConvertRow(m.bytes.data() + r * row_bytes, type, f.data() + r * cols, cols);
  }
  m.view = TensorView{type, rows, cols, m.bytes.data()};
  return m;
}

}  // namespace test
}  // namespace radixlm

#endif  // RADIXLM_KERNELS_TEST_UTIL_H_
