// The choice of backend: make_executor builds the executor a name asks for ("auto": the GPU when
// one answers, else the CPU JIT, else the float64 reference), and says which backends this build
// and machine have. The layer above the backends (runtime/reference, runtime/cpu, runtime/cuda),
// each of which declares its own factory in its own folder.
#pragma once

#include <memory>
#include <string>

#include "runtime/core/executor.hpp"
#include "runtime/reference/reference_executor.hpp"
#ifdef RNNJIT_HAVE_LLVM
#include "runtime/cpu/cpu_executor.hpp"
#endif
#ifdef RNNJIT_HAVE_CUDA
#include "runtime/cuda/cuda_executor.hpp"
#endif

namespace rnnjit {

// Builds an executor for `m` (already lowered and optimised). "auto" picks cuda when a device
// works, else cpu when built with LLVM, else reference, and says which on stderr when verbose.
// Throws std::runtime_error with a clear message when the backend is unavailable.
std::unique_ptr<CellExecutor> make_executor(const ir::Module& m, const ExecutorConfig& cfg);

// Whether `name` is a backend make_executor knows (reference, cpu, cuda, auto), whether or not this
// build or machine has it; the message make_executor and the CLI give for one it does not know.
bool is_backend_name(const std::string& name);
std::string unknown_backend_message(const std::string& name);

// Which backends this build has, and whether a CUDA device answers right now.
bool have_llvm_backend();
bool have_cuda_backend();  // compiled in
bool cuda_device_available();
}  // namespace rnnjit
