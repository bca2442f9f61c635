// Model specs for the CUDA backend tests, built in C++ (no YAML) so the tests exercise every
// combination the kernels specialise on: N, gate count K, activation, scalar or per-neuron alpha,
// Dale's law, bias, an input term and spike noise.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "compiler/activation_table.hpp"
#include "compiler/lower.hpp"
#include "compiler/spec.hpp"

namespace rnnjit::cuda_test {

struct SpecOptions {
  int64_t n = 16;
  int64_t k = 3;  // gate channels of the gated bank (0: no gated term)
  ir::Activation act = ir::Activation::Relu;
  bool vector_alpha = false;
  bool learn_tau = false;
  bool dale = false;
  bool bias = false;
  int64_t inputs = 0;  // input width (0: no input term)
  bool uniform = true;
  bool dense = true;
  ir::Noise noise = ir::Noise::None;  // spike noise z = nu(r_prev)
  double noise_factor = 0.05;

  std::string label() const;
};

ModelSpec make_spec(const SpecOptions& o);
inline ir::Module make_module(const SpecOptions& o) {
  return compile_module(make_spec(o));
}

inline SpecOptions& spec_of(SpecOptions& o) {
  return o;
}
template <class Case>
SpecOptions& spec_of(Case& c) {
  return c.spec;
}

// `shapes` (SpecOptions, or cases holding one as `spec`) with the activations of
// ir/activations.def assigned in turn, the shapes repeated until every activation has one: the
// tests cover an activation without naming it. An activation that bends away from 0
// (act_domain(a).offset != 0) gets a bias, which random_params() puts where it bends.
template <class Case>
std::vector<Case> cycle_activations(const std::vector<Case>& shapes) {
  const std::vector<ir::Activation>& acts = ir::all_activations();
  std::vector<Case> out;
  for (size_t i = 0; i < std::max(shapes.size(), acts.size()); ++i) {
    Case c = shapes[i % shapes.size()];
    SpecOptions& o = spec_of(c);
    o.act = acts[i % acts.size()];
    o.bias = o.bias || act_domain(o.act).offset != 0.0;
    out.push_back(c);
  }
  return out;
}

}  // namespace rnnjit::cuda_test

#include <random>

#include "runtime/core/tensor.hpp"

namespace rnnjit::cuda_test {

// Fresh random parameters for every Param and Buffer of `m` (float64): weights N(0, 1/N) (|.| when
// non-negative), tau in [20, 200), bias N(0, 0.1), or for an activation that bends away from 0
// uniform in [offset - 3, offset + 1] around act_domain(act).offset (the power law's [9, 13]
// straddles its threshold at 10, so that gradients flow).
TensorMap random_params(const ir::Module& m, ir::Activation act, std::mt19937_64& rng);
// r0 in [0, 1) (in [0.2, 1.5) with `positive_rates`, for spike noise, which models non-negative
// rates), gates N(0, 1), inputs in [0, 1): [B,N], [B,T,K], [B,T,I].
TensorMap random_inputs(const ir::Module& m, int64_t batch, int64_t steps, std::mt19937_64& rng,
                        bool positive_rates = false);
Tensor random_cotangent(int64_t batch, int64_t steps, int64_t n, std::mt19937_64& rng);
// `count` floats N(0, sd^2) (what a gradient buffer on the device might hold).
std::vector<float> random_floats(size_t count, std::mt19937_64& rng, double sd);

// ||a - b|| / ||b|| over all elements (0 when both are zero; any NaN gives +inf).
double rel_l2(const Tensor& a, const Tensor& b);

}  // namespace rnnjit::cuda_test
