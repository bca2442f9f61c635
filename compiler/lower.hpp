// Spec -> IR lowering and the IR passes.
#pragma once

#include "compiler/spec.hpp"
#include "ir/module.hpp"

namespace rnnjit {

// Straight lowering: one op per term, the uniform term as a dense product with a constant matrix.
ir::Module lower(const ModelSpec& spec);

// fold_uniform: matvec(constfill(c), z) -> rowsum(z) {value = c * scale}: O(N) instead of O(N^2).
// merge_bank:   all matvec / gatedmatvec terms on the same presynaptic rates -> one stacked bank
//               [M,N,N] applied by one bankmatvec with coefficient slots [scale.., g..].
// Both keep the module's meaning exactly (tests compare the reference backend before and after).
void fold_uniform(ir::Module& m);
void merge_bank(ir::Module& m);
void remove_dead(ir::Module& m);  // drops prologue ops whose results nothing reads

// lower + fold_uniform + merge_bank + remove_dead + verify: what every backend consumes.
ir::Module compile_module(const ModelSpec& spec);

}  // namespace rnnjit
