// rnnjit CUDA template: the ring attractor's training loss and its gradient dL/dr, on the device so
// a training step need not copy the rates to the host. Compiled by NVRTC after
// math/ring_loss_math.hpp (the per-step scalar math, shared with the host twin
// ring_loss_twin()) and common.cuh (warp_sum). ring_loss_math.hpp derives the closed forms.
//
// Launch: grid (B), block (kRingLossThreads), dynamic shared memory (4 T + 1) floats.
// The per-step scalars of one trial stay in shared memory for the second phase, whose bump terms
// need every step's amplitude: 4 T + 1 floats, so T <= 3071 within the 48 KiB a kernel gets
// without opting in (the host launcher checks; kRingLossMaxT in ring_loss_device.hpp).
#pragma once

namespace rnnjit {

using ring_math::kRingLossThreads;

// One CTA per trial b; warp w takes the steps t = w, w + W, ... Layouts: r, dr [B][T][N];
// angle [B][T]; cos_q, sin_q [N]; parts [B][2] = the trial's heading and bump sums over t, each
// divided by B T (the host adds the B partials in trial order, as ring_loss() does).
extern "C" __global__ void __launch_bounds__(kRingLossThreads)
    rnnjit_ring_loss(const float* __restrict__ r, const float* __restrict__ angle,
                     const float* __restrict__ cos_q, const float* __restrict__ sin_q, float a_cc,
                     float a_sc, float a_cs, float a_ss, float bump_weight, int B, int T, int N,
                     float* __restrict__ dr, float* __restrict__ parts) {
  extern __shared__ float smem[];
  float* amp = smem;            // A_t = sum_j |r_t,j|
  float* sgc = smem + T;        // g_c of step t
  float* sgs = smem + 2 * T;    // g_s of step t
  float* sl = smem + 3 * T;     // heading term l_t
  float* coef0 = smem + 4 * T;  // the bump coefficient of step 1, a sum over all steps

  const int b = blockIdx.x;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  // The same expression as the twin, so both divide by the same float.
  const float inv_bt = 1.f / ((float)B * (float)T);
  const ring_math::RingConsts k = {a_cc, a_sc, a_cs, a_ss};
  const float* rb = r + (i64)b * T * N;
  float* gb = dr + (i64)b * T * N;

  // Phase 1: the four reductions over the neurons per step, then the step's scalar math.
  for (int t = warp; t < T; t += warps) {
    const float* rt = rb + (i64)t * N;
    float c = 0.f, s = 0.f, a = 0.f;
    for (int i = lane; i < N; i += 32) {
      const float x = rt[i];
      c = fmaf(x, cos_q[i], c);  // explicit, as every a * b + c the twin must reproduce
      s = fmaf(x, sin_q[i], s);
      a += fabsf(x);
    }
    // The xor butterfly leaves bit-identical sums in every lane, so all lanes see the same u.
    c = warp_sum(c);
    s = warp_sum(s);
    a = warp_sum(a);
    // Argmax of u: the largest value, the smallest index among equals (the host loop keeps the
    // first). Index N marks a lane with no neuron (N < 32).
    float best = 0.f;
    int jb = N;
    for (int j = lane; j < N; j += 32) {
      const float u = ring_math::ring_u(cos_q[j], sin_q[j], c, s);
      if (jb == N || u > best) best = u, jb = j;
    }
    for (int o = 16; o > 0; o >>= 1) {
      const float ob = __shfl_xor_sync(0xffffffffu, best, o);
      const int oj = __shfl_xor_sync(0xffffffffu, jb, o);
      if (oj != N && (jb == N || ob > best || (ob == best && oj < jb))) best = ob, jb = oj;
    }
    // With NaNs the lanes may disagree; lane 0's choice is the one used.
    if (lane == 0) {
      const ring_math::RingStep st =
          ring_math::ring_step(c, s, best, cos_q[jb], sin_q[jb], angle[(i64)b * T + t], k, inv_bt);
      amp[t] = a;
      sgc[t] = st.gc;
      sgs[t] = st.gs;
      sl[t] = st.l;
    }
  }
  __syncthreads();

  // Phase 2: the trial's sums over the steps (one warp; T is at most 3071).
  if (warp == 0) {
    const float a1 = amp[0];
    float sum_dev = 0.f, sum_dev2 = 0.f, sum_l = 0.f;
    for (int t = lane; t < T; t += 32) {
      const float dev = amp[t] - a1;
      sum_dev += dev;
      sum_dev2 = fmaf(dev, dev, sum_dev2);
      sum_l += sl[t];
    }
    sum_dev = warp_sum(sum_dev);
    sum_dev2 = warp_sum(sum_dev2);
    sum_l = warp_sum(sum_l);
    if (lane == 0) {
      parts[2 * b + 0] = sum_l * inv_bt;
      parts[2 * b + 1] = sum_dev2 * inv_bt;
      // r_1 is the target of every step and is not detached: its gradient gathers all of them.
      *coef0 = -bump_weight * 2.f * inv_bt * sum_dev;
    }
  }
  __syncthreads();

  // Phase 3: dr_t,i = cos q_i g_c + sin q_i g_s + the bump term. Every element is written, so dr
  // needs no zeroing.
  const bool bump = bump_weight != 0.f;  // as ring_loss(): no bump term at all (not 0 * NaN)
  for (int t = warp; t < T; t += warps) {
    const float* rt = rb + (i64)t * N;
    float* gt = gb + (i64)t * N;
    const float gc = sgc[t], gs = sgs[t];
    const float coef = t == 0 ? *coef0 : bump_weight * 2.f * inv_bt * (amp[t] - amp[0]);
    for (int i = lane; i < N; i += 32) {
      float g = fmaf(cos_q[i], gc, sin_q[i] * gs);
      if (bump) g = fmaf(coef, ring_math::ring_sgn(rt[i]), g);
      gt[i] = g;
    }
  }
}

}  // namespace rnnjit
