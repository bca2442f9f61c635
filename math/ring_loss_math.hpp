// The per-(trial, step) scalar math of the ring loss in float32, shared by the CUDA kernel
// (templates/ring_loss.cuh) and its host twin ring_loss_twin() (ring_loss_device.cpp), so the two
// cannot drift apart. Header-only, usable from host C++ and from NVRTC, which compiles this text
// pasted into one unit with templates/common.cuh: no includes and no std:: under NVRTC, and a
// macro name of its own (noise_math.hpp's RNNJIT_HD may be pasted into the same unit).
//
// The loss and its gradient are those of ring_loss() (ring_loss.cpp derives them); what follows
// only reorganises the sums so that each step of a trial needs four reductions over the neurons.
// With q_k = 2 pi k / N, p_j the decoder's angles, and the four readout constants
//   a_cc = sum_j cos q_j cos p_j   a_sc = sum_j sin q_j cos p_j
//   a_cs = sum_j cos q_j sin p_j   a_ss = sum_j sin q_j sin p_j      (host, float64, once)
// and per step C = sum_i r_i cos q_i, S = sum_i r_i sin q_i, u_k = cos q_k C + sin q_k S:
//   X = sum_j u_j cos p_j / m = (C a_cc + S a_sc) / m
//   Y = sum_j u_j sin p_j / m = (C a_cs + S a_ss) / m
// since u is linear in (C, S). With w = (dl/dth_hat) / (X^2 + Y^2) the decoder's cotangent is
// gy_j = w (X sin p_j - Y cos p_j), and the three sums over it that the gradient needs are
//   P_c = sum_k gy_k cos q_k = w (X a_cs - Y a_cc)
//   P_s = sum_k gy_k sin q_k = w (X a_ss - Y a_sc)
//   G   = sum_j gy_j u_j     = C P_c + S P_s          (u_j = cos q_j C + sin q_j S)
// so dl/du_k = gy_k / m - [k = j*] G / m^2 folds into dl/dr_i = cos q_i g_c + sin q_i g_s with
//   g_c = P_c / m - cos q_{j*} G / m^2,   g_s = P_s / m - sin q_{j*} G / m^2.
// G is zero up to rounding (th_hat is invariant to scaling y; ring_loss.cpp keeps it for the same
// reason: the code says what the formula says). What remains per step over the neurons: C, S,
// the argmax j* of u (first index on ties) and the amplitude sum_j |r_j|.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define RNNJIT_RING_HD __host__ __device__
#else
#define RNNJIT_RING_HD
#endif

#if !defined(__CUDACC_RTC__)
#include <math.h>
#endif

namespace rnnjit {
namespace ring_math {

// Threads per CTA of the kernel (its launcher uses the same constant).
inline constexpr int kRingLossThreads = 256;

// The readout constants above, rounded to float.
struct RingConsts {
  float a_cc, a_sc, a_cs, a_ss;
};

// One step's heading term l (not yet divided by B T) and its gradient coefficients (divided by
// B T, as the loss is a mean).
struct RingStep {
  float l, gc, gs;
};

// Every a * b + c below is an explicit fmaf: NVRTC contracts such expressions by default
// (--fmad=true) and a host compiler does so only for FMA targets, so spelling them out gives the
// kernel and the twin the same roundings, and the only differences left are the libraries' atan2f,
// sinf and cosf.

// u_k from (C, S); the argmax ties then break alike on both sides too.
RNNJIT_RING_HD inline float ring_u(float cos_q, float sin_q, float c, float s) {
  return fmaf(cos_q, c, sin_q * s);
}

// sgn with sgn(0) = 0: the subgradient of |x| that ring_loss() uses.
RNNJIT_RING_HD inline float ring_sgn(float x) {
  return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
}

// False for inf and NaN, without isfinite (not a builtin under NVRTC).
RNNJIT_RING_HD inline bool ring_finite(float x) {
  return x - x == 0.f;
}

// The heading loss of one step and its (g_c, g_s). c, s: C and S; m = u_{j*}; cq_star, sq_star:
// cos and sin q_{j*}; th: the target angle; inv_bt = 1 / (B T).
RNNJIT_RING_HD inline RingStep ring_step(float c, float s, float m, float cq_star, float sq_star,
                                         float th, RingConsts k, float inv_bt) {
  const float x = fmaf(c, k.a_cc, s * k.a_sc) / m;
  const float y = fmaf(c, k.a_cs, s * k.a_ss) / m;
  // Through atan2 as ring_loss() does, so a zero vector decodes to the same angle (atan2(0, 0)).
  const float th_hat = atan2f(y, x);
  const float dc = cosf(th_hat) - cosf(th), ds = sinf(th_hat) - sinf(th);
  RingStep out = {fmaf(dc, dc, ds * ds), 0.f, 0.f};
  const float rho2 = fmaf(x, x, y * y);
  if (rho2 <= 0.f || m == 0.f || !ring_finite(m)) return out;  // decode undefined: no gradient
  const float w = 2.f * sinf(th_hat - th) * inv_bt / rho2;
  const float pc = w * fmaf(x, k.a_cs, -y * k.a_cc);
  const float ps = w * fmaf(x, k.a_ss, -y * k.a_sc);
  const float g_mm = fmaf(c, pc, s * ps) / (m * m);  // G / m^2
  out.gc = fmaf(-cq_star, g_mm, pc / m);
  out.gs = fmaf(-sq_star, g_mm, ps / m);
  return out;
}

}  // namespace ring_math
}  // namespace rnnjit
