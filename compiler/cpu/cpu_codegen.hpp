// The CPU backend's code generator: a compiled cell module -> LLVM IR (IRBuilder) -> machine code
// through ORC's LLJIT, specialised on everything CellPlan records (N, the bank slots and gate
// channels, activation, leak kind, rowsum constant, bias, input widths) and on the host's vectors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "compiler/cell_plan.hpp"
#include "compiler/cpu/cpu_abi.hpp"
#include "compiler/cpu/cpu_object_store.hpp"
#include "ir/module.hpp"

namespace rnnjit::cpu {

// void fn(void** args, int64_t lo, int64_t hi, int64_t B, int64_t T, void* scratch); see
// cpu_abi.hpp.
using KernelFn = void (*)(void**, int64_t, int64_t, int64_t, int64_t, void*);

// Where a cell's machine code came from.
enum class CpuCellOrigin {
  Compiled,     // optimised and generated in this process
  ObjectStore,  // an object file from the CompiledObjectStore, linked without compiling
};

struct CompiledCpuCell {
  CellPlan plan;
  CpuLayout layout;
  bool fp64 = false;
  KernelFn fwd = nullptr, bwd = nullptr, wgrad = nullptr;
  CpuCellOrigin origin = CpuCellOrigin::Compiled;
  // The first build of this key: IR generation + optimisation + code generation + linking, or
  // IR generation + loading + linking for an object from the store.
  double compile_seconds = 0.0;
};

// Checks `precision` ("fp32" or "fp64"; anything else throws naming the accepted values).
bool precision_is_fp64(const std::string& precision);

// Compiled kernels for `m`, from the in-memory cache (key: printed IR + exact constants +
// precision; *cache_hit says whether they came from it), else from `store` when it holds the object
// of this cell's module for this host, else freshly compiled (and given to `store`). The kernels
// stay valid until the process exits. Thread-safe: concurrent calls compile one at a time.
std::shared_ptr<const CompiledCpuCell> compile_cpu_cell(const ir::Module& m,
                                                        const std::string& precision,
                                                        bool* cache_hit = nullptr,
                                                        CompiledObjectStore* store = nullptr);

// Empties the in-memory cache, so that the next compile_cpu_cell of a module goes to the store or
// compiles again; kernels already handed out stay valid. For tests.
void forget_cpu_cells_in_memory();

// "znver3 (avx2 fma, 256-bit vectors)" and the vector width the generated code uses.
std::string host_cpu_description();
int host_vector_bits();

}  // namespace rnnjit::cpu

namespace rnnjit {

// `rnnjit compile SPEC --emit llvm|asm`: the optimised LLVM IR / host assembly of the cell's
// kernels.
std::string emit_cpu_llvm_ir(const ir::Module& m, const std::string& precision);
std::string emit_cpu_asm(const ir::Module& m, const std::string& precision);

}  // namespace rnnjit
