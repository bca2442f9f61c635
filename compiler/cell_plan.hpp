// The fused cell every compiled backend runs, read off a compiled module (compile_module's output)
// once: the sizes and constants the generated code is specialised on, where each operand comes
// from, and how the gate and input tensors are packed into flat buffers.
//
// After fold_uniform and merge_bank a cell step is always
//   z = nu(r_prev)                                              optional spike noise; else z =
//   r_prev s = bankmatvec(bank, z, gates..) + rowsum(z).. + sum scale W_in u + bias r =
//   leak(r_prev, act(s))
// and plan_cell() checks exactly that shape. Anything else (a bank applied to something other than
// z, a leak not of r_prev, an op no term uses, ...) is refused with a PlanError naming the op and
// the reason. The CPU (LLVM) and CUDA code generators, the CUDA host packing and kernel emulation
// and the benchmarks' eager GPU reference all read this one plan; their backend-specific additions
// (register tiles, thread counts, shared memory) are computed from it (cpu_abi.hpp's CpuLayout,
// cuda_codegen.hpp's KernelShape).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ir/module.hpp"

namespace rnnjit {

// A module outside the fused cell: "<backend>: op %5 = bank_matvec in cell @ring: <why> is not
// supported yet".
class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One gate run input g [B,T,K], packed at columns [offset, offset + width) of the [B][T][G] buffer.
struct PlanGate {
  std::string name;   // run input name ("actions")
  int value = -1;     // module value id
  int64_t width = 0;  // K
  int64_t offset = 0;
};

// Bank matrix m's coefficient: coef, times channel `channel` of gate `gate` when gate >= 0.
struct PlanSlot {
  double coef = 1.0;
  int gate = -1;        // index into CellPlan::gates, or -1 for a constant slot
  int64_t channel = 0;  // channel of that gate
  int64_t column = -1;  // gates[gate].offset + channel: its column in the packed gate buffer
};

// One operand of the stacked bank: slots [first, first + count) are parameter `param`, through a
// Dale mask (W .* D, D_j = +1 for j < excitatory, else -1) when `dale`.
struct PlanBankPart {
  std::string param;
  int param_value = -1;
  int64_t first = 0, count = 1;
  bool dale = false;
  int64_t excitatory = 0;
};

// One input term s += scale * W u, its columns [offset, offset + width) of the packed [B][T][I]
// input buffer (and of the packed W_in [N][I]).
struct PlanInput {
  std::string weight;  // parameter name of W [N, I]
  int weight_value = -1;
  std::string input;  // run input name
  int input_value = -1;
  int64_t width = 0;  // I of this input
  int64_t offset = 0;
  double scale = 1.0;
};

struct CellPlan {
  std::string name;  // the cell's name
  int64_t n = 0;     // neurons

  // z = nu(r_prev), math/noise_math.hpp; None without spike noise.
  ir::Noise noise = ir::Noise::None;
  double noise_factor = 0.0;
  double noise_dt = 10.0;

  // sum_m c_m bank_m z, with bank = stack(bank_parts) (the prologue value `bank_value`).
  int bank_value = -1;  // -1: no bank
  std::vector<PlanBankPart> bank_parts;
  std::vector<PlanSlot> slots;  // one per bank matrix, M = slots.size()
  std::vector<PlanGate> gates;  // every gate input of the cell, in module order
  int64_t gate_columns = 0;     // G: the gates' widths summed

  // rowsum * sum_j z_j (the folded uniform terms, summed).
  bool has_rowsum = false;
  double rowsum = 0.0;

  std::vector<PlanInput> inputs;  // in the order the pre-activation adds them
  int64_t input_columns = 0;      // I: the inputs' widths summed

  std::string bias;  // parameter name, "" without a bias
  int bias_value = -1;

  ir::Activation activation = ir::Activation::Relu;  // compiler/activation_table.hpp
  double rate = 60.0;                                // its rate (saturating)

  // r = (1 - alpha) r_prev + alpha phi(s): alpha scalar, or alpha = dt / tau per neuron (the
  // prologue value `alpha_value`, computed from the buffer or parameter `tau`).
  bool alpha_vector = false;
  double alpha = 1.0;
  int alpha_value = -1;
  std::string tau;
  int tau_value = -1;
  double dt = 10.0;

  int64_t m() const { return static_cast<int64_t>(slots.size()); }
  bool has_noise() const { return noise != ir::Noise::None; }
  bool has_bias() const { return !bias.empty(); }
  // Exact text of every constant the generated code bakes in (doubles in hex), for JIT caches.
  std::string key() const;
};

// The plan of `m`, or a PlanError starting with `backend` ("cpu backend", "CUDA backend").
CellPlan plan_cell(const ir::Module& m, std::string_view backend);

}  // namespace rnnjit
