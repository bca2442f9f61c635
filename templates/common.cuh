// rnnjit CUDA templates: shared helpers. NVRTC compiles these texts (embedded in the binary at
// build time) together with the specialisation unit the compiler writes for one cell
// (compiler/cuda/).
//
// Contract of the specialisation struct `S` every kernel template takes:
//   S::N, S::M, S::G, S::I   neurons, bank slots, packed gate channels, packed input columns
//   S::NT                    threads per CTA of the recurrent kernels (a multiple of 32)
//   S::kRowSum               the folded uniform term: s_i += kRowSum * sum_j z_j (0: none)
//   S::kBias                 s_i += bias_i
//   S::slot_coef(m)          constant coefficient of bank slot m
//   S::slot_gate(m)          packed gate column multiplying slot m, or -1
//   S::alpha(ptr, i)         leak alpha_i (a constant, or ptr[i] for per-neuron alpha)
//   S::phi(s), S::dphi(s)    activation and its hand-derived derivative
//   S::kNoise                spike noise z = nu(r_prev) (a noise::NoiseKind value; 0: z = r_prev),
//   S::kNoiseFactor, kNoiseDt   its factor and dt (math/noise_math.hpp, pasted into the unit)
// Layouts are batch-first and row-major: [B][T][N] for r, s, delta; [B][T][G] gates; [B][T][I]
// inputs.
#pragma once

namespace rnnjit {

typedef long long i64;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// out[b] = sum over all threads of v[b], for TB values at once. `red` holds (NT/32)*TB floats.
// Contains two __syncthreads(): every thread of the CTA must call it.
template <int TB, int NT>
__device__ __forceinline__ void block_sum(float (&v)[TB], float* red, float* out) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int b = 0; b < TB; ++b) v[b] = warp_sum(v[b]);
  if (lane == 0) {
#pragma unroll
    for (int b = 0; b < TB; ++b) red[warp * TB + b] = v[b];
  }
  __syncthreads();
  if (threadIdx.x < TB) {
    float s = 0.f;
    for (int w = 0; w < NT / 32; ++w) s += red[w * TB + threadIdx.x];
    out[threadIdx.x] = s;
  }
  __syncthreads();
}

// c_m(b,t) for the trials [b0, b0+TB) of step t into coef[m*TB + b]; 0 for trials past B.
template <class S, int TB>
__device__ __forceinline__ void load_coefs(const float* __restrict__ gates, float* coef, int b0,
                                           int B, int T, int t) {
  for (int k = threadIdx.x; k < S::M * TB; k += S::NT) {
    const int m = k / TB, b = k - m * TB;
    float c = 0.f;
    if (b0 + b < B) {
      c = S::slot_coef(m);
      const int g = S::slot_gate(m);
      if (g >= 0) c *= gates[((i64)(b0 + b) * T + t) * S::G + g];
    }
    coef[k] = c;
  }
}

// Whether any of TB coefficients is non-zero (a NaN counts as non-zero, so it still propagates).
template <int TB>
__device__ __forceinline__ bool any_nonzero(const float* c) {
  bool any = false;
#pragma unroll
  for (int b = 0; b < TB; ++b) any |= c[b] != 0.f;
  return any;
}

constexpr int max1(int x) {
  return x > 0 ? x : 1;
}

}  // namespace rnnjit
