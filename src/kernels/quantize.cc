// Scalar on purpose: these run once per weight when a model file is written,
// and must round exactly like GGML's quantize_row_*_ref.
#include "kernels/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/check.h"
#include "base/half.h"

namespace radixlm {

void QuantizeRowQ8_0(BlockQ8_0* out, const float* x, size_t n) {
  RLM_CHECK(n % 32 == 0);
  for (size_t b = 0; b < n / 32; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = F32ToF16(d);
    for (int j = 0; j < 32; ++j) {
      out[b].qs[j] = static_cast<int8_t>(std::roundf(xb[j] * id));
    }
  }
}

void QuantizeRowQ4_0(BlockQ4_0* out, const float* x, size_t n) {
  RLM_CHECK(n % 32 == 0);
  for (size_t b = 0; b < n / 32; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < 32; ++j) {
      if (amax < std::fabs(xb[j])) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = F32ToF16(d);
    for (int j = 0; j < 16; ++j) {
      const int lo = static_cast<int8_t>(xb[j] * id + 8.5f);
      const int hi = static_cast<int8_t>(xb[j + 16] * id + 8.5f);
      const uint8_t q0 = static_cast<uint8_t>(lo < 15 ? lo : 15);
      const uint8_t q1 = static_cast<uint8_t>(hi < 15 ? hi : 15);
      out[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void QuantizeRowQ4_1(BlockQ4_1* out, const float* x, size_t n) {
  RLM_CHECK(n % 32 == 0);
  for (size_t b = 0; b < n / 32; ++b) {
    const float* xb = x + b * 32;
    float min = std::numeric_limits<float>::max();
    float max = -std::numeric_limits<float>::max();
    for (int j = 0; j < 32; ++j) {
      min = std::min(min, xb[j]);
      max = std::max(max, xb[j]);
    }
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = F32ToF16(d);
    out[b].m = F32ToF16(min);
    for (int j = 0; j < 16; ++j) {
      const int lo = static_cast<int8_t>((xb[j] - min) * id + 0.5f);
      const int hi = static_cast<int8_t>((xb[j + 16] - min) * id + 0.5f);
      out[b].qs[j] = static_cast<uint8_t>(std::min(15, lo) | (std::min(15, hi) << 4));
    }
  }
}

namespace {

// GGML's nearest_int: round half to even through the float mantissa.
// REQUIRES |f| <= 4194303.
int NearestInt(float f) {
  const float v = f + 12582912.0f;
  int32_t i;
  std::memcpy(&i, &v, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// GGML's make_qkx2_quants: fits x[0..n) ~ scale * L + min (min <= 0) with L
// in [0, nmax], minimizing the weighted squared error over nstep+1 trial
// scales. Returns scale; *neg_min = -min.
float FitScaleMin(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                  float* neg_min, float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += weights[i];
    sum_x += weights[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *neg_min = -min;
    return 0.0f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::max(0, std::min(nmax, NearestInt(iscale * (x[i] - min))));
    L[i] = static_cast<uint8_t>(l);
    const float diff = scale * L[i] + min - x[i];
    best_error += weights[i] * diff * diff;
  }
  uint8_t aux[32];
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::max(0, std::min(nmax, NearestInt(iscale * (x[i] - min))));
      aux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        const float diff = this_scale * aux[i] + this_min - x[i];
        cur_error += weights[i] * diff * diff;
      }
      if (cur_error < best_error) {
        for (int i = 0; i < n; ++i) L[i] = aux[i];
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *neg_min = -min;
  return scale;
}

// 6-bit scale/min packing shared by Q4_K and Q5_K (see BlockQ4_K).
void PackScaleMin(uint8_t* s, int j, uint8_t ls, uint8_t lm) {
  if (j < 4) {
    s[j] = ls;
    s[j + 4] = lm;
  } else {
    s[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
    s[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
    s[j] |= static_cast<uint8_t>((lm >> 4) << 6);
  }
}
void UnpackScaleMin(const uint8_t* s, int j, int* sc, int* mn) {
  if (j < 4) {
    *sc = s[j] & 63;
    *mn = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// The Q4_K / Q5_K reference quantizer for one super-block (nmax 15 or 31):
// per group, a weighted scale/min fit; scales and mins quantized to 6 bits
// against d = max_scale/63, dmin = max_min/63; then L[256] re-rounded
// against the quantized scales.
void QuantizeKBlock(const float* x, int nmax, float rmin, int nstep, uint16_t* d_out,
                    uint16_t* dmin_out, uint8_t* scales, uint8_t* L) {
  float mins[8], sc[8], weights[32];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    sc[j] = FitScaleMin(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep);
    max_scale = std::max(max_scale, sc[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  std::memset(scales, 0, 12);
  for (int j = 0; j < 8; ++j) {
    const uint8_t ls = static_cast<uint8_t>(std::min(63, NearestInt(inv_scale * sc[j]) & 0xFF));
    const uint8_t lm = static_cast<uint8_t>(std::min(63, NearestInt(inv_min * mins[j]) & 0xFF));
    PackScaleMin(scales, j, ls, lm);
  }
  *d_out = F32ToF16(max_scale / 63.f);
  *dmin_out = F32ToF16(max_min / 63.f);
  for (int j = 0; j < 8; ++j) {
    int s, m;
    UnpackScaleMin(scales, j, &s, &m);
    const float d = F16ToF32(*d_out) * s;
    if (d == 0.0f) continue;
    const float dm = F16ToF32(*dmin_out) * m;
    for (int ii = 0; ii < 32; ++ii) {
      L[32 * j + ii] = static_cast<uint8_t>(
          std::max(0, std::min(nmax, NearestInt((x[32 * j + ii] + dm) / d))));
    }
  }
}

// GGML's make_qx_quants with rmse_type 1 (weights x^2) and no importance:
// symmetric fit x ~ scale * l, l in [-nmax, nmax-1], stored as l + nmax.
float FitScaleSymmetric(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < 1e-15f) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::max(-nmax, std::min(nmax - 1, NearestInt(iscale * x[i])));
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::max(-nmax, std::min(nmax - 1, NearestInt(iscale * x[i])));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        L[i] = static_cast<int8_t>(
            nmax + std::max(-nmax, std::min(nmax - 1, NearestInt(iscale * x[i]))));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

}  // namespace

void QuantizeRowQ4_K(BlockQ4_K* out, const float* x, size_t n) {
  RLM_CHECK(n % kQK_K == 0);
  uint8_t L[kQK_K];
  for (size_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    QuantizeKBlock(x, 15, -1.0f, 20, &out[b].d, &out[b].dmin, out[b].scales, L);
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < 32; ++l) {
        out[b].qs[32 * j + l] = static_cast<uint8_t>(L[64 * j + l] | (L[64 * j + l + 32] << 4));
      }
    }
  }
}

void QuantizeRowQ5_K(BlockQ5_K* out, const float* x, size_t n) {
  RLM_CHECK(n % kQK_K == 0);
  uint8_t L[kQK_K];
  for (size_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    QuantizeKBlock(x, 31, -0.5f, 15, &out[b].d, &out[b].dmin, out[b].scales, L);
    std::memset(out[b].qh, 0, sizeof(out[b].qh));
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[64 * j + l];
        int l2 = L[64 * j + l + 32];
        if (l1 > 15) {
          l1 -= 16;
          out[b].qh[l] |= static_cast<uint8_t>(1u << (2 * j));
        }
        if (l2 > 15) {
          l2 -= 16;
          out[b].qh[l] |= static_cast<uint8_t>(2u << (2 * j));
        }
        out[b].qs[32 * j + l] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
    }
  }
}

void QuantizeRowQ6_K(BlockQ6_K* out, const float* x, size_t n) {
  RLM_CHECK(n % kQK_K == 0);
  int8_t L[kQK_K];
  float scales[16];
  for (size_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < 16; ++ib) {
      scales[ib] = FitScaleSymmetric(16, 32, x + 16 * ib, L + 16 * ib);
      if (std::fabs(scales[ib]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[ib]);
        max_scale = scales[ib];
      }
    }
    if (max_abs_scale < 1e-15f) {
      std::memset(&out[b], 0, sizeof(BlockQ6_K));
      out[b].d = F32ToF16(0.0f);
      continue;
    }
    const float iscale = -128.f / max_scale;
    out[b].d = F32ToF16(1 / iscale);
    for (int ib = 0; ib < 16; ++ib) {
      out[b].scales[ib] = static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[ib])));
    }
    for (int j = 0; j < 16; ++j) {
      const float d = F16ToF32(out[b].d) * out[b].scales[j];
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii) {
        const int l = std::max(-32, std::min(31, NearestInt(x[16 * j + ii] / d)));
        L[16 * j + ii] = static_cast<int8_t>(l + 32);
      }
    }
    for (int h = 0; h < 2; ++h) {
      uint8_t* ql = out[b].ql + 64 * h;
      uint8_t* qh = out[b].qh + 32 * h;
      const int8_t* q = L + 128 * h;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((q[l] & 0xF) | ((q[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((q[l + 32] & 0xF) | ((q[l + 96] & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((q[l] >> 4) | ((q[l + 32] >> 4) << 2) |
                                     ((q[l + 64] >> 4) << 4) | ((q[l + 96] >> 4) << 6));
      }
    }
  }
}

void ConvertRowF16(uint16_t* out, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = F32ToF16(x[i]);
}

void ConvertRowBF16(uint16_t* out, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = F32ToBF16(x[i]);
}

void ConvertRow(void* out, DType type, const float* x, size_t n) {
  switch (type) {
    case DType::kF32:
      std::memcpy(out, x, n * sizeof(float));
      return;
    case DType::kF16:
      ConvertRowF16(static_cast<uint16_t*>(out), x, n);
      return;
    case DType::kBF16:
      ConvertRowBF16(static_cast<uint16_t*>(out), x, n);
      return;
    case DType::kQ8_0:
      QuantizeRowQ8_0(static_cast<BlockQ8_0*>(out), x, n);
      return;
    case DType::kQ4_0:
      QuantizeRowQ4_0(static_cast<BlockQ4_0*>(out), x, n);
      return;
    case DType::kQ4_1:
      QuantizeRowQ4_1(static_cast<BlockQ4_1*>(out), x, n);
      return;
    case DType::kQ4_K:
      QuantizeRowQ4_K(static_cast<BlockQ4_K*>(out), x, n);
      return;
    case DType::kQ5_K:
      QuantizeRowQ5_K(static_cast<BlockQ5_K*>(out), x, n);
      return;
    case DType::kQ6_K:
      QuantizeRowQ6_K(static_cast<BlockQ6_K*>(out), x, n);
      return;
    case DType::kMlxAffine4:
    case DType::kMlxAffine8:
      break;  // needs scales and biases: QuantizeAffineRow
  }
  RLM_CHECK_MSG(false, "ConvertRow: unknown dtype");
}

}  // namespace radixlm
