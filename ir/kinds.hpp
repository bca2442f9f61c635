// Enumerations shared by the spec, the IR and every backend.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnjit::ir {

// The activation phi: one enumerator per line of ir/activations.def, in its order. What each one
// computes is defined once, in compiler/activation_table.hpp.
enum class Activation {
#define RNNJIT_ACTIVATION(Enum, spec_name) Enum,
#include "ir/activations.def"
#undef RNNJIT_ACTIVATION
};

// nu in DESIGN.md section 2: spike noise applied to the presynaptic rates.
enum class Noise {
  None,
  Gamma,      // z ~ Gamma(shape max(r lam, 1e-10), rate lam), lam = (dt/1000)/k^2
  Gauss,      // relu(r + k sqrt(r*1000/dt + 1e-10) eps)
  PureGauss,  // relu(r + 15 k eps)
};

std::string_view name(Activation a);
std::string_view name(Noise n);
std::optional<Activation> parse_activation(std::string_view s);
std::optional<Noise> parse_noise(std::string_view s);
// Every activation, in the order of ir/activations.def.
const std::vector<Activation>& all_activations();

}  // namespace rnnjit::ir
