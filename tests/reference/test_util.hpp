// Shared pieces of the reference-backend tests: random draws, the cell configurations the tests
// sweep, ModelSpecs built from them in C++ (no YAML), and random parameters and inputs for a
// module.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "compiler/spec.hpp"
#include "ir/module.hpp"
#include "runtime/core/executor.hpp"

namespace rnnjit::reftest {

using Rng = std::mt19937_64;

std::vector<double> normal(Rng& rng, size_t count, double sd);
std::vector<double> uniform(Rng& rng, size_t count, double lo, double hi);

// One point of the sweep over the whole cell.
struct CellConfig {
  int64_t n = 7, k = 3, t = 5, b = 3;  // N neurons, K gate channels, T steps, B trials
  ir::Activation act = ir::Activation::Tanh;
  bool per_neuron_alpha = false;  // alpha = dt / tau (tau a learned buffer) instead of a scalar
  bool dale = false;              // the learned dense term obeys Dale's law
  bool bias = false;
  bool input = false;         // an input term W_in [N, K+1] from the input "stim"
  std::string label() const;  // "N7_K3_T5_B3_tanh_tau_dale_bias_input", a gtest-safe name
};

// The 16 combinations of the four feature switches, for activation `act` and the given shape.
std::vector<CellConfig> feature_combinations(CellConfig shape);

// The spec of DESIGN.md section 2 for `c`: a uniform term (-0.5 / N), a learned dense term "Wo"
// (scale 0.5, Dale's law when c.dale), a fixed dense term "Wf" (scale 0.3, not learned), a learned
// gated bank "Wa" over the gate "actions" (K channels), optionally the input term "Win" over the
// input "stim" (K+1 channels) and a learned bias.
ModelSpec make_spec(const CellConfig& c);

// An activation that bends away from 0 (act_domain(act).offset != 0: the power law, the saturating
// rate) always gets a bias: without one every unit would sit on the power law's flat floor (its
// kink is at 10), or on the saturating rate's tail around 0 where phi' ~ 4e-3 leaves gradients so
// small against L that finite differences measure rounding.
bool needs_bias(ir::Activation act);

struct CellData {
  TensorMap params;  // every Param and Buffer of the module
  TensorMap inputs;  // "r0" [B,N], "actions" [B,T,K], "stim" [B,T,K+1] when present
};

// Fresh random tensors for `m`: weights N(0, 1/sqrt(N)) (absolute values where non-negative),
// tau U(50, 300) ms, a bias placing pre-activations where phi bends (N(0, 0.5); U(11, 13) for the
// power law; U(20, 40) for the saturating rate), rates r0 U(0, 1), gates U(-1, 1), inputs U(0, 1).
CellData random_cell_data(const ir::Module& m, ir::Activation act, int64_t batch, int64_t steps,
                          Rng& rng);

// Draws cell data until no pre-activation of any step lies within `margin` of the activation's
// kink (relu, powerlaw), so central differences never straddle it. Fails the test (throws) after
// many tries.
CellData random_cell_data_off_kinks(const ir::Module& m, ir::Activation act, int64_t batch,
                                    int64_t steps, Rng& rng, double margin = 1e-3);

Tensor random_normal_tensor(Rng& rng, std::vector<int64_t> shape, double sd = 1.0);

// sum(c .* r) over all elements.
double dot(const Tensor& c, const Tensor& r);

}  // namespace rnnjit::reftest

namespace rnnjit::reftest {
// A seed that depends only on the test's label (FNV-1a), so every test draws its own inputs and a
// failure reproduces.
uint64_t seed_for(const std::string& label);
}  // namespace rnnjit::reftest
