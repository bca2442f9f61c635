// The host side of the CPU backend's spike noise: the JIT-compiled forward kernel calls these
// (registered with the JIT by address in cpu_jit.cpp) for one trial's row at one step. The draws
// are math/noise_math.hpp's, keyed exactly as the reference interpreter keys them, so the two
// backends see the same noise. Cost: gamma draws are an inverse-CDF solve, about 1 us each, which
// dominates a step at the vwm sizes (a vectorised or table-driven draw is future work).
#include "compiler/cpu/cpu_abi.hpp"
#include "math/noise_math.hpp"

namespace {

template <class E>
void noise_row(const rnnjit::cpu::CpuNoiseContext* ctx, const E* r, E* z, E* dz_dr, int64_t t,
               int64_t b) {
  namespace nz = rnnjit::noise;
  const auto kind = static_cast<nz::NoiseKind>(ctx->kind);
  for (int64_t i = 0; i < ctx->n; ++i)
    nz::spike_noise<E>(kind, r[i], static_cast<E>(ctx->factor), static_cast<E>(ctx->dt), ctx->seed,
                       nz::kStreamRecurrent, static_cast<nz::u32>(t), static_cast<nz::u32>(b),
                       static_cast<nz::u32>(i), &z[i], &dz_dr[i]);
  for (int64_t i = ctx->n; i < ctx->np; ++i) z[i] = dz_dr[i] = E(0);  // padding stays zero
}

}  // namespace

extern "C" void rnnjit_cpu_spike_noise_f32(const rnnjit::cpu::CpuNoiseContext* ctx, const float* r,
                                           float* z, float* dz_dr, int64_t t, int64_t b) {
  noise_row(ctx, r, z, dz_dr, t, b);
}

extern "C" void rnnjit_cpu_spike_noise_f64(const rnnjit::cpu::CpuNoiseContext* ctx, const double* r,
                                           double* z, double* dz_dr, int64_t t, int64_t b) {
  noise_row(ctx, r, z, dz_dr, t, b);
}
