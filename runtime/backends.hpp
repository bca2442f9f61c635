// Factories of the individual backends; make_executor() (runtime/executor.cpp) chooses among them.
// Each lives in its own folder: runtime/reference, runtime/cpu (LLVM ORC), runtime/cuda (NVRTC).
#pragma once

#include <memory>
#include <string>

#include "runtime/executor.hpp"

namespace rnnjit {

std::unique_ptr<CellExecutor> make_reference_executor(const ir::Module& m);
#ifdef RNNJIT_HAVE_LLVM
std::unique_ptr<CellExecutor> make_cpu_executor(const ir::Module& m, const ExecutorConfig& cfg);
#endif
#ifdef RNNJIT_HAVE_CUDA
std::unique_ptr<CellExecutor> make_cuda_executor(const ir::Module& m, const ExecutorConfig& cfg);
// True when libcuda loads, initialises and reports a device; otherwise false with the reason in
// *why (one line, e.g. "libcuda.so.1 not found").
bool cuda_probe_device(std::string* why);
#endif

}  // namespace rnnjit
