// What the CUDA backend needs to know about one optimised cell (compile_module's output), read off
// the IR once: the sizes the kernels are specialised on, the bank slot table, and how the host
// packs gate and input tensors into the kernels' flat buffers.
//
// The kernels implement exactly this step (DESIGN.md section 2, after fold_uniform and merge_bank):
//   z = noise(r_prev)                     (optional spike noise; z = r_prev without it)
//   s = bankmatvec(bank, z, gates..) + rowsum(z) + sum_terms scale W_in u + bias
//   r = leak(r_prev, act(s))
// Anything else (a bank applied to something other than z, a leak not of r_prev) is rejected with
// a "not supported yet" error naming the op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/module.hpp"

namespace rnnjit::cuda {

struct SlotPlan {
  double coef = 1.0;
  int gate_column = -1;  // column in the packed gate buffer [B][T][G], or -1 for a constant slot
};

struct GateBlock {  // one gate input, packed at columns [offset, offset + size)
  std::string name;
  int value = -1;
  int64_t size = 0;
  int64_t offset = 0;
};

struct InputBlock {    // one input term scale * W u, packed at columns [offset, offset + size)
  std::string weight;  // parameter name of W [N, I]
  int weight_value = -1;
  std::string input;  // input name
  int input_value = -1;
  int64_t size = 0;
  int64_t offset = 0;
  double scale = 1.0;
};

// One operand of the stacked bank: slots [first, first + count) come from parameter `param`
// (through a Dale mask when `dale`).
struct BankPart {
  std::string param;
  int param_value = -1;
  int64_t first = 0, count = 1;
  bool dale = false;
  int64_t excitatory = 0;
};

struct CudaPlan {
  std::string name;
  int64_t n = 0;  // neurons
  int64_t m = 0;  // bank slots (0: no bank)
  int64_t g = 0;  // packed gate columns
  int64_t i = 0;  // packed input columns
  std::vector<SlotPlan> slots;
  std::vector<BankPart> bank_parts;
  std::vector<GateBlock> gates;
  std::vector<InputBlock> inputs;
  double rowsum = 0.0;
  std::string bias;  // parameter name, "" when there is no bias
  int bias_value = -1;
  ir::Activation activation = ir::Activation::Relu;
  double rate = 60.0;
  bool alpha_vector = false;
  double alpha = 1.0;  // scalar alpha
  std::string tau;     // alpha = dt / tau (per neuron)
  int tau_value = -1;
  double dt = 10.0;
  // Spike noise z = nu(r_prev) (compiler/noise_math.hpp), None without it.
  ir::Noise noise = ir::Noise::None;
  double noise_factor = 0.0;
  double noise_dt = 10.0;
  bool has_noise() const { return noise != ir::Noise::None; }
};

// Throws std::runtime_error ("CUDA backend: ... not supported yet") for cells outside the family.
CudaPlan plan_cuda(const ir::Module& m);

}  // namespace rnnjit::cuda
