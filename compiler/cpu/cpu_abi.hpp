// The calling convention between the JIT-compiled CPU kernels and the runtime that drives them.
//
// Every generated function takes (void** args, i64 lo, i64 hi, i64 B, i64 T, elem* scratch):
//   fwd   (lo, hi) = trials [b0, b1): all T steps for those trials.
//   bwd   (lo, hi) = trials [b0, b1): the adjoint recurrence t = T-1 .. 0 for those trials.
//   wgrad (lo, hi) = rows [i0, i1) (multiples of the row tile) of every bank matrix gradient,
//                    reduced over all (b, t).
// Internal rows are padded to np = round_up(N, vector width) with zeros, so every vector load is
// whole; tensors the user sees ([B,T,N], [B,N]) are unpadded.
#pragma once

#include <algorithm>
#include <cstdint>

#include "compiler/cell_plan.hpp"

namespace rnnjit::cpu {

// Slots of the args array. Gate, input and their gradient pointers follow kFixedSlots in this
// order: gates (one per CellPlan::gates), inputs (one per CellPlan::inputs), dgates, dinputs.
enum ArgSlot : int {
  kWf =
      0,   // [kcols][ldf]  forward panel: row m*np+j = bank[m][:, j] (transposed), then W_in^T rows
  kWb,     // [np][ldb]     backward panel: row i = bank[0][i,:], .., bank[M-1][i,:], W_in[i,:]...
  kBias,   // [np]
  kAlpha,  // [np]          per-neuron alpha (padding 0)
  kR0,     // [B][N]
  kROut,   // [B][T][N]     r_1..r_T
  kDSave,  // [B][T][np]    phi'(s_t)
  kPhiSave,   // [B][T][np]    phi(s_t) - r_{t-1} (per-neuron alpha only: d alpha needs it)
  kZSave,     // [B][T][np]    z_t = nu(r_{t-1}) (= r_{t-1} without noise)
  kDr,        // [B][T][N]     e_t
  kDelta,     // [B][T][np]    delta_t (saved for the weight gradients)
  kDr0,       // [B][N]
  kDalphaB,   // [B][np]       per-trial partial sums of lambda_t (phi_t - r_{t-1})
  kDBank,     // [M][np][np]   bank gradient (wgrad output, overwritten)
  kDzSave,    // [B][T][np]    dz_t/dr_{t-1} (noise only)
  kNoiseCtx,  // const CpuNoiseContext* (noise only)
  kFixedSlots
};

struct CpuLayout {
  int64_t n = 0, np = 0;
  int64_t vw = 8;  // elements per vector register
  int64_t tp = 4;  // rows per register tile
  int64_t qv = 3;  // vectors per register tile
  int64_t m = 0;
  int64_t kcols = 0;     // m * np + input columns, rounded up to whole vectors
  int64_t rchunk = 256;  // wgrad reduction chunk (rows of z kept hot in cache)
  // Row strides of the weight panels and of wgrad's scaled z chunk: one cache line longer than the
  // row, so the rows a register tile walks down do not all land in the same L1 sets (a 1 KiB or
  // 4 KiB stride would alias).
  int64_t ldf = 0;  // Wf  [kcols][ldf]
  int64_t ldb = 0;  // Wb  [np][ldb]
  int64_t ldz = 0;  // z chunk [rchunk][ldz]

  int64_t gate_slot(int g) const { return kFixedSlots + g; }
  int64_t input_slot(int q, int ngates) const { return kFixedSlots + ngates + q; }
  int64_t dgate_slot(int g, int ngates, int ninputs) const {
    return kFixedSlots + ngates + ninputs + g;
  }
  int64_t dinput_slot(int q, int ngates, int ninputs) const {
    return kFixedSlots + 2 * ngates + ninputs + q;
  }
  int64_t slot_count(int ngates, int ninputs) const { return kFixedSlots + 2 * (ngates + ninputs); }
  int64_t round_rows(int64_t rows) const { return (rows + tp - 1) / tp * tp; }
  // Scratch elements one call over `rows` trials (fwd/bwd) or one wgrad call needs.
  int64_t scratch_elems(int64_t rows) const {
    const int64_t r = round_rows(rows);
    const int64_t fwd = r * kcols + 2 * r * np + r;
    const int64_t bwd = 2 * r * np + r * kcols;
    const int64_t wg = rchunk * ldz + rchunk;
    return std::max(fwd, std::max(bwd, wg)) + 64;
  }
};

// Spike noise: the forward kernel calls rnnjit_cpu_spike_noise_f32 / _f64 (resolved by the JIT to
// the host functions below) once per trial and step, before the contraction:
//   fn(ctx, r_prev row [np], z row [np], dz_dr row [np], t, b)
// which writes z = nu(r_prev) and dz/dr for i < n (padding lanes [n, np) set to 0), drawn by
// noise::spike_noise with the counter (ctx->seed, kStreamRecurrent, t, b, i): t the step index
// 0..T-1 and b the global trial index, exactly as the reference interpreter draws them.
struct CpuNoiseContext {
  int kind = 0;  // noise::NoiseKind
  int64_t n = 0, np = 0;
  double factor = 0.0, dt = 10.0;
  uint64_t seed = 0;
};

// vector_bits: the host's widest usable vector register (512, 256 or 128); elem_bytes 4 or 8.
CpuLayout make_layout(const CellPlan& plan, int vector_bits, int elem_bytes);

}  // namespace rnnjit::cpu

extern "C" {
void rnnjit_cpu_spike_noise_f32(const rnnjit::cpu::CpuNoiseContext* ctx, const float* r, float* z,
                                float* dz_dr, int64_t t, int64_t b);
void rnnjit_cpu_spike_noise_f64(const rnnjit::cpu::CpuNoiseContext* ctx, const double* r, double* z,
                                double* dz_dr, int64_t t, int64_t b);
}
