// The host side of the CUDA backend, device-free: the prologue (merged bank, Dale masks, alpha from
// tau, input weights with their scales folded in) evaluated in float64 and packed into the flat
// float buffers the kernels read, and the reverse: device gradients unpacked and chained back
// through the prologue by hand (bank -> parameters .* D, alpha -> tau, packed gates / inputs ->
// names). kernel_emulation.hpp runs the kernels' index math on these same buffers on the CPU.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/cell_plan.hpp"
#include "runtime/core/tensor.hpp"

namespace rnnjit::cuda {

struct PackedParams {
  std::vector<float> bank;    // [M][N][N], bank[m][i][j] = W_m[i][j] (the adjoint reads it)
  std::vector<float> bank_t;  // [M][N][N], bank_t[m][j][i] = W_m[i][j] (the forward reads it)
  std::vector<float> w_in;    // [N][I], scale folded in
  std::vector<float> bias;    // [N] (zeros without a bias)
  std::vector<float> alpha;   // [N] (the scalar repeated when alpha is scalar)
  std::vector<double> tau;    // [N] when alpha = dt / tau
};

struct PackedRun {
  int64_t batch = 0, steps = 0;
  std::vector<float> r0;     // [B][N]
  std::vector<float> gates;  // [B][T][G]
  std::vector<float> u;      // [B][T][I]
};

// What the device returns from the adjoint and the weight-gradient kernels.
struct DeviceGrads {
  std::vector<float> dr0;          // [B][N]
  std::vector<float> dgates;       // [B][T][G]
  std::vector<float> du;           // [B][T][I]
  std::vector<float> dbank;        // [M][N][N]
  std::vector<float> dw_in;        // [N][I] (gradient of the packed, scaled W_in)
  std::vector<float> dalpha_part;  // [parts][N]
  std::vector<float> dbias_part;   // [parts][N]
  int64_t parts = 0;
};

// Checks every parameter's shape (ShapeError naming the tensor and both shapes) and packs them.
PackedParams pack_params(const CellPlan& plan, const ir::Module& m, const TensorMap& params);
// Checks r0, every gate and input ([B,T,K] / [B,T,I]) and packs them; `steps` < 0: from the inputs.
PackedRun pack_run(const CellPlan& plan, const ir::Module& m, const TensorMap& inputs,
                   int64_t steps);
// The gradients by name, as the executor contract says: every learned parameter (and tau when
// learned), "r0", every gate and input.
TensorMap unpack_grads(const CellPlan& plan, const ir::Module& m, const PackedParams& pp,
                       const PackedRun& run, const DeviceGrads& g);

}  // namespace rnnjit::cuda
