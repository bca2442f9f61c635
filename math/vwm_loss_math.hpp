// The scalar math of the VWM readout loss in float32, shared by the CUDA kernels
// (templates/vwm_loss.cuh) and their host twin vwm_loss_twin() (runtime/vwm/vwm_loss_twin.cpp), so
// the two cannot drift apart. It lives in templates/ (not runtime/vwm/) because every
// templates/*.cuh is embedded into the binary for NVRTC; host C++ includes it as an ordinary
// header. So: no includes and no std:: under NVRTC, and a macro name of its own (noise_math.hpp's
// RNNJIT_HD is pasted into the same unit).
//
// The formulas are those of vwm_loss() (runtime/vwm/vwm_loss.hpp derives them), with its edge
// guards rounded to float: |y| = sqrt(|y|^2 + 1e-24); acos takes c . nbar clamped to
// [-1 + 1e-7, 1 - 1e-7] (in float the bound is 1 - 2^-23, so the floor is 4.9e-4 rad instead of
// 4.5e-4) with zero slope outside; sqrtl2 uses (|d|^2 + 1e-16)^(1/4).
//
// Every a * b + c is an explicit fmaf: NVRTC contracts such expressions (--fmad=true) and the host
// compiler does not, so spelling them out gives the kernels and the twin the same roundings.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define RNNJIT_VWM_HD __host__ __device__
#else
#define RNNJIT_VWM_HD
#endif

#if !defined(__CUDACC_RTC__)
#include <math.h>
#endif

namespace rnnjit {
namespace vwm_math {

// Threads per CTA of every VWM loss kernel; the twin sums in the same lanes.
constexpr int kVwmLossThreads = 256;
// Items per trial the kernels hold in registers (2 outputs each): the seed's max_item_num <= 10.
constexpr int kVwmMaxItems = 10;
constexpr int kVwmMaxOut = 2 * kVwmMaxItems;
// dF is summed over the B K (trial, decode step) pairs in at most this many slabs, one CTA column
// each, whose partial sums a second kernel adds in slab order (deterministic, no atomics).
constexpr int kVwmDfMaxSlabs = 256;

// The error definitions as the kernels take them (vwm::ErrorDef's order).
enum : int { kVwmL2 = 0, kVwmSqrtL2 = 1, kVwmRad = 2, kVwmExp = 3 };

constexpr float kVwmPi = 3.14159265358979323846f;
constexpr float kVwmNormEps2 = 1e-24f;
constexpr float kVwmAcosEdge = 1e-7f;
constexpr float kVwmSqrtEps = 1e-16f;

// How the (trial, step) pairs are cut into slabs: `chunk` consecutive pairs each, `count` slabs.
struct VwmSlabs {
  int count, chunk;
};
RNNJIT_VWM_HD inline VwmSlabs vwm_df_slabs(int pairs) {
  const int want = pairs < kVwmDfMaxSlabs ? pairs : kVwmDfMaxSlabs;
  const int chunk = (pairs + want - 1) / want;
  VwmSlabs s = {(pairs + chunk - 1) / chunk, chunk};
  return s;
}

// sgn with sgn(0) = 0: the subgradient of |r| that vwm_loss() uses.
RNNJIT_VWM_HD inline float vwm_sgn(float x) {
  return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
}

// |y| of one item's (cos, sin) pair, kept away from 0.
RNNJIT_VWM_HD inline float vwm_norm(float a, float c) {
  return sqrtf(fmaf(a, a, fmaf(c, c, kVwmNormEps2)));
}

// The seed's wrap into [-pi, pi): (x + pi) mod 2 pi - pi. fmodf is exact on host and device.
RNNJIT_VWM_HD inline float vwm_wrap_angle(float x) {
  float y = fmodf(x + kVwmPi, 2.f * kVwmPi);
  if (y < 0.f) y += 2.f * kVwmPi;
  return y - kVwmPi;
}

// Item m's window means from the K decode steps' readouts y [K][O]: ybar = mean y (raw) and
// nbar = mean y / |y| (each step normalised first). Summed in step order.
RNNJIT_VWM_HD inline void vwm_item_means(const float* y, int K, int O, int m, float* ybar,
                                         float* nbar) {
  const float kf = (float)K;
  float y0 = 0.f, y1 = 0.f, n0 = 0.f, n1 = 0.f;
  for (int k = 0; k < K; ++k) {
    const float a = y[k * O + 2 * m], c = y[k * O + 2 * m + 1];
    const float s = vwm_norm(a, c);
    y0 += a / kf;
    y1 += c / kf;
    n0 += a / s / kf;
    n1 += c / s / kf;
  }
  ybar[0] = y0;
  ybar[1] = y1;
  nbar[0] = n0;
  nbar[1] = n1;
}

// One item's error e against the target (ct, st) = (cos theta, sin theta), and de/d(ybar) for
// l2 / sqrtl2 or de/d(nbar) for rad / exp into g[0..1].
RNNJIT_VWM_HD inline float vwm_item_error(int def, float ct, float st, const float* ybar,
                                          const float* nbar, float* g) {
  if (def == kVwmL2 || def == kVwmSqrtL2) {
    const float dx = ct - ybar[0], dy = st - ybar[1];
    const float q = fmaf(dx, dx, dy * dy);
    if (def == kVwmL2) {
      g[0] = -2.f * dx;
      g[1] = -2.f * dy;
      return q;
    }
    const float qe = q + kVwmSqrtEps;
    // e = 10 qe^(1/4); de/dd = 10 (1/4) qe^(-3/4) 2 d with d = c - ybar.
    const float s = 5.f * powf(qe, -0.75f);
    g[0] = -s * dx;
    g[1] = -s * dy;
    return 10.f * powf(qe, 0.25f);
  }
  float dot = fmaf(ct, nbar[0], st * nbar[1]);
  float slope = 0.f;  // d acos / d dot; 0 where the clamp holds
  if (dot > 1.f - kVwmAcosEdge) {
    dot = 1.f - kVwmAcosEdge;
  } else if (dot < -1.f + kVwmAcosEdge) {
    dot = -1.f + kVwmAcosEdge;
  } else {
    // (1 - dot)(1 + dot) rather than 1 - dot^2: near |dot| = 1 the factor 1 -+ dot is exact.
    slope = -1.f / sqrtf((1.f - dot) * (1.f + dot));
  }
  const float delta = acosf(dot);
  float e = delta, de_ddelta = 1.f;
  if (def == kVwmExp) {
    const float ex = expf(-3.f * delta / kVwmPi);
    e = -10.f * ex;
    de_ddelta = 30.f / kVwmPi * ex;
  }
  g[0] = de_ddelta * slope * ct;
  g[1] = de_ddelta * slope * st;
  return e;
}

// One trial's scalars: the error term (the mean over present items), the evaluation error and
// the number of present items.
struct VwmTrial {
  float error, eval, present;
};

// The per-item part of one trial, items in order. ybar, nbar [2M]: the window means; theta,
// presence [M]: the trial's. Writes decoded [M] and gbar [2M] = dL/d(ybar or nbar), which carries
// the means over items and trials (lambda_err p_m / (present B)).
RNNJIT_VWM_HD inline VwmTrial vwm_trial_items(int def, int M, int B, float lambda_err,
                                              const float* theta, const float* presence,
                                              const float* ybar, const float* nbar, float* gbar,
                                              float* decoded) {
  VwmTrial out = {0.f, 0.f, 0.f};
  for (int m = 0; m < M; ++m) out.present += presence[m];
  for (int m = 0; m < M; ++m) {
    const float th = theta[m], p = presence[m];
    const float dec = atan2f(ybar[2 * m + 1], ybar[2 * m]);
    decoded[m] = dec;
    float g[2];
    const float e = vwm_item_error(def, cosf(th), sinf(th), ybar + 2 * m, nbar + 2 * m, g);
    const float wgt = out.present > 0.f ? p / out.present : 0.f;
    out.error = fmaf(wgt, e, out.error);
    const float scale = lambda_err * wgt / (float)B;
    gbar[2 * m] = scale * g[0];
    gbar[2 * m + 1] = scale * g[1];
    if (p != 0.f) out.eval = fmaf(wgt, fabsf(vwm_wrap_angle(th - dec)), out.eval);
  }
  return out;
}

// dL/dy of item m at one decode step from the item's gbar [2]: through the mean over K steps, and
// for rad / exp through the normalisation n = y / s, s = |y|: dn/dy = I / s - y y^T / s^3.
// yk: the step's readout pair of the item; writes gy[0..1].
RNNJIT_VWM_HD inline void vwm_step_cotangent(int def, const float* yk, const float* gbar, int K,
                                             float* gy) {
  const float kf = (float)K;
  const float ga = gbar[0] / kf, gc = gbar[1] / kf;
  if (def == kVwmL2 || def == kVwmSqrtL2) {
    gy[0] = ga;
    gy[1] = gc;
    return;
  }
  const float a = yk[0], c = yk[1];
  const float s = vwm_norm(a, c);
  const float proj = fmaf(a, ga, c * gc) / (s * s * s);
  gy[0] = fmaf(-a, proj, ga / s);
  gy[1] = fmaf(-c, proj, gc / s);
}

// dL/dr of one element: the activity penalty's lambda_reg sgn(r) / (B T N) (`reg_scale`), plus on
// a decode step the readout's (F^T gy)_i dz'/dr (`dz` = (F^T gy)_i, `slope` = dz'/dr).
RNNJIT_VWM_HD inline float vwm_dr_value(float r, float reg_scale, bool window, float dz,
                                        float slope) {
  const float e = vwm_sgn(r) * reg_scale;
  return window ? fmaf(dz, slope, e) : e;
}

}  // namespace vwm_math
}  // namespace rnnjit
