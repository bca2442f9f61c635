// The code generators behind `rnnjit compile --emit cuda|ptx|cubin|llvm|asm`, each present only
// when its backend is built; the message says which build option to turn on otherwise.
#pragma once

#include <string>

#include "ir/module.hpp"

namespace rnnjit::cli {

std::string emit_backend_code(const ir::Module& m, const std::string& emit, const std::string& arch,
                              const std::string& precision);

}  // namespace rnnjit::cli
