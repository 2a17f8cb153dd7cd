// Element-wise kernels, SIMD through Highway runtime dispatch. Each loop runs
// whole vectors and finishes the last n % lanes elements either with scalar
// code (linear ops) or through a padded vector (exp), so every element sees
// the same arithmetic. Sums use several f32 accumulators (lane-wise partial
// sums), which keeps the rounding error near sqrt(n) ulp.
#include <cmath>

#include "kernels/ops.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/ops.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace radixlm {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Largest lane count of any target (AVX-512: 16); sizes the padded tails.
constexpr size_t kMaxLanes = 64;

// Returns sum_i a[i] * b[i]; b == a gives the sum of squares.
HWY_INLINE float DotSum(const float* a, const float* b, size_t n) {
  const DF df;
  const size_t N = hn::Lanes(df);
  VF s0 = hn::Zero(df), s1 = hn::Zero(df), s2 = hn::Zero(df), s3 = hn::Zero(df);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::MulAdd(hn::LoadU(df, a + i), hn::LoadU(df, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(df, a + i + N), hn::LoadU(df, b + i + N), s1);
    s2 = hn::MulAdd(hn::LoadU(df, a + i + 2 * N), hn::LoadU(df, b + i + 2 * N), s2);
    s3 = hn::MulAdd(hn::LoadU(df, a + i + 3 * N), hn::LoadU(df, b + i + 3 * N), s3);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(df, a + i), hn::LoadU(df, b + i), s0);
  float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// Returns sum_i x[i].
HWY_INLINE float Sum(const float* x, size_t n) {
  const DF df;
  const size_t N = hn::Lanes(df);
  VF s0 = hn::Zero(df), s1 = hn::Zero(df), s2 = hn::Zero(df), s3 = hn::Zero(df);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::Add(s0, hn::LoadU(df, x + i));
    s1 = hn::Add(s1, hn::LoadU(df, x + i + N));
    s2 = hn::Add(s2, hn::LoadU(df, x + i + 2 * N));
    s3 = hn::Add(s3, hn::LoadU(df, x + i + 3 * N));
  }
  for (; i + N <= n; i += N) s0 = hn::Add(s0, hn::LoadU(df, x + i));
  float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i) sum += x[i];
  return sum;
}

float DotImpl(const float* a, const float* b, size_t n) { return DotSum(a, b, n); }

void RmsNormImpl(float* out, const float* x, const float* weight, size_t n, float eps) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const float ss = DotSum(x, x, n);
  const float scale = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  const VF vscale = hn::Set(df, scale);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const VF v = hn::Mul(hn::LoadU(df, x + i), vscale);
    hn::StoreU(hn::Mul(v, hn::LoadU(df, weight + i)), df, out + i);
  }
  for (; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

// Applies f (a vector -> vector function) to x[0..n) in place: whole vectors,
// then the tail through a zero-padded buffer.
template <class F>
HWY_INLINE void MapInPlace(float* x, size_t n, const F& f) {
  const DF df;
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(f(hn::LoadU(df, x + i)), df, x + i);
  if (i < n) {
    HWY_ALIGN float buf[kMaxLanes] = {};
    for (size_t k = i; k < n; ++k) buf[k - i] = x[k];
    hn::Store(f(hn::Load(df, buf)), df, buf);
    for (size_t k = i; k < n; ++k) x[k] = buf[k - i];
  }
}

void SoftmaxImpl(float* x, size_t n) {
  if (n == 0) return;
  const DF df;
  const size_t N = hn::Lanes(df);
  float max = x[0];
  size_t i = 0;
  if (n >= N) {
    VF vmax = hn::LoadU(df, x);
    for (i = N; i + N <= n; i += N) vmax = hn::Max(vmax, hn::LoadU(df, x + i));
    max = hn::GetLane(hn::MaxOfLanes(df, vmax));
  }
  for (; i < n; ++i) max = std::fmax(max, x[i]);

  const VF vmax = hn::Set(df, max);
  MapInPlace(x, n, [&](VF v) HWY_ATTR { return hn::Exp(df, hn::Sub(v, vmax)); });
  const float sum = Sum(x, n);
  const VF inv = hn::Set(df, 1.0f / sum);
  MapInPlace(x, n, [&](VF v) HWY_ATTR { return hn::Mul(v, inv); });
}

void SwiGluImpl(float* out, const float* gate, const float* up, size_t n) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const VF one = hn::Set(df, 1.0f);
  // silu(g) = g * sigmoid(g); sigmoid from e = exp(-|g|) <= 1, which never
  // overflows: 1/(1+e) for g >= 0, e/(1+e) otherwise.
  auto silu_mul = [&](VF g, VF u) HWY_ATTR {
    const VF e = hn::Exp(df, hn::Neg(hn::Abs(g)));
    const VF r = hn::Div(one, hn::Add(one, e));
    const VF sig = hn::IfThenElse(hn::Ge(g, hn::Zero(df)), r, hn::Mul(e, r));
    return hn::Mul(hn::Mul(g, sig), u);
  };
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(silu_mul(hn::LoadU(df, gate + i), hn::LoadU(df, up + i)), df, out + i);
  }
  if (i < n) {
    HWY_ALIGN float g[kMaxLanes] = {};
    HWY_ALIGN float u[kMaxLanes] = {};
    for (size_t k = i; k < n; ++k) {
      g[k - i] = gate[k];
      u[k - i] = up[k];
    }
    hn::Store(silu_mul(hn::Load(df, g), hn::Load(df, u)), df, g);
    for (size_t k = i; k < n; ++k) out[k] = g[k - i];
  }
}

void AxpyImpl(float* out, float alpha, const float* x, size_t n) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const VF va = hn::Set(df, alpha);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::MulAdd(va, hn::LoadU(df, x + i), hn::LoadU(df, out + i)), df, out + i);
  }
  for (; i < n; ++i) out[i] += alpha * x[i];
}

void ScaleImpl(float* x, float alpha, size_t n) {
  const DF df;
  const VF va = hn::Set(df, alpha);
  MapInPlace(x, n, [&](VF v) HWY_ATTR { return hn::Mul(v, va); });
}

void AddImpl(float* out, const float* x, size_t n) {
  const DF df;
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::Add(hn::LoadU(df, out + i), hn::LoadU(df, x + i)), df, out + i);
  }
  for (; i < n; ++i) out[i] += x[i];
}

// Rotates pairs (a[i], b[i]) by angle i: a' = a cos - b sin, b' = a sin + b cos.
HWY_INLINE void RotatePair(DF df, VF& a, VF& b, VF c, VF s) {
  const VF a2 = hn::NegMulAdd(b, s, hn::Mul(a, c));
  b = hn::MulAdd(a, s, hn::Mul(b, c));
  a = a2;
}

void RopeImpl(float* x, size_t n_heads, size_t head_dim, const float* cos_t,
              const float* sin_t, RopeStyle style) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const size_t half = head_dim / 2;
  for (size_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    size_t i = 0;
    for (; i + N <= half; i += N) {
      const VF c = hn::LoadU(df, cos_t + i);
      const VF s = hn::LoadU(df, sin_t + i);
      VF a, b;
      if (style == RopeStyle::kInterleaved) {
        hn::LoadInterleaved2(df, v + 2 * i, a, b);
        RotatePair(df, a, b, c, s);
        hn::StoreInterleaved2(a, b, df, v + 2 * i);
      } else {
        a = hn::LoadU(df, v + i);
        b = hn::LoadU(df, v + half + i);
        RotatePair(df, a, b, c, s);
        hn::StoreU(a, df, v + i);
        hn::StoreU(b, df, v + half + i);
      }
    }
    for (; i < half; ++i) {
      const size_t ia = style == RopeStyle::kInterleaved ? 2 * i : i;
      const size_t ib = style == RopeStyle::kInterleaved ? 2 * i + 1 : i + half;
      const float x0 = v[ia];
      const float x1 = v[ib];
      v[ia] = x0 * cos_t[i] - x1 * sin_t[i];
      v[ib] = x0 * sin_t[i] + x1 * cos_t[i];
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace radixlm
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace radixlm {

HWY_EXPORT(RmsNormImpl);
HWY_EXPORT(SoftmaxImpl);
HWY_EXPORT(SwiGluImpl);
HWY_EXPORT(DotImpl);
HWY_EXPORT(AxpyImpl);
HWY_EXPORT(ScaleImpl);
HWY_EXPORT(AddImpl);
HWY_EXPORT(RopeImpl);

void RmsNorm(float* out, const float* x, const float* weight, size_t n, float eps) {
  HWY_DYNAMIC_DISPATCH(RmsNormImpl)(out, x, weight, n, eps);
}
void Softmax(float* x, size_t n) { HWY_DYNAMIC_DISPATCH(SoftmaxImpl)(x, n); }
void SwiGlu(float* out, const float* gate, const float* up, size_t n) {
  HWY_DYNAMIC_DISPATCH(SwiGluImpl)(out, gate, up, n);
}
float Dot(const float* a, const float* b, size_t n) {
  return HWY_DYNAMIC_DISPATCH(DotImpl)(a, b, n);
}
void Axpy(float* out, float alpha, const float* x, size_t n) {
  HWY_DYNAMIC_DISPATCH(AxpyImpl)(out, alpha, x, n);
}
void Scale(float* x, float alpha, size_t n) { HWY_DYNAMIC_DISPATCH(ScaleImpl)(x, alpha, n); }
void Add(float* out, const float* x, size_t n) { HWY_DYNAMIC_DISPATCH(AddImpl)(out, x, n); }
void Rope(float* x, size_t n_heads, size_t head_dim, const float* cos_t,
          const float* sin_t, RopeStyle style) {
  HWY_DYNAMIC_DISPATCH(RopeImpl)(x, n_heads, head_dim, cos_t, sin_t, style);
}

}  // namespace radixlm
#endif  // HWY_ONCE
