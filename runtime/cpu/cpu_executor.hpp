// The CPU backend's executor: the cell's kernels JIT-compiled through LLVM ORC (compiler/cpu) and
// run over a thread pool, in float32 or float64.
#pragma once

#include <memory>

#include "runtime/core/executor.hpp"

namespace rnnjit {

std::unique_ptr<CellExecutor> make_cpu_executor(const ir::Module& m, const ExecutorConfig& cfg);

}  // namespace rnnjit
