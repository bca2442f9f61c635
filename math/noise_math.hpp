// Reproducible spike noise (DESIGN.md section 3, issue 6) with hand-derived reparametrisation
// gradients. Header-only and usable from host C++ and from CUDA device code (nvcc or NVRTC, which
// compiles this file standalone: no includes and no std:: inside the device-usable part).
//
// Randomness: Philox4x32-10 (Salmon, Moraes, Dror, Shaw, SC'11) keyed by the 64-bit seed, with the
// counter (i, b, t, stream << 8 | block). Every element's draw is a pure function of
// (seed, stream, t, b, i), so the adjoint regenerates exactly the noise the forward pass used.
//
// Gamma draws use the inverse CDF: X = P^{-1}(a, u) with u from Philox and P the regularised lower
// incomplete gamma function, solved by safeguarded Halley steps in log x. The draw is then a smooth
// function of the shape a at a fixed counter, and its pathwise derivative IS the implicit
// reparametrisation gradient dX/da = -(dP/da)(X; a) / p(X; a), so a float64 finite difference at a
// fixed counter checks it exactly. (Marsaglia-Tsang's accept/reject would make X piecewise in a,
// and its pathwise derivative differs from the implicit one.) dP/da is computed analytically: the
// series for P is differentiated term by term, the continued fraction for Q = 1 - P by forward-mode
// dual numbers through the modified Lentz recurrence, so the only error is rounding (~1e-13).
// Cost: 2-4 value evaluations of one tail of P (O(10 + sqrt(a)) terms each) plus one with the
// derivative; measured by bench/noise (2-core Xeon): 0.21-0.60 us per float32 draw and 0.31-1.38 us
// per float64 draw for a in [0.05, 240] (the vwm default k = 0.05, dt = 10 has a = 4 r).
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define RNNJIT_HD __host__ __device__
#else
#define RNNJIT_HD
#endif

#if !defined(__CUDACC_RTC__)
#include <math.h>
#endif

namespace rnnjit::noise {

using u32 = unsigned int;
using u64 = unsigned long long;

// Values match rnnjit::ir::Noise (compiler/noise_kind.hpp maps between them on the host).
enum class NoiseKind : int { None = 0, Gamma = 1, Gauss = 2, PureGauss = 3 };

// Independent streams of draws (the recurrent input and the readout use separate ones, as in
// the seed). Up to 2^24 streams; each element gets 256 Philox blocks of 4 words.
enum : u32 { kStreamRecurrent = 0, kStreamReadout = 1 };

// ---------------------------------------------------------------------------------------------
// Philox4x32-10.
struct Philox4 {
  u32 v[4];
};

RNNJIT_HD inline void philox_mulhilo(u32 a, u32 b, u32* hi, u32* lo) {
  u64 p = (u64)a * (u64)b;
  *hi = (u32)(p >> 32);
  *lo = (u32)p;
}

RNNJIT_HD inline Philox4 philox4x32_10(Philox4 ctr, u32 key0, u32 key1) {
  const u32 kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
  const u32 kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += kW0;
      key1 += kW1;
    }
    u32 hi0, lo0, hi1, lo1;
    philox_mulhilo(kM0, ctr.v[0], &hi0, &lo0);
    philox_mulhilo(kM1, ctr.v[2], &hi1, &lo1);
    Philox4 out = {{hi1 ^ ctr.v[1] ^ key0, lo1, hi0 ^ ctr.v[3] ^ key1, lo0}};
    ctr = out;
  }
  return ctr;
}

// The four words for element (t, b, i) of a stream. block selects further words for the same
// element (0..255); stream must be < 2^24.
RNNJIT_HD inline Philox4 noise_bits(u64 seed, u32 stream, u32 t, u32 b, u32 i, u32 block = 0) {
  Philox4 ctr = {{i, b, t, (stream << 8) | (block & 0xFFu)}};
  return philox4x32_10(ctr, (u32)seed, (u32)(seed >> 32));
}

// Uniforms strictly inside (0, 1): the midpoint of one of 2^52 (double) or 2^23 (float) equal
// cells. With one bit fewer than the mantissa every midpoint is representable, so u is never 0 or
// 1, log(u) and log(1 - u) are always finite, and 1 - u is exact for u >= 1/2.
RNNJIT_HD inline double uniform_open_f64(u32 hi, u32 lo) {
  u64 m = ((u64)hi << 20) ^ (u64)(lo >> 12);               // 52 random bits
  return ((double)m + 0.5) * 2.220446049250313080847e-16;  // 2^-52
}
RNNJIT_HD inline float uniform_open_f32(u32 w) {
  return ((float)(w >> 9) + 0.5f) * 1.1920928955078125e-7f;  // 2^-23
}

// ---------------------------------------------------------------------------------------------
// Math wrappers: one spelling for host (math.h) and device (CUDA builtins) in float and double.
RNNJIT_HD inline double nm_log(double x) {
  return log(x);
}
RNNJIT_HD inline float nm_log(float x) {
  return logf(x);
}
RNNJIT_HD inline double nm_log1p(double x) {
  return log1p(x);
}
RNNJIT_HD inline float nm_log1p(float x) {
  return log1pf(x);
}
RNNJIT_HD inline double nm_exp(double x) {
  return exp(x);
}
RNNJIT_HD inline float nm_exp(float x) {
  return expf(x);
}
RNNJIT_HD inline double nm_expm1(double x) {
  return expm1(x);
}
RNNJIT_HD inline float nm_expm1(float x) {
  return expm1f(x);
}
RNNJIT_HD inline double nm_sqrt(double x) {
  return sqrt(x);
}
RNNJIT_HD inline float nm_sqrt(float x) {
  return sqrtf(x);
}
RNNJIT_HD inline double nm_cos(double x) {
  return cos(x);
}
RNNJIT_HD inline float nm_cos(float x) {
  return cosf(x);
}
RNNJIT_HD inline double nm_lgamma(double x) {
  return lgamma(x);
}
RNNJIT_HD inline float nm_lgamma(float x) {
  return lgammaf(x);
}
RNNJIT_HD inline double nm_fabs(double x) {
  return fabs(x);
}
RNNJIT_HD inline float nm_fabs(float x) {
  return fabsf(x);
}

// Per-type constants: the unit roundoff and the log of the smallest positive normal number.
template <class T>
struct NoiseLimits;
template <>
struct NoiseLimits<double> {
  RNNJIT_HD static double eps() { return 2.220446049250313e-16; }
  RNNJIT_HD static double log_min() { return -708.0; }
  RNNJIT_HD static double tiny() { return 1e-300; }
};
template <>
struct NoiseLimits<float> {
  RNNJIT_HD static float eps() { return 1.1920929e-7f; }
  RNNJIT_HD static float log_min() { return -87.0f; }
  RNNJIT_HD static float tiny() { return 1e-37f; }
};

template <class T>
RNNJIT_HD inline T uniform_open(const Philox4& w, int which) {
  if constexpr (sizeof(T) == sizeof(double)) {
    return which == 0 ? uniform_open_f64(w.v[0], w.v[1]) : uniform_open_f64(w.v[2], w.v[3]);
  } else {
    return uniform_open_f32(w.v[which == 0 ? 0 : 2]);
  }
}

// Standard normal by Box-Muller from the two uniforms of one Philox block (the sine branch is
// discarded: one normal per element keeps the counter layout trivial).
template <class T>
RNNJIT_HD inline T standard_normal(const Philox4& w) {
  T u1 = uniform_open<T>(w, 0), u2 = uniform_open<T>(w, 1);
  return nm_sqrt(T(-2) * nm_log(u1)) * nm_cos(T(6.283185307179586476925) * u2);
}

// ---------------------------------------------------------------------------------------------
// Special functions.

// Digamma psi(x) for x > 0: upward recurrence to x >= 10, then the asymptotic series through
// x^-12 (truncation error < 1e-15 there).
template <class T>
RNNJIT_HD inline T digamma(T x) {
  T acc = 0;
  while (x < T(10)) {
    acc -= T(1) / x;
    x += T(1);
  }
  T f = T(1) / (x * x);
  T tail =
      f * (T(1) / 12 -
           f * (T(1) / 120 -
                f * (T(1) / 252 - f * (T(1) / 240 - f * (T(1) / 132 - f * (T(691) / 32760))))));
  return acc + nm_log(x) - T(0.5) / x - tail;
}

// Series part of P: P(a,x) = x^a e^-x / Gamma(a+1) * S with S = sum_n x^n / ((a+1)...(a+n)), and
// dS/da = -sum_n t_n H_n, H_n = sum_{k<=n} 1/(a+k). Converges for all x; used for x < a + 1.
template <class T>
RNNJIT_HD inline void gamma_series(T a, T x, T* S, T* dS_da) {
  const T eps = NoiseLimits<T>::eps();
  T term = 1, sum = 1, harmonic = 0, dsum = 0;
  for (int n = 1; n < 100000; ++n) {
    T an = a + T(n);
    term *= x / an;
    harmonic += T(1) / an;
    sum += term;
    dsum -= term * harmonic;
    if (term <= eps * sum && term * harmonic <= eps * nm_fabs(dsum)) break;
  }
  *S = sum;
  *dS_da = dsum;
}

// Forward-mode dual number (value, derivative in a) for the continued fraction.
template <class T>
struct NoiseDual {
  T v, d;
};
template <class T>
RNNJIT_HD inline NoiseDual<T> dual_mul(NoiseDual<T> p, NoiseDual<T> q) {
  return {p.v * q.v, p.d * q.v + p.v * q.d};
}
template <class T>
RNNJIT_HD inline NoiseDual<T> dual_inv(NoiseDual<T> p) {
  T r = T(1) / p.v;
  return {r, -p.d * r * r};
}
template <class T>
RNNJIT_HD inline NoiseDual<T> dual_add(NoiseDual<T> p, NoiseDual<T> q) {
  return {p.v + q.v, p.d + q.d};
}

// Continued-fraction part of Q: Q(a,x) = x^a e^-x / Gamma(a) * C with
// C = 1/(x+1-a - 1(1-a)/(x+3-a - 2(2-a)/(x+5-a - ...))), by the modified Lentz method carried
// out in dual numbers so dC/da comes with it. Converges quickly for x > a + 1.
template <class T>
RNNJIT_HD inline void gamma_contfrac(T a, T x, T* C, T* dC_da) {
  const T eps = NoiseLimits<T>::eps(), tiny = NoiseLimits<T>::tiny();
  NoiseDual<T> b = {x + T(1) - a, T(-1)};
  NoiseDual<T> c = {T(1) / tiny, T(0)};
  NoiseDual<T> d = dual_inv(b);
  NoiseDual<T> h = d;
  for (int n = 1; n < 100000; ++n) {
    NoiseDual<T> an = {-T(n) * (T(n) - a), T(n)};
    b.v += T(2);
    d = dual_add(dual_mul(an, d), b);
    if (nm_fabs(d.v) < tiny) d.v = tiny;
    c = dual_add(b, dual_mul(an, dual_inv(c)));
    if (nm_fabs(c.v) < tiny) c.v = tiny;
    d = dual_inv(d);
    NoiseDual<T> del = dual_mul(d, c);
    h = dual_mul(h, del);
    if (nm_fabs(del.v - T(1)) <= eps && nm_fabs(del.d) <= eps * nm_fabs(h.d / h.v) + eps * eps)
      break;
  }
  *C = h.v;
  *dC_da = h.d;
}

// Value-only versions of the two representations, for the solver's iterations (the derivative
// in a is needed once, at the root).
template <class T>
RNNJIT_HD inline T gamma_series_value(T a, T x) {
  const T eps = NoiseLimits<T>::eps();
  T term = 1, sum = 1;
  for (int n = 1; n < 100000; ++n) {
    term *= x / (a + T(n));
    sum += term;
    if (term <= eps * sum) break;
  }
  return sum;
}
template <class T>
RNNJIT_HD inline T gamma_contfrac_value(T a, T x) {
  const T eps = NoiseLimits<T>::eps(), tiny = NoiseLimits<T>::tiny();
  T b = x + T(1) - a, c = T(1) / tiny, d = T(1) / b, h = d;
  for (int n = 1; n < 100000; ++n) {
    T an = -T(n) * (T(n) - a);
    b += T(2);
    d = an * d + b;
    if (nm_fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (nm_fabs(c) < tiny) c = tiny;
    d = T(1) / d;
    T del = d * c;
    h *= del;
    if (nm_fabs(del - T(1)) <= eps) break;
  }
  return h;
}

// log(1 - e^l) for l < 0 without cancellation (expm1 near 0, log1p further out).
template <class T>
RNNJIT_HD inline T log1m_exp(T l) {
  return l > T(-0.6931471805599453) ? nm_log(-nm_expm1(l)) : nm_log1p(-nm_exp(l));
}

// What depends on the shape alone, computed once per draw. lgamma(a) = lgamma(a+1) - log a and
// psi(a) = psi(a+1) - 1/a follow from these.
template <class T>
struct GammaShape {
  T a, lgamma_a1, digamma_a1;
};
template <class T>
RNNJIT_HD inline GammaShape<T> gamma_shape(T a) {
  return {a, nm_lgamma(a + T(1)), digamma(a + T(1))};
}

// log P(a,x), log Q(a,x) and log(x pdf(x)) for a > 0, x > 0. The series gives P for x < a + 1,
// the continued fraction gives Q above, and the other one is 1 minus it, so the smaller of P and Q
// never suffers cancellation. (The prefactor a log x - x - lgamma(a) is a sum of terms as large as
// a |log x|, so its absolute rounding grows like eps a |log x|: ~1e-13 at a = 300.)
template <class T>
struct IncGammaLogs {
  T log_p, log_q, log_xpdf;
};
// The solver needs one tail at a time: log P (lower) or log Q (upper) at x = e^lx, and log(x pdf).
// The representation that converges at x gives one tail directly; the other costs a log1m_exp.
template <class T>
RNNJIT_HD inline T incomplete_gamma_tail_log(const GammaShape<T>& s, T x, T lx, bool lower,
                                             T* log_xpdf) {
  const T a = s.a;
  *log_xpdf = a * lx - x - (s.lgamma_a1 - nm_log(a));
  if (x < a + T(1)) {
    // P = x^a e^-x S / Gamma(a+1), summed directly: for a small shape the terms are small and
    // log P keeps full absolute accuracy, which log(1 - P) needs when P is near 1.
    const T log_p = a * lx - x - s.lgamma_a1 + nm_log(gamma_series_value(a, x));
    return lower ? log_p : log1m_exp(log_p);
  }
  const T log_q = *log_xpdf + nm_log(gamma_contfrac_value(a, x));  // Q = x pdf C
  return lower ? log1m_exp(log_q) : log_q;
}

template <class T>
RNNJIT_HD inline IncGammaLogs<T> incomplete_gamma_logs(const GammaShape<T>& s, T x) {
  IncGammaLogs<T> r;
  const T lx = nm_log(x);
  r.log_p = incomplete_gamma_tail_log(s, x, lx, true, &r.log_xpdf);
  r.log_q = incomplete_gamma_tail_log(s, x, lx, false, &r.log_xpdf);
  return r;
}

// The implicit reparametrisation gradient at x: dx/da at fixed P(a,x) = -(dP/da) / pdf.
//   series (x < a+1): P = x pdf S / a => -(dP/da)/pdf = -(x/a) [S (log x - psi(a+1)) + dS/da]
//   fraction:         Q = x pdf C     => -(dP/da)/pdf = (dQ/da)/pdf = x [C (log x - psi(a)) +
//   dC/da]
// using d log pdf / da = log x - psi(a). Neither form touches the prefactor, so it cannot overflow.
template <class T>
RNNJIT_HD inline T gamma_implicit_dx_da(const GammaShape<T>& s, T x, T lx) {
  const T a = s.a;
  if (x < a + T(1)) {
    T S, dS;
    gamma_series(a, x, &S, &dS);
    return -(x / a) * (S * (lx - s.digamma_a1) + dS);
  }
  T C, dC;
  gamma_contfrac(a, x, &C, &dC);
  return x * (C * (lx - (s.digamma_a1 - T(1) / a)) + dC);
}
template <class T>
RNNJIT_HD inline T gamma_implicit_dx_da(const GammaShape<T>& s, T x) {
  return gamma_implicit_dx_da(s, x, nm_log(x));
}

// Upper-tail standard normal quantile, rough (|error| < 5e-4, Abramowitz-Stegun 26.2.23): only
// a starting point for Newton. Returns z with Q_normal(z) = p for 0 < p <= 1/2.
template <class T>
RNNJIT_HD inline T normal_upper_quantile_rough(T p) {
  T t = nm_sqrt(T(-2) * nm_log(p));
  return t - (T(2.515517) + t * (T(0.802853) + t * T(0.010328))) /
                 (T(1) + t * (T(1.432788) + t * (T(0.189269) + t * T(0.001308))));
}

// Standard gamma draw by inversion: X with P(a, X) = u (shape a > 0, rate 1), and the implicit
// reparametrisation gradient dX/da at fixed u. Solves h(y) = 0 in y = log x, where
// h = log P - log u (u <= 1/2) or log(1-u) - log Q (u > 1/2), so both tails keep full relative
// accuracy; h is increasing, with h' = g = x pdf / P (resp. x pdf / Q) and h'' = g (a - x -+ g).
// Halley steps (cubic convergence: 2-4 evaluations from the starting points below), kept inside
// a bracket that shrinks with every evaluation, bisecting when a step would leave it.
template <class T>
RNNJIT_HD inline void gamma_inverse_cdf(T a, T u, T* x_out, T* dx_da_out) {
  const GammaShape<T> shape = gamma_shape(a);
  const bool lower = u <= T(0.5);
  const T log_target = lower ? nm_log(u) : nm_log1p(-u);
  const T log_u = lower ? log_target : nm_log1p(-(T(1) - u));
  // S <= e^x, so P(a,x) <= x^a / Gamma(a+1): this log x is a lower bound of the root, and for a
  // small shape or a small u it is nearly the root itself.
  T y_lo = (log_u + shape.lgamma_a1) / a;
  if (y_lo < NoiseLimits<T>::log_min()) {
    // Then P(a, e^log_min) > u, so the root is below the normal range, where P = x^a/Gamma(a+1)
    // to within a factor 1 - O(x): the bound is the root (0 or subnormal).
    T x = nm_exp(y_lo);
    *x_out = x;
    *dx_da_out = x == T(0) ? T(0) : -(x / a) * (y_lo - shape.digamma_a1);
    return;
  }
  // Upper bound: Q(a, x_hi) is below the smallest tail the uniforms can produce (2^-53).
  T y_hi = nm_log(a + T(12) * nm_sqrt(a) + T(60));
  T y = y_lo;
  if (a >= T(1)) {  // Wilson-Hilferty start
    T zq = normal_upper_quantile_rough(lower ? u : T(1) - u);
    if (lower) zq = -zq;
    T w = T(1) - T(1) / (T(9) * a) + zq / (T(3) * nm_sqrt(a));
    if (w > T(0)) {
      T y_wh = nm_log(a) + T(3) * nm_log(w);
      if (y_wh > y) y = y_wh;
    }
  } else if (!lower) {  // upper tail of a small shape: Q ~ x^(a-1) e^-x / Gamma(a)
    T x_tail = -log_target - (shape.lgamma_a1 - nm_log(a));
    if (x_tail > T(1)) {
      T y_tail = nm_log(x_tail);
      if (y_tail > y) y = y_tail;
    }
  }
  if (y > y_hi) y = y_hi;
  const T eps = NoiseLimits<T>::eps();
  // Once |h| is below this, one more Halley step leaves an error ~|h|^3, below rounding.
  const T h_done = sizeof(T) == sizeof(double) ? T(3e-6) : T(2e-3);
  for (int iter = 0; iter < 100; ++iter) {
    const T x = nm_exp(y);
    T log_xpdf;  // y is log x: no log of the exponential
    const T log_tail = incomplete_gamma_tail_log(shape, x, y, lower, &log_xpdf);
    const T g = nm_exp(log_xpdf - log_tail);
    T h, curvature;
    if (lower) {
      h = log_tail - log_target;
      curvature = a - x - g;
    } else {
      h = log_target - log_tail;
      curvature = a - x + g;
    }
    if (h == T(0)) break;
    if (h < T(0)) {
      y_lo = y;
    } else {
      y_hi = y;
    }
    const T newton = h / g, denom = T(1) - T(0.5) * newton * curvature;
    const bool halley = denom > T(0.5) && denom < T(2);
    const T step = -(halley ? newton / denom : newton);
    // A step below the resolution of y: converged (and it may not move y off the bracket end).
    if (nm_fabs(step) <= T(4) * eps * (T(1) + nm_fabs(y))) break;
    const T y_new = y + step;
    if (y_new > y_lo && y_new < y_hi) {
      y = y_new;
      if (halley && nm_fabs(h) <= h_done) break;
    } else {
      y = T(0.5) * (y_lo + y_hi);
    }
  }
  const T x = nm_exp(y);
  *x_out = x;
  *dx_da_out = gamma_implicit_dx_da(shape, x, y);
}

// ---------------------------------------------------------------------------------------------
// Spike noise. factor = k, dt in ms, lam = (dt/1000)/k^2.
//   Gamma:     z ~ Gamma(shape max(r lam, 1e-10), rate lam)   (mean r, variance r/lam)
//              z = X/lam, X = P^{-1}(a, u), dz/dr = dX/da (da/dr = lam where r lam > 1e-10, else 0)
//   Gauss:     z = relu(r + k sqrt(r 1000/dt + 1e-10) eps)
//   PureGauss: z = relu(r + 15 k eps)
//   None:      z = r
// The derivative at the relu kink (pre-relu exactly 0) is taken as 0. The Gauss noise assumes
// r >= 0 (rates are); a negative argument of the square root is clamped to 0 (derivative 0).
// dz_dr may be null.
template <class T>
RNNJIT_HD inline void spike_noise(NoiseKind kind, T r, T factor, T dt, u64 seed, u32 stream, u32 t,
                                  u32 b, u32 i, T* z, T* dz_dr) {
  T value = r, slope = T(1);
  if (kind == NoiseKind::Gamma) {
    const T lam = (dt / T(1000)) / (factor * factor);
    T a = r * lam, da_dr = lam;
    if (!(a > T(1e-10))) {
      a = T(1e-10);
      da_dr = T(0);
    }
    T x, dx_da;
    gamma_inverse_cdf(a, uniform_open<T>(noise_bits(seed, stream, t, b, i), 0), &x, &dx_da);
    value = x / lam;
    slope = dx_da * da_dr / lam;
  } else if (kind == NoiseKind::Gauss) {
    const T eps = standard_normal<T>(noise_bits(seed, stream, t, b, i));
    const T rate_scale = T(1000) / dt;
    T arg = r * rate_scale + T(1e-10), dsd_dr = T(0), sd = T(0);
    if (arg > T(0)) {
      sd = nm_sqrt(arg);
      dsd_dr = rate_scale / (T(2) * sd);
    }
    const T pre = r + factor * sd * eps;
    value = pre > T(0) ? pre : T(0);
    slope = pre > T(0) ? T(1) + factor * eps * dsd_dr : T(0);
  } else if (kind == NoiseKind::PureGauss) {
    const T eps = standard_normal<T>(noise_bits(seed, stream, t, b, i));
    const T pre = r + T(15) * factor * eps;
    value = pre > T(0) ? pre : T(0);
    slope = pre > T(0) ? T(1) : T(0);
  }
  *z = value;
  if (dz_dr) *dz_dr = slope;
}

#if !defined(__CUDACC_RTC__) && !defined(__CUDA_ARCH__)
// Host convenience: noise for step t over a row-major [B, N] array of rates (element (b, i) at
// b*N + i). dz_dr may be null.
template <class T>
inline void spike_noise_step(NoiseKind kind, const T* r, T* z, T* dz_dr, int B, int N, T factor,
                             T dt, u64 seed, u32 stream, u32 t) {
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < N; ++i) {
      const long k = (long)b * N + i;
      spike_noise(kind, r[k], factor, dt, seed, stream, t, (u32)b, (u32)i, &z[k],
                  dz_dr ? &dz_dr[k] : (T*)nullptr);
    }
  }
}
#endif

}  // namespace rnnjit::noise
