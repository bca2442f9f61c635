#include "runtime/core/executor.hpp"

#include <fmt/core.h>

#include <stdexcept>

#include "runtime/backends/backends.hpp"

namespace rnnjit {

bool have_llvm_backend() {
#ifdef RNNJIT_HAVE_LLVM
  return true;
#else
  return false;
#endif
}

bool have_cuda_backend() {
#ifdef RNNJIT_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

bool cuda_device_available() {
#ifdef RNNJIT_HAVE_CUDA
  std::string why;
  return cuda_probe_device(&why);
#else
  return false;
#endif
}

std::unique_ptr<CellExecutor> make_executor(const ir::Module& m, const ExecutorConfig& cfg) {
  const std::string& b = cfg.backend;
  if (b == "reference") return make_reference_executor(m);
  if (b == "cpu") {
#ifdef RNNJIT_HAVE_LLVM
    return make_cpu_executor(m, cfg);
#else
    throw std::runtime_error(
        "backend 'cpu' is not in this build (configured with RNNJIT_WITH_LLVM=OFF)");
#endif
  }
  if (b == "cuda") {
#ifdef RNNJIT_HAVE_CUDA
    std::string why;
    if (!cuda_probe_device(&why))
      throw std::runtime_error("backend 'cuda': no usable CUDA device: " + why);
    return make_cuda_executor(m, cfg);
#else
    throw std::runtime_error(
        "backend 'cuda' is not in this build (configured with RNNJIT_WITH_CUDA=OFF)");
#endif
  }
  if (b == "auto") {
    ExecutorConfig c = cfg;
#ifdef RNNJIT_HAVE_CUDA
    std::string why;
    if (cuda_probe_device(&why)) {
      if (cfg.verbose) fmt::print(stderr, "rnnjit: backend auto -> cuda\n");
      c.backend = "cuda";
      return make_cuda_executor(m, c);
    }
    if (cfg.verbose) fmt::print(stderr, "rnnjit: no CUDA device ({}); ", why);
#endif
#ifdef RNNJIT_HAVE_LLVM
    if (cfg.verbose) fmt::print(stderr, "rnnjit: backend auto -> cpu (LLVM ORC JIT)\n");
    c.backend = "cpu";
    return make_cpu_executor(m, c);
#else
    if (cfg.verbose)
      fmt::print(stderr, "rnnjit: backend auto -> reference (float64 interpreter)\n");
    return make_reference_executor(m);
#endif
  }
  throw std::runtime_error(unknown_backend_message(b));
}

bool is_backend_name(const std::string& name) {
  return name == "reference" || name == "cpu" || name == "cuda" || name == "auto";
}

std::string unknown_backend_message(const std::string& name) {
  return "unknown backend '" + name + "' (expected reference, cpu, cuda or auto)";
}

}  // namespace rnnjit
