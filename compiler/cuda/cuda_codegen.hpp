// CUDA C++ generation: the specialisation unit for one cell plus the embedded templates, as one
// self-contained translation unit for NVRTC (no #include, no files needed at run time).
#pragma once

#include <array>
#include <string>

#include "compiler/cell_plan.hpp"
#include "math/optimizer_math.hpp"
#include "ir/module.hpp"

namespace rnnjit {

// The full CUDA source for `m` (what `rnnjit compile SPEC --emit cuda` prints). precision: "fp32";
// "tf32" and "bf16" throw "not supported yet"; anything else throws naming the accepted values.
std::string emit_cuda_source(const ir::Module& m, const std::string& precision);

namespace cuda {

// Trial-tile sizes TB the recurrent kernels are instantiated for; the executor picks one per run.
inline constexpr std::array<int, 2> kTileVariants{1, 8};
inline constexpr int kLayoutFormat = 1;

// Launch geometry the generated kernels assume. Mirrors templates/{forward,adjoint}.cuh; the
// executor checks these numbers against the rnnjit_layout table the compiled module exports.
struct KernelShape {
  int threads = 0;  // NT of the recurrent kernels
  static constexpr int kWeightGradThreads = 256, kWeightGradTile = 64;
  size_t forward_smem_bytes(int tb) const;
  size_t adjoint_smem_bytes(int tb) const;
  int64_t n = 0, m = 0, i = 0;
};
KernelShape kernel_shape(const CellPlan& plan);

// Kernel entry names in the generated source.
std::string forward_entry(int tb);  // "rnnjit_forward_tb8"
std::string adjoint_entry(int tb);  // "rnnjit_adjoint_tb8"
inline constexpr const char* kWeightGradBankEntry = "rnnjit_wgrad_bank";
inline constexpr const char* kWeightGradInputEntry = "rnnjit_wgrad_input";
inline constexpr const char* kLayoutSymbol = "rnnjit_layout";

// The same as emit_cuda_source, from a plan (the executor plans once and keeps the plan).
std::string emit_source(const CellPlan& plan, const std::string& precision);

// phi and phi' of the activation as the device functions `float rnnjit_phi(float x)` and
// `float rnnjit_dphi(float x)`, printed from compiler/activation_table.hpp (`rate` is baked in).
// They call templates/activations.cuh, which must come first in the unit.
std::string activation_source(ir::Activation activation, double rate);

// Throws unless `precision` is one the CUDA backend implements today.
void check_precision(const std::string& precision);
// The optimiser kernels (templates/optimizer.cuh over math/optimizer_math.hpp): one unit for
// every cell, entries kOptSumsqEntry and kOptAdamEntry.
std::string emit_optimizer_source();
inline constexpr const char* kOptSumsqEntry = "rnnjit_opt_sumsq";
inline constexpr const char* kOptAdamEntry = "rnnjit_opt_adam";
using opt::kOptThreads;  // math/optimizer_math.hpp

}  // namespace cuda
}  // namespace rnnjit
