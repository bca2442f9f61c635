// Activation functions and their derivatives as LLVM IR on whole vectors: the expressions of
// compiler/activation_table.hpp, with each primitive of compiler/activation_expr.hpp mapped once.
#pragma once

#include <utility>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "ir/kinds.hpp"

namespace rnnjit::cpu {

// Returns {phi(s), phi'(s)} for a vector s of float or double. `rate` is the saturating S.
std::pair<llvm::Value*, llvm::Value*> emit_activation(llvm::IRBuilder<>& b, llvm::Module& m,
                                                      ir::Activation act, double rate,
                                                      llvm::Value* s, bool fp64);

}  // namespace rnnjit::cpu
