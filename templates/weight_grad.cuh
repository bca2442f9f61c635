// rnnjit CUDA templates: the weight gradients as one time-parallel reduction over the B*T rows
// (DESIGN.md section 3), after the adjoint recurrence has stored delta_t:
//   bank mode:  dW_m[i][j] += sum_{rows} c_m(b,t) delta[b,t,i] z_t[b][j]
//               z_t = r_{t-1} (r0 at t = 0), or with spike noise the saved draw z_save[b,t]
//   input mode: dW_in[i][p] += sum_{rows} delta[b,t,i] u[b,t,p]
// i.e. C = A^T Bz with A = delta [BT][N] and Bz = z [BT][N] or u [BT][I], the reduction over rows.
// Grid: (ceil(N/64), ceil(Q/64), slots * splits). Each CTA of 256 threads computes one 64x64 tile
// of one slot over one contiguous range of rows and adds it to the zeroed output with atomicAdd
// (splits of the row range keep the GPU busy when M*N^2 is small against B*T).
#pragma once

namespace rnnjit {

constexpr int kWgTile = 64, kWgChunk = 16, kWgThreads = 256;

template <class S, bool kBankMode>
__device__ __forceinline__ void weight_grad_tile(
    const float* __restrict__ delta, const float* __restrict__ gates, const float* __restrict__ r0,
    const float* __restrict__ r_out, const float* __restrict__ z_save, const float* __restrict__ u,
    float* __restrict__ out, int B, int T, int splits) {
  constexpr int N = S::N, Q = kBankMode ? S::N : S::I, G = S::G;
  __shared__ float as[kWgChunk][kWgTile];
  __shared__ float bs[kWgChunk][kWgTile];
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  const int p0 = blockIdx.x * kWgTile, q0 = blockIdx.y * kWgTile;
  const int m = blockIdx.z / splits, split = blockIdx.z - m * splits;
  const i64 rows = (i64)B * T;
  const i64 per = (rows + splits - 1) / splits;
  const i64 row_begin = split * per;
  const i64 row_end = row_begin + per < rows ? row_begin + per : rows;
  float coef_const = 1.f;
  int gate = -1;
  if constexpr (kBankMode) coef_const = S::slot_coef(m), gate = S::slot_gate(m);

  float acc[4][4];
#pragma unroll
  for (int a = 0; a < 4; ++a)
#pragma unroll
    for (int c = 0; c < 4; ++c) acc[a][c] = 0.f;

  for (i64 base = row_begin; base < row_end; base += kWgChunk) {
    if constexpr (kBankMode) {
      if (gate >= 0) {
        // Rows whose gate is 0 add nothing; a chunk of kWgChunk such rows (every row of a
        // zero-padded gate channel) is skipped whole. The vote is the same for every thread.
        const i64 row = base + threadIdx.x;
        const int live = threadIdx.x < kWgChunk && row < row_end && gates[row * G + gate] != 0.f;
        if (!__syncthreads_or(live)) continue;
      }
    }
    // Each thread stages 4 elements of each operand; columns are contiguous in memory.
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int k = threadIdx.x + e * kWgThreads;
      const int rr = k / kWgTile, cc = k - rr * kWgTile;
      const i64 row = base + rr;
      float av = 0.f, bv = 0.f;
      if (row < row_end) {
        const int b = (int)(row / T), t = (int)(row - (i64)b * T);
        if (p0 + cc < N) {
          av = delta[row * N + p0 + cc];
          if constexpr (kBankMode) {
            float c = coef_const;
            if (gate >= 0) c *= gates[row * G + gate];
            av *= c;
          }
        }
        if (q0 + cc < Q) {
          if constexpr (kBankMode && S::kNoise != 0)
            bv = z_save[row * N + q0 + cc];
          else if constexpr (kBankMode)
            bv = t > 0 ? r_out[(row - 1) * N + q0 + cc] : r0[(i64)b * N + q0 + cc];
          else
            bv = u[row * Q + q0 + cc];
        }
      }
      as[rr][cc] = av;
      bs[rr][cc] = bv;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kWgChunk; ++k) {
      float ra[4], rb[4];
#pragma unroll
      for (int a = 0; a < 4; ++a) ra[a] = as[k][ty + 16 * a];
#pragma unroll
      for (int c = 0; c < 4; ++c) rb[c] = bs[k][tx + 16 * c];
#pragma unroll
      for (int a = 0; a < 4; ++a)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[a][c] = fmaf(ra[a], rb[c], acc[a][c]);
    }
    __syncthreads();
  }

  float* o = out + (i64)m * N * Q;
#pragma unroll
  for (int a = 0; a < 4; ++a) {
    const int p = p0 + ty + 16 * a;
    if (p >= N) continue;
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      const int q = q0 + tx + 16 * c;
      if (q < Q) atomicAdd(o + (i64)p * Q + q, acc[a][c]);
    }
  }
}

}  // namespace rnnjit
