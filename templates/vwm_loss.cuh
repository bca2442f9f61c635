// rnnjit CUDA template: the VWM readout loss of vwm_loss() (runtime/vwm/vwm_loss.hpp) and its
// gradients dL/dr and dL/dF in float32, on the device so a training step need not copy the rates
// to the host. Compiled by NVRTC after math/noise_math.hpp (spike_noise), common.cuh
// (block_sum) and vwm_loss_math.hpp (the scalar math shared with the host twin vwm_loss_twin()).
//
// Five kernels, enqueued in this order by DeviceVwmLoss (runtime/vwm/vwm_loss_device.cpp), every
// CTA kVwmLossThreads threads; K = T - t0 decode steps, O = 2M outputs, P = B K pairs:
//   readout    grid (B, K)       the noisy rates z' and dz'/dr of one (trial, decode step), whose
//                                gamma draws dominate the cost, and y = F z' of that step
//   trial      grid (B)          activity, window means, item errors, evaluation, gy = dL/dy
//   dr         grid (B, T)       e_t = (F^T gy_t) .* dz'/dr + lambda_reg sgn(r_t) / (B T N)
//   df_partial grid (ceil(N / threads), S)  slab s's sum of gy z'^T over its pairs
//   df_reduce  grid (ceil(O N / threads))   dF = the S partials added in slab order
// Scratch (device, owned by the launcher): z', dz'/dr [P][N]; y, gy [P][O]; partials [S][O][N].
// Every reduction has a fixed order given the launch configuration, so results repeat bit for bit.
#pragma once

namespace rnnjit {

using vwm_math::kVwmLossThreads;
using vwm_math::kVwmMaxOut;

// One CTA per (trial b = blockIdx.x, decode step k = blockIdx.y); thread l draws the neurons
// l, l + threads, ... (one each at the seed's N = 256) and keeps its share of all O outputs.
extern "C" __global__ void __launch_bounds__(kVwmLossThreads)
    rnnjit_vwm_readout(const float* __restrict__ r, const float* __restrict__ F, int T, int N,
                       int O, int t0, int noise_kind, float factor, float dt,
                       unsigned long long seed, float* __restrict__ z, float* __restrict__ slope,
                       float* __restrict__ y) {
  __shared__ float red[(kVwmLossThreads / 32) * kVwmMaxOut];
  __shared__ float sums[kVwmMaxOut];
  const int b = blockIdx.x, k = blockIdx.y, t = t0 + k, K = T - t0;
  const float* rt = r + ((i64)b * T + t) * N;
  const i64 row = (i64)b * K + k;
  float acc[kVwmMaxOut];
#pragma unroll
  for (int o = 0; o < kVwmMaxOut; ++o) acc[o] = 0.f;
  for (int i = threadIdx.x; i < N; i += kVwmLossThreads) {
    float zv, dz;
    noise::spike_noise<float>((noise::NoiseKind)noise_kind, rt[i], factor, dt, seed,
                              noise::kStreamReadout, (noise::u32)t, (noise::u32)b, (noise::u32)i,
                              &zv, &dz);
    z[row * N + i] = zv;
    slope[row * N + i] = dz;
#pragma unroll
    for (int o = 0; o < kVwmMaxOut; ++o)
      if (o < O) acc[o] = fmaf(F[(i64)o * N + i], zv, acc[o]);
  }
  block_sum<kVwmMaxOut, kVwmLossThreads>(acc, red, sums);
  if ((int)threadIdx.x < O) y[row * O + threadIdx.x] = sums[threadIdx.x];
}

// One CTA per trial b. Its activity (mean |r| over all T steps), then per item the window means
// (thread m), the items' errors in order (thread 0), and gy of every (decode step, item).
// trial_out [B][4] = (error term, activity, eval error, present items); decoded [B][M].
extern "C" __global__ void __launch_bounds__(kVwmLossThreads)
    rnnjit_vwm_trial(const float* __restrict__ r, const float* __restrict__ y,
                     const float* __restrict__ theta, const float* __restrict__ presence, int B,
                     int T, int N, int M, int t0, int error_def, float lambda_err,
                     float* __restrict__ gy, float* __restrict__ trial_out,
                     float* __restrict__ decoded) {
  __shared__ float red[kVwmLossThreads / 32];
  __shared__ float act[1];
  __shared__ float ybar[kVwmMaxOut], nbar[kVwmMaxOut], gbar[kVwmMaxOut];
  const int b = blockIdx.x, K = T - t0, O = 2 * M;
  const i64 TN = (i64)T * N;
  const float* rb = r + (i64)b * TN;
  float a[1] = {0.f};
  for (i64 j = threadIdx.x; j < TN; j += kVwmLossThreads) a[0] += fabsf(rb[j]);
  block_sum<1, kVwmLossThreads>(a, red, act);

  const float* yb = y + (i64)b * K * O;
  if ((int)threadIdx.x < M)
    vwm_math::vwm_item_means(yb, K, O, threadIdx.x, ybar + 2 * threadIdx.x, nbar + 2 * threadIdx.x);
  __syncthreads();
  if (threadIdx.x == 0) {
    const vwm_math::VwmTrial tr =
        vwm_math::vwm_trial_items(error_def, M, B, lambda_err, theta + (i64)b * M,
                                  presence + (i64)b * M, ybar, nbar, gbar, decoded + (i64)b * M);
    float* out = trial_out + 4 * (i64)b;
    out[0] = tr.error;
    out[1] = act[0] / (float)TN;
    out[2] = tr.eval;
    out[3] = tr.present;
  }
  __syncthreads();
  float* gyb = gy + (i64)b * K * O;
  for (int j = threadIdx.x; j < K * M; j += kVwmLossThreads) {
    const int k = j / M, m = j - k * M;
    vwm_math::vwm_step_cotangent(error_def, yb + k * O + 2 * m, gbar + 2 * m, K,
                                 gyb + k * O + 2 * m);
  }
}

// One CTA per (trial b = blockIdx.x, step t = blockIdx.y): every element of dr is written, the
// steps before the window carrying the activity term alone.
extern "C" __global__ void __launch_bounds__(kVwmLossThreads)
    rnnjit_vwm_dr(const float* __restrict__ r, const float* __restrict__ F,
                  const float* __restrict__ slope, const float* __restrict__ gy, int T, int N,
                  int O, int t0, float reg_scale, float* __restrict__ dr) {
  const int b = blockIdx.x, t = blockIdx.y, K = T - t0;
  const bool window = t >= t0;
  const i64 at = ((i64)b * T + t) * N;
  const i64 row = (i64)b * K + (t - t0);  // used only inside the window
  for (int i = threadIdx.x; i < N; i += kVwmLossThreads) {
    float dz = 0.f, sl = 0.f;
    if (window) {
      for (int o = 0; o < O; ++o) dz = fmaf(gy[row * O + o], F[(i64)o * N + i], dz);
      sl = slope[row * N + i];
    }
    dr[at + i] = vwm_math::vwm_dr_value(r[at + i], reg_scale, window, dz, sl);
  }
}

// Slab s = blockIdx.y of `chunk` consecutive (trial, decode step) pairs; thread i = neuron
// blockIdx.x * threads + threadIdx.x sums gy[p][o] z'[p][i] over the slab's pairs in order.
// part [S][O][N].
extern "C" __global__ void __launch_bounds__(kVwmLossThreads)
    rnnjit_vwm_df_partial(const float* __restrict__ z, const float* __restrict__ gy, int N, int O,
                          int pairs, int chunk, float* __restrict__ part) {
  const int s = blockIdx.y;
  const int i = blockIdx.x * kVwmLossThreads + threadIdx.x;
  if (i >= N) return;
  float acc[kVwmMaxOut];
#pragma unroll
  for (int o = 0; o < kVwmMaxOut; ++o) acc[o] = 0.f;
  const int p0 = s * chunk, p1 = p0 + chunk < pairs ? p0 + chunk : pairs;
  for (int p = p0; p < p1; ++p) {
    const float zv = z[(i64)p * N + i];
#pragma unroll
    for (int o = 0; o < kVwmMaxOut; ++o)
      if (o < O) acc[o] = fmaf(gy[(i64)p * O + o], zv, acc[o]);
  }
#pragma unroll
  for (int o = 0; o < kVwmMaxOut; ++o)
    if (o < O) part[((i64)s * O + o) * N + i] = acc[o];
}

// dF[j] for j = o N + i: the slabs' partials added in slab order (written, not accumulated).
extern "C" __global__ void __launch_bounds__(kVwmLossThreads)
    rnnjit_vwm_df_reduce(const float* __restrict__ part, int slabs, int on,
                         float* __restrict__ dF) {
  const int j = blockIdx.x * kVwmLossThreads + threadIdx.x;
  if (j >= on) return;
  float s = 0.f;
  for (int k = 0; k < slabs; ++k) s += part[(i64)k * on + j];
  dF[j] = s;
}

}  // namespace rnnjit
