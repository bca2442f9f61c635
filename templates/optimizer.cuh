// rnnjit CUDA templates: the optimiser step on the device, after the adjoint and weight-gradient
// kernels (math/optimizer_math.hpp has the element maps and Adam; this file only walks the
// elements). Compiled once per device, independent of the cell: sizes come in the SegmentView.
// Two launches per learned tensor and step:
//   rnnjit_opt_sumsq : partial sums of dP^2, one per CTA (the host adds them in float64 and derives
//                      the clip scale from the global norm)
//   rnnjit_opt_adam  : gather dP, clip, Adam, write the master and the packed buffers, fused
// Grid-stride loops, so any grid size is correct; the host picks the grid.
#pragma once

namespace rnnjit {

using opt::kOptThreads;

// partial[blockIdx.x] = sum over this CTA's elements of dP^2. blockDim.x must be kOptThreads.
extern "C" __global__ void __launch_bounds__(kOptThreads)
    rnnjit_opt_sumsq(opt::SegmentView s, const float* __restrict__ P, float* __restrict__ partial) {
  __shared__ float red[kOptThreads / 32];
  float acc = 0.f;
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < s.count; e += stride) {
    const float g = opt::segment_grad_at(s, e, P[e]);
    acc += g * g;
  }
  acc = warp_sum(acc);
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = acc;
  __syncthreads();
  if (threadIdx.x < 32) {
    float v = threadIdx.x < kOptThreads / 32 ? red[threadIdx.x] : 0.f;
    v = warp_sum(v);
    if (threadIdx.x == 0) partial[blockIdx.x] = v;
  }
}

extern "C" __global__ void __launch_bounds__(kOptThreads)
    rnnjit_opt_adam(opt::SegmentView s, float* __restrict__ P, float* __restrict__ M,
                    float* __restrict__ V, opt::AdamStep a) {
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < s.count; e += stride)
    opt::segment_adam(s, e, P, M, V, a);
}

}  // namespace rnnjit
