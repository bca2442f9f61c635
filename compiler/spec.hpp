// The model spec: what a user writes in YAML (examples/ring.yaml, examples/vwm.yaml), parsed and
// checked. Every field keeps where it came from so later stages can point back at the file.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "ir/kinds.hpp"
#include "rnnjit/errors.hpp"  // SourceLoc, SpecError

namespace rnnjit {

struct ActivationSpec {
  ir::Activation kind = ir::Activation::Relu;
  double rate = 60.0;  // saturating: S, the saturation firing rate
};

// r_t = (1 - alpha) r_{t-1} + alpha phi(s_t). Either one scalar alpha, or alpha_i = dt / tau_i with
// tau log-uniform in [tau_min, tau_max) (sorted within each Dale population), held as buffer "tau".
struct LeakSpec {
  bool per_neuron = false;
  double alpha = 1.0;  // scalar form
  double dt = 10.0;    // per-neuron form, ms
  double tau_min = 0, tau_max = 0;
  bool learn_tau = false;
  SourceLoc loc;
};

struct GateSpec {  // a per-trial, per-step gate input g[b,t,0..size)
  std::string name;
  int64_t size = 0;
  SourceLoc loc;
};

struct InputSpec {  // an external input u[b,t,0..size)
  std::string name;
  int64_t size = 0;
  SourceLoc loc;
};

enum class TermKind { Uniform, Dense, Gated };

// One recurrent term m of s_t = sum_m c_m (M_m z_t) + ...
struct RecurrentTerm {
  TermKind kind = TermKind::Dense;
  std::string name;       // parameter name (dense, gated); "" for uniform
  double value = 0.0;     // uniform: the constant c (c * sum_j z_j)
  double scale = 1.0;     // dense: W_eff is multiplied by scale
  bool learn = false;
  bool dale = false;      // W_eff = W .* D, D_j = +1 for the first `excitatory` fraction, else -1
  double excitatory = 0.5;
  bool nonnegative = false;  // projected to >= 0 after each optimiser step (implied by dale)
  std::string gated_by;   // gated bank: name of a GateSpec
  std::string init = "normal";  // initialiser name, see runtime/core/params.hpp
  double init_scale = -1;       // <0: default (1/sqrt(N) for normal)
  SourceLoc loc;
};

struct InputTerm {  // s += scale * W_in u_t, W_in [N, I]
  std::string name;
  std::string from;  // InputSpec name
  double scale = 1.0;
  bool learn = true;
  bool nonnegative = false;
  std::string init = "normal";
  double init_scale = -1;
  SourceLoc loc;
};

struct BiasSpec {
  bool enabled = false;
  bool learn = true;
  SourceLoc loc;
};

struct NoiseSpec {
  ir::Noise kind = ir::Noise::None;
  double factor = 0.0;  // k
  SourceLoc loc;
};

struct ModelSpec {
  int version = 1;
  std::string name;
  int64_t neurons = 0;
  ActivationSpec activation;
  LeakSpec leak;
  std::vector<GateSpec> gates;
  std::vector<InputSpec> inputs;
  std::vector<RecurrentTerm> recurrent;
  std::vector<InputTerm> input_terms;
  BiasSpec bias;
  NoiseSpec noise;
  std::string precision = "fp32";  // fp32 | tf32 | bf16 | fp64 (backend support varies)
  YAML::Node train;    // the `train:` section, interpreted by the trainers (null if absent)
  std::string path;    // file the spec came from
  std::string source;  // the text it was parsed from (a run stores it to resume without the file)

  const GateSpec* find_gate(const std::string& n) const;
  const InputSpec* find_input(const std::string& n) const;
};

// How many of n neurons a Dale term's excitatory fraction makes excitatory: int(fraction * n), the
// product truncated as vwm_rnn does in Python (for both its Dale signs and its per-population tau
// sorting), so a spec or config with an odd n trains the same split there and here.
inline int64_t excitatory_neurons(double fraction, int64_t n) {
  return static_cast<int64_t>(fraction * static_cast<double>(n));
}

// Parses and validates a spec. Throws SpecError naming file:line:column and the field.
ModelSpec parse_spec_file(const std::string& path);
ModelSpec parse_spec_string(const std::string& yaml, const std::string& path_for_messages = "<string>");

}  // namespace rnnjit
