// What the CPU code generator specialises on, read off a compiled module (compile_module's output).
//
// The CPU backend does not interpret arbitrary step graphs: after fold_uniform and merge_bank a
// cell step is always   z = [noise](r);  s = [bankmatvec z] + [rowsum z...] + [input_matvec...]
// (+ bias);  r = leak(r, act(s)). analyse_cpu_cell() checks that shape and records every constant
// the generated code bakes in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/module.hpp"

namespace rnnjit::cpu {

struct GateUse {      // one gate run input read by the bank
  std::string name;   // run input name ("actions")
  int64_t width = 0;  // K of that input
};

struct BankSlotPlan {  // coefficient of bank matrix m: coef * (gate < 0 ? 1 : g[gate][channel])
  double coef = 1.0;
  int gate = -1;  // index into CpuPlan::gates
  int64_t channel = 0;
};

struct InputTermPlan {  // s += scale * W_in u
  std::string weight;   // parameter name of W_in [N,I]
  std::string input;    // run input name
  int64_t width = 0;    // I
  double scale = 1.0;
  int64_t offset = 0;  // column offset of this term after the bank columns (see cpu_abi.hpp)
};

struct CpuPlan {
  int64_t n = 0;                    // neurons
  std::vector<BankSlotPlan> slots;  // M = slots.size(); empty when the cell has no matrix term
  int bank_value = -1;              // module value id of the stacked bank (-1: none)
  std::vector<GateUse> gates;
  bool has_rowsum = false;
  double rowsum = 0.0;  // c0 of s += c0 * sum_j z_j (sum over every rowsum op)
  std::vector<InputTermPlan> inputs;
  int64_t input_columns = 0;  // sum of the input widths
  bool has_bias = false;
  std::string bias_name;
  ir::Activation act = ir::Activation::Relu;
  double rate = 60.0;
  bool alpha_vector = false;  // per-neuron alpha (a prologue-derived [N] vector)
  int alpha_value = -1;       // module value id of that vector
  double alpha = 1.0;         // scalar alpha
  // Spike noise z_t = nu(r_{t-1}) on the presynaptic rates (DESIGN.md section 3). The generated
  // code calls a host function for the draws (see cpu_abi.hpp, CpuNoiseContext).
  ir::Noise noise = ir::Noise::None;
  double noise_factor = 0.0;
  double noise_dt = 10.0;

  bool has_noise() const { return noise != ir::Noise::None; }

  int64_t m() const { return static_cast<int64_t>(slots.size()); }
  // Exact text of every constant (doubles in hex), for the in-memory JIT cache key.
  std::string key() const;
};

// Throws std::runtime_error naming the op when the module has something this backend cannot run.
CpuPlan analyse_cpu_cell(const ir::Module& m);

}  // namespace rnnjit::cpu
