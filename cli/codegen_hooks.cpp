#include "cli/codegen_hooks.hpp"

#include <stdexcept>

#include "cli/common.hpp"

namespace rnnjit::cli {

std::string emit_backend_code(const ir::Module& m, const std::string& emit, const std::string& arch,
                              const std::string& precision) {
  (void)m;
  (void)arch;
  (void)precision;
  throw UsageError("--emit " + emit + " needs the " +
                   std::string(emit == "llvm" || emit == "asm" ? "cpu (RNNJIT_WITH_LLVM)" : "cuda (RNNJIT_WITH_CUDA)") +
                   " backend, which is not in this build");
}

}  // namespace rnnjit::cli
