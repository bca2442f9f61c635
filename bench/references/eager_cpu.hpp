// The CPU "eager" reference of rnnjit bench: the cell run the way an eager framework runs it on a
// CPU, in float32 with Eigen. One IR op at a time, one step at a time: every matrix product is its
// own GEMM call, every elementwise op its own pass over memory, and every intermediate of every
// step is kept for the backward pass (the tape). The backward pass is the hand-written adjoint of
// DESIGN.md section 3, op by op in reverse, then through the prologue (bank stacking, Dale masks,
// alpha from tau) to the named parameters.
//
// It is a yardstick for the generated kernels, not a backend: the float64 interpreter is the
// accuracy reference. Spike noise is not supported (throws).
#pragma once

#include <memory>

#include "ir/module.hpp"
#include "runtime/core/executor.hpp"

namespace rnnjit::bench {

// backend() is "eager-cpu"; returned tensors are F32. `threads` is handed to Eigen::setNbThreads,
// which only matters when Eigen is built with OpenMP (bench/references/CMakeLists.txt builds it
// without: one thread).
std::unique_ptr<CellExecutor> make_eager_cpu_reference(const ir::Module& m, int threads);

}  // namespace rnnjit::bench
