// rnnjit CUDA templates: the forward pass, one persistent launch for all T steps.
//
// Grid: ceil(B / TB) CTAs of S::NT threads; CTA c owns the trials [c*TB, c*TB + TB). Its rates stay
// in shared memory for all T steps (trials are independent, so there is no grid-wide barrier). Per
// step:
//   z_b    = r_{t-1}[b], or with spike noise (S::kNoise != 0) z_b = nu(r_{t-1}[b]; seed, t, b)
//   s[b,i] = sum_m c_m(b,t) (W_m z_b)_i + kRowSum sum_j z_b[j] + (W_in u_t[b])_i + bias_i
//   r[b,i] = (1 - alpha_i) r_{t-1}[b,i] + alpha_i phi(s[b,i])
// With noise, z and dz/dr of every step are saved to z_save and dz_save ([B][T][N]) for the adjoint
// and the weight gradients; the leak reads r_{t-1} back from r_out (or r0), written by the same
// thread.
// Slots whose coefficient is zero for the whole tile are skipped (so is their product).
// y_m = W_m z is formed per slot m and combined with the per-trial coefficients afterwards, so
// every weight loaded from L2 is reused by the TB trials of the tile. Thread `tid` owns the rows i
// = tid + r*NT (r < R) for all TB trials; the bank is stored transposed per slot, bank_t[m][j][i] =
// W_m[i][j], so consecutive threads read consecutive addresses.
#pragma once

namespace rnnjit {

// Shared memory of the forward kernel, in floats (the host reads the same numbers back from
// the module's rnnjit_layout table).
template <class S, int TB>
struct ForwardSmem {
  static constexpr int kZ = S::N * TB;            // z[j*TB + b]: rates r_{t-1} of the tile
  static constexpr int kCoef = max1(S::M) * TB;   // coef[m*TB + b] = c_m(b,t)
  static constexpr int kU = max1(S::I) * TB;      // us[b*I + p] = u_t[b][p]
  static constexpr int kRed = (S::NT / 32) * TB;  // block_sum scratch
  static constexpr int kSum = TB;                 // sum_j z_b[j]
  static constexpr int kTotal = kZ + kCoef + kU + kRed + kSum;
};

// Loads TB consecutive floats of shared memory (16-byte vectors when TB is a multiple of 4; the
// base is 16-byte aligned because every offset used is a multiple of TB).
template <int TB>
__device__ __forceinline__ void load_tile(const float* p, float (&v)[TB]) {
  if constexpr (TB % 4 == 0) {
#pragma unroll
    for (int b = 0; b < TB; b += 4) {
      const float4 q = *reinterpret_cast<const float4*>(p + b);
      v[b] = q.x, v[b + 1] = q.y, v[b + 2] = q.z, v[b + 3] = q.w;
    }
  } else {
#pragma unroll
    for (int b = 0; b < TB; ++b) v[b] = p[b];
  }
}

template <class S, int TB>
__device__ __forceinline__ void forward_tile(
    const float* __restrict__ bank_t, const float* __restrict__ gates,
    const float* __restrict__ w_in, const float* __restrict__ u, const float* __restrict__ bias,
    const float* __restrict__ alpha, const float* __restrict__ r0, float* __restrict__ r_out,
    float* __restrict__ s_out, float* __restrict__ z_save, float* __restrict__ dz_save,
    unsigned long long seed, int B, int T) {
  constexpr int N = S::N, M = S::M, I = S::I, NT = S::NT;
  constexpr int R = (N + NT - 1) / NT;
  using L = ForwardSmem<S, TB>;
  extern __shared__ float4 smem4[];
  float* z = reinterpret_cast<float*>(smem4);
  float* coef = z + L::kZ;
  float* us = coef + L::kCoef;
  float* red = us + L::kU;
  float* zsum = red + L::kRed;
  const int tid = threadIdx.x;
  const int b0 = blockIdx.x * TB;

  for (int k = tid; k < N * TB; k += NT) {
    const int j = k / TB, b = k - j * TB;
    z[k] = b0 + b < B ? r0[(i64)(b0 + b) * N + j] : 0.f;
  }
  for (int t = 0; t < T; ++t) {
    load_coefs<S, TB>(gates, coef, b0, B, T, t);
    if constexpr (I > 0) {
      for (int k = tid; k < TB * I; k += NT) {
        const int b = k / I, p = k - b * I;
        us[k] = b0 + b < B ? u[((i64)(b0 + b) * T + t) * I + p] : 0.f;
      }
    }
    if constexpr (S::kNoise != 0) {
      // z holds r_{t-1}; each element is replaced in place by its draw z_t = nu(r_{t-1}).
      __syncthreads();  // r_{t-1} complete in z
#pragma unroll 1
      for (int k = tid; k < N * TB; k += NT) {
        const int j = k / TB, b = k - j * TB;
        if (b0 + b >= B) continue;
        float zv, dz;
        noise::spike_noise<float>((noise::NoiseKind)S::kNoise, z[k], S::kNoiseFactor, S::kNoiseDt,
                                  seed, noise::kStreamRecurrent, (noise::u32)t,
                                  (noise::u32)(b0 + b), (noise::u32)j, &zv, &dz);
        z[k] = zv;
        const i64 o = ((i64)(b0 + b) * T + t) * N + j;
        z_save[o] = zv;
        dz_save[o] = dz;
      }
    }
    __syncthreads();  // z of the previous step, coef and us are complete
    if constexpr (S::kRowSum != 0.f) {
      float part[TB];
#pragma unroll
      for (int b = 0; b < TB; ++b) part[b] = 0.f;
      for (int j = tid; j < N; j += NT) {
#pragma unroll
        for (int b = 0; b < TB; ++b) part[b] += z[j * TB + b];
      }
      block_sum<TB, NT>(part, red, zsum);
    }

    float acc[R][TB];
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int b = 0; b < TB; ++b) acc[r][b] = 0.f;
    for (int m = 0; m < M; ++m) {
      // A slot whose coefficient is 0 for every trial of the tile adds nothing: skip its N^2
      // products (the seed's K = 16 ring pads 14 of its gate channels with zeros). coef is in
      // shared memory, so every thread takes the same branch.
      if (!any_nonzero<TB>(coef + m * TB)) continue;
      float y[R][TB];
#pragma unroll
      for (int r = 0; r < R; ++r)
#pragma unroll
        for (int b = 0; b < TB; ++b) y[r][b] = 0.f;
      const float* __restrict__ w = bank_t + (i64)m * N * N;
#pragma unroll 8  // 8 independent L2 loads in flight per thread: the loop is latency-bound
      for (int j = 0; j < N; ++j) {
        float zj[TB];
        load_tile<TB>(z + j * TB, zj);
#pragma unroll
        for (int r = 0; r < R; ++r) {
          const int i = tid + r * NT;
          const float wij = (N % NT == 0 || i < N) ? __ldg(w + (i64)j * N + i) : 0.f;
#pragma unroll
          for (int b = 0; b < TB; ++b) y[r][b] = fmaf(wij, zj[b], y[r][b]);
        }
      }
#pragma unroll
      for (int b = 0; b < TB; ++b) {
        const float c = coef[m * TB + b];
#pragma unroll
        for (int r = 0; r < R; ++r) acc[r][b] = fmaf(c, y[r][b], acc[r][b]);
      }
    }
    __syncthreads();  // every thread has read z before the owners overwrite it

#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int i = tid + r * NT;
      if (i >= N) continue;
      const float a = S::alpha(alpha, i);
      const float bi = S::kBias ? bias[i] : 0.f;
#pragma unroll
      for (int b = 0; b < TB; ++b) {
        if (b0 + b >= B) continue;
        float s = acc[r][b];
        if constexpr (S::kRowSum != 0.f) s += S::kRowSum * zsum[b];
        if constexpr (I > 0) {
          for (int p = 0; p < I; ++p) s = fmaf(w_in[i * I + p], us[b * I + p], s);
        }
        s += bi;
        const i64 o = ((i64)(b0 + b) * T + t) * N + i;
        float rp = z[i * TB + b];  // r_{t-1}
        if constexpr (S::kNoise != 0)
          rp = t > 0 ? r_out[o - N] : r0[(i64)(b0 + b) * N + i];  // z holds the draw
        const float rn = (1.f - a) * rp + a * S::phi(s);
        z[i * TB + b] = rn;
        r_out[o] = rn;
        s_out[o] = s;
      }
    }
    __syncthreads();  // the new rates are complete before the next step reads them
  }
}

}  // namespace rnnjit
