// Parameter initialisation from the spec: one tensor per named term (Wo [N,N], Wa [K,N,N], B [N,I],
// bias [N]) plus the buffer tau [N] when the leak is per neuron.
#pragma once

#include <cstdint>

#include "compiler/spec.hpp"
#include "ir/module.hpp"
#include "runtime/core/tensor.hpp"

namespace rnnjit {

// Initialisers (RecurrentTerm::init / InputTerm::init):
//   normal       N(0, s^2), s = init_scale or 1/sqrt(N) (fan-in); |.| when the term is non-negative
//   zeros        all zero
//   ring_cosine  W[i][j] = s * cos(2 pi (i - j) / N), s = init_scale or 1 (gated banks: channel k
//                shifted by 2 pi k / K, the seed's "perfect" rotation weights)
//   identity     s * I
// tau (per-neuron leak): log-uniform in [tau_min, tau_max), sorted ascending within each Dale
// population (excitatory first), or over all neurons without Dale's law.
// Deterministic in `seed`. Returns float64 tensors.
TensorMap init_params(const ModelSpec& spec, const ir::Module& m, uint64_t seed);

// The expected shape of every Param and Buffer value of the module, by name (B and T unbound).
std::map<std::string, std::vector<int64_t>> param_shapes(const ir::Module& m);

// Checks that `params` has every Param/Buffer with the right shape; throws ShapeError naming the
// tensor and both shapes, or the missing name.
void check_params(const ir::Module& m, const TensorMap& params, const std::string& where);

// Number of excitatory neurons of the first Dale term (0 if none): populations for sorting tau.
int64_t excitatory_count(const ModelSpec& spec);

}  // namespace rnnjit
