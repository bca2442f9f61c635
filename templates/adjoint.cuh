// rnnjit CUDA templates: the adjoint (lambda) recurrence of DESIGN.md section 3, one persistent
// launch running t = T-1 .. 0 (0-based steps; step t maps r_{t-1} (r0 at t = 0) to r_t through the
// presynaptic rates z_t = r_{t-1}, or with spike noise z_t = nu(r_{t-1}), read from z_save).
//
//   delta_t = alpha .* phi'(s_t) .* lambda_t                      stored for the weight gradients
//   v_m     = W_m^T delta_t                                       per bank slot m
//   zeta_t  = sum_m c_m(b,t) v_m + kRowSum * sum_i delta_t[i]     dL/dz_t
//   dg      = slot_coef(m) * (z_t . v_m)                          gate gradient of a gated slot
//   du_t    = W_in^T delta_t                         input gradient (scale folded in W_in)
//   lambda_{t-1} = e_{t-1} + (1 - alpha) .* lambda_t + dz_t/dr .* zeta_t   (t = 0: dL/dr0)
//   dalpha_i += lambda_t[i] (phi(s_t[i]) - r_{t-1}[i]),  dbias_i += delta_t[i]
// (dz_t/dr = 1 without noise, else dz_save.)
// Grid and ownership as in the forward kernel: CTA c owns trials [c*TB, c*TB+TB); thread tid owns
// neurons tid + r*NT, and keeps lambda for them in registers. The bank is read untransposed,
// bank[m][i][j] = W_m[i][j], so consecutive threads (columns j) read consecutive addresses.
// dalpha and dbias are written as per-CTA partial sums [gridDim.x][N]; the host adds them up
// (deterministic, no atomics). `dgates` must be zeroed before the launch.
#pragma once

namespace rnnjit {

template <class S, int TB>
struct AdjointSmem {
  static constexpr int kZ = S::N * TB;            // zs[j*TB + b] = z_t
  static constexpr int kDelta = S::N * TB;        // dl[i*TB + b] = delta_t
  static constexpr int kCoef = max1(S::M) * TB;   // c_m(b,t)
  static constexpr int kRed = (S::NT / 32) * TB;  // block_sum scratch
  static constexpr int kSum = 2 * TB;             // sum_i delta_i, and z . v_m
  static constexpr int kTotal = kZ + kDelta + kCoef + kRed + kSum;
};

template <class S, int TB>
__device__ __forceinline__ void adjoint_tile(
    const float* __restrict__ bank, const float* __restrict__ gates, const float* __restrict__ w_in,
    const float* __restrict__ alpha, const float* __restrict__ r0, const float* __restrict__ r_out,
    const float* __restrict__ s_out, const float* __restrict__ dr, const float* __restrict__ z_save,
    const float* __restrict__ dz_save, float* __restrict__ delta_out, float* __restrict__ dr0,
    float* __restrict__ dgates, float* __restrict__ du, float* __restrict__ dalpha_part,
    float* __restrict__ dbias_part, int B, int T, int gate_grads) {
  constexpr int N = S::N, M = S::M, G = S::G, I = S::I, NT = S::NT;
  constexpr int R = (N + NT - 1) / NT;
  using L = AdjointSmem<S, TB>;
  extern __shared__ float4 smem4[];
  float* zs = reinterpret_cast<float*>(smem4);
  float* dl = zs + L::kZ;
  float* coef = dl + L::kDelta;
  float* red = coef + L::kCoef;
  float* dsum = red + L::kRed;
  float* gsum = dsum + TB;
  const int tid = threadIdx.x;
  const int b0 = blockIdx.x * TB;

  float lam[R][TB], dal[R], dbi[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int i = tid + r * NT;
    dal[r] = 0.f, dbi[r] = 0.f;
#pragma unroll
    for (int b = 0; b < TB; ++b)
      lam[r][b] = (i < N && b0 + b < B) ? dr[((i64)(b0 + b) * T + (T - 1)) * N + i] : 0.f;
  }

  for (int t = T - 1; t >= 0; --t) {
    for (int k = tid; k < N * TB; k += NT) {
      const int j = k / TB, b = k - j * TB;
      float v = 0.f;
      if (b0 + b < B) {
        if constexpr (S::kNoise != 0)
          v = z_save[((i64)(b0 + b) * T + t) * N + j];
        else
          v = t > 0 ? r_out[((i64)(b0 + b) * T + (t - 1)) * N + j] : r0[(i64)(b0 + b) * N + j];
      }
      zs[k] = v;
    }
    load_coefs<S, TB>(gates, coef, b0, B, T, t);
    __syncthreads();

    // delta_t for the owned neurons.
    float dpart[TB];
#pragma unroll
    for (int b = 0; b < TB; ++b) dpart[b] = 0.f;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int i = tid + r * NT;
      if (i >= N) continue;
      const float a = S::alpha(alpha, i);
#pragma unroll
      for (int b = 0; b < TB; ++b) {
        float d = 0.f;
        if (b0 + b < B) {
          const i64 o = ((i64)(b0 + b) * T + t) * N + i;
          const float s = s_out[o];
          d = a * S::dphi(s) * lam[r][b];
          delta_out[o] = d;
          float rp = zs[i * TB + b];  // r_{t-1}
          if constexpr (S::kNoise != 0) rp = t > 0 ? r_out[o - N] : r0[(i64)(b0 + b) * N + i];
          dal[r] += lam[r][b] * (S::phi(s) - rp);
          dbi[r] += d;
        }
        dl[i * TB + b] = d;
        dpart[b] += d;
      }
    }
    if constexpr (S::kRowSum != 0.f) block_sum<TB, NT>(dpart, red, dsum);
    __syncthreads();  // delta_t complete

    // zeta_t = sum_m c_m W_m^T delta_t for the owned columns j, and the gate gradients.
    float acc[R][TB];
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int b = 0; b < TB; ++b) acc[r][b] = 0.f;
    for (int m = 0; m < M; ++m) {
      // A slot whose coefficient is 0 for the whole tile adds nothing to zeta; its product
      // W_m^T delta is still needed for the gate gradient, unless the caller asked for none
      // (gate_grads = 0: RunOptions::gate_grads). Uniform across the CTA.
      if (!any_nonzero<TB>(coef + m * TB) && (S::slot_gate(m) < 0 || !gate_grads)) continue;
      float v[R][TB];
#pragma unroll
      for (int r = 0; r < R; ++r)
#pragma unroll
        for (int b = 0; b < TB; ++b) v[r][b] = 0.f;
      const float* __restrict__ w = bank + (i64)m * N * N;
#pragma unroll 8  // 8 independent L2 loads in flight per thread: the loop is latency-bound
      for (int i = 0; i < N; ++i) {
        float di[TB];
        load_tile<TB>(dl + i * TB, di);
#pragma unroll
        for (int r = 0; r < R; ++r) {
          const int j = tid + r * NT;
          const float wij = (N % NT == 0 || j < N) ? __ldg(w + (i64)i * N + j) : 0.f;
#pragma unroll
          for (int b = 0; b < TB; ++b) v[r][b] = fmaf(wij, di[b], v[r][b]);
        }
      }
#pragma unroll
      for (int b = 0; b < TB; ++b) {
        const float c = coef[m * TB + b];
#pragma unroll
        for (int r = 0; r < R; ++r) acc[r][b] = fmaf(c, v[r][b], acc[r][b]);
      }
      const int g = S::slot_gate(m);  // uniform across the CTA: every thread takes the same branch
      if (g >= 0) {
        float p[TB];
#pragma unroll
        for (int b = 0; b < TB; ++b) p[b] = 0.f;
#pragma unroll
        for (int r = 0; r < R; ++r) {
          const int j = tid + r * NT;
          if (j >= N) continue;
#pragma unroll
          for (int b = 0; b < TB; ++b) p[b] = fmaf(zs[j * TB + b], v[r][b], p[b]);
        }
        block_sum<TB, NT>(p, red, gsum);
        if (tid < TB && b0 + tid < B)
          dgates[((i64)(b0 + tid) * T + t) * G + g] += S::slot_coef(m) * gsum[tid];
      }
    }

    if constexpr (I > 0) {
      for (int k = tid; k < TB * I; k += NT) {
        const int b = k / I, p = k - b * I;
        if (b0 + b >= B) continue;
        float s = 0.f;
        for (int i = 0; i < N; ++i) s = fmaf(w_in[i * I + p], dl[i * TB + b], s);
        du[((i64)(b0 + b) * T + t) * I + p] = s;
      }
    }

    // lambda_{t-1} = e_{t-1} + (1 - alpha) lambda_t + zeta_t
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int j = tid + r * NT;
      if (j >= N) continue;
      const float a = S::alpha(alpha, j);
#pragma unroll
      for (int b = 0; b < TB; ++b) {
        if (b0 + b >= B) continue;
        float zeta = acc[r][b];
        if constexpr (S::kRowSum != 0.f) zeta += S::kRowSum * dsum[b];
        if constexpr (S::kNoise != 0) zeta *= dz_save[((i64)(b0 + b) * T + t) * N + j];
        float ln = (1.f - a) * lam[r][b] + zeta;
        if (t > 0) ln += dr[((i64)(b0 + b) * T + (t - 1)) * N + j];
        lam[r][b] = ln;
      }
    }
    __syncthreads();  // zs and dl are reloaded by the next step
  }

#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int i = tid + r * NT;
    if (i >= N) continue;
#pragma unroll
    for (int b = 0; b < TB; ++b)
      if (b0 + b < B) dr0[(i64)(b0 + b) * N + i] = lam[r][b];
    dalpha_part[(i64)blockIdx.x * N + i] = dal[r];
    dbias_part[(i64)blockIdx.x * N + i] = dbi[r];
  }
}

}  // namespace rnnjit
