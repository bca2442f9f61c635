// The prologue of a cell (parameter-level ops: Dale mask, alpha from tau, stacking the bank) and
// its vector-Jacobian product, in plain float64 C++: it runs once per call, O(M N^2), so it does
// not need generated code.
#pragma once

#include <map>
#include <vector>

#include "ir/module.hpp"
#include "runtime/core/tensor.hpp"

namespace rnnjit::cpu {

using ValueMap = std::map<int, std::vector<double>>;  // value id -> row-major float64 data

// Every Param/Buffer the prologue reads (from `params`, shapes checked) and every prologue result.
ValueMap run_prologue(const ir::Module& m, const TensorMap& params);

// Given cotangents of prologue results in `grads` (e.g. the bank, alpha), accumulates the
// cotangents of their operands, walking the prologue backwards. `values` is run_prologue's output.
void prologue_vjp(const ir::Module& m, const ValueMap& values, ValueMap& grads);

}  // namespace rnnjit::cpu
