// A plain C++ emulation of the CUDA kernels in templates/, on the same packed buffers and with the
// same index math (trial tiles of TB, [B][T][N] layouts, z_t = r_{t-1} or r0 or its spike-noise
// draw, per-tile partial sums of dalpha and dbias, the slot table). It runs in CI where no GPU is:
// tests compare it (through host_pack) against the float64 reference, which checks everything but
// the CUDA text itself.
#pragma once

#include "compiler/cell_plan.hpp"
#include "runtime/cuda/host_pack.hpp"

namespace rnnjit::cuda {

struct EmulatedForward {
  std::vector<float> r;   // [B][T][N]
  std::vector<float> s;   // [B][T][N]
  std::vector<float> z;   // [B][T][N] with spike noise: z_t = nu(r_{t-1}) (empty without)
  std::vector<float> dz;  // [B][T][N] with spike noise: dz_t/dr_{t-1}
};

// noise_seed keys the spike-noise draws (RunOptions::noise_seed) when the plan has noise.
EmulatedForward emulate_forward(const CellPlan& p, const PackedParams& pp, const PackedRun& run,
                                int tb, uint64_t noise_seed = 0);
// dr: [B][T][N]. Fills every field of DeviceGrads as the adjoint and weight-gradient kernels do.
DeviceGrads emulate_backward(const CellPlan& p, const PackedParams& pp, const PackedRun& run,
                             const EmulatedForward& fwd, const std::vector<float>& dr, int tb);

}  // namespace rnnjit::cuda
