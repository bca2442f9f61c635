// Helpers for the training tests: a ring spec built in code, temporary folders, FD checks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "compiler/spec.hpp"
#include "runtime/core/tensor.hpp"

namespace rnnjit::train::testing {

// The examples/ring.yaml cell (J0 = -0.1 uniform, 0.1 Wo dense, Wa gated by `actions`), N and K
// chosen.
ModelSpec ring_spec(int64_t n, int64_t k);

// A fresh empty folder under the system temp dir, unique per call.
std::string temp_dir(const std::string& tag);

// Relative L2 error ||a - b|| / max(||b||, tiny).
double rel_error(const std::vector<double>& a, const std::vector<double>& b);

// Central finite differences of f with respect to every element of x (modified in place and
// restored).
std::vector<double> finite_difference(std::vector<double>& x, const std::function<double()>& f,
                                      double h);

std::vector<double> values(const Tensor& t);  // as float64

}  // namespace rnnjit::train::testing
