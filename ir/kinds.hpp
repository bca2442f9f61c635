// Enumerations shared by the spec, the IR and every backend.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnjit::ir {

// phi in DESIGN.md section 2. Each has a hand-written derivative next to its definition
// (compiler/activation_math.hpp is the float64 source of truth; the CUDA and LLVM backends mirror it).
enum class Activation {
  Relu,        // max(x, 0)
  Gelu,        // x * Phi(x), exact erf form
  GeluTanh,    // tanh approximation of GELU
  Tanh,        // tanh(x)
  Silu,        // x * sigmoid(x)
  Softplus,    // log(1 + e^x)
  Saturating,  // (S/2) (1 + tanh(0.14 x - 4.2)), S = rate (vwm_rnn)
  PowerLaw,    // 0.18 * max(x - 10, 1e-10)^1.7 (vwm_rnn with saturation rate <= 0)
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
const std::vector<Activation>& all_activations();

}  // namespace rnnjit::ir
