// Internal to the CPU backend: builds the LLVM module holding a cell's three kernels.
#pragma once

#include <memory>
#include <string>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "compiler/cell_plan.hpp"
#include "compiler/cpu/cpu_abi.hpp"

namespace rnnjit::cpu {

struct KernelNames {
  std::string fwd, bwd, wgrad;
};

// Emits `names.fwd`, `names.bwd`, `names.wgrad` (see cpu_abi.hpp) into a fresh module. The caller
// sets the data layout and triple and runs the optimisation pipeline.
std::unique_ptr<llvm::Module> build_cell_module(llvm::LLVMContext& ctx, const CellPlan& plan,
                                                const CpuLayout& layout, bool fp64,
                                                const KernelNames& names, const std::string& cpu,
                                                const std::string& features);

}  // namespace rnnjit::cpu
