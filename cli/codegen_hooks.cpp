#include "cli/codegen_hooks.hpp"

#include <stdexcept>

#include "cli/common.hpp"
#ifdef RNNJIT_HAVE_LLVM
#include "compiler/cpu/cpu_codegen.hpp"
#endif
#ifdef RNNJIT_HAVE_CUDA
#include "compiler/cuda/cuda_codegen.hpp"
#include "runtime/cuda/nvrtc_compile.hpp"
#endif

namespace rnnjit::cli {

std::string emit_backend_code(const ir::Module& m, const std::string& emit, const std::string& arch,
                              const std::string& precision) {
  if (emit == "llvm" || emit == "asm") {
#ifdef RNNJIT_HAVE_LLVM
    return emit == "llvm" ? emit_cpu_llvm_ir(m, precision) : emit_cpu_asm(m, precision);
#else
    throw UsageError("--emit " + emit +
                     " needs the cpu backend, which this build lacks (RNNJIT_WITH_LLVM=OFF)");
#endif
  }
#ifdef RNNJIT_HAVE_CUDA
  // NVRTC needs no GPU: PTX and cubin can be produced on any machine with the toolkit's libnvrtc.
  std::string source = emit_cuda_source(m, precision);
  if (emit == "cuda") return source;
  std::string log;
  return nvrtc_compile(source, arch, emit == "cubin", &log);
#else
  (void)m;
  (void)arch;
  (void)precision;
  throw UsageError("--emit " + emit +
                   " needs the cuda backend, which this build lacks (RNNJIT_WITH_CUDA=OFF)");
#endif
}

}  // namespace rnnjit::cli
