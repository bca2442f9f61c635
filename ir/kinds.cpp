#include "ir/kinds.hpp"

#include <array>
#include <utility>

namespace rnnjit::ir {
namespace {

constexpr std::pair<Activation, std::string_view> kActivationNames[] = {
#define RNNJIT_ACTIVATION(Enum, spec_name) {Activation::Enum, spec_name},
#include "ir/activations.def"
#undef RNNJIT_ACTIVATION
};

constexpr std::array<std::pair<Noise, std::string_view>, 4> kNoiseNames{{
    {Noise::None, "none"},
    {Noise::Gamma, "gamma"},
    {Noise::Gauss, "gauss"},
    {Noise::PureGauss, "puregauss"},
}};

}  // namespace

std::string_view name(Activation a) {
  for (auto& [k, v] : kActivationNames)
    if (k == a) return v;
  return "?";
}

std::string_view name(Noise n) {
  for (auto& [k, v] : kNoiseNames)
    if (k == n) return v;
  return "?";
}

std::optional<Activation> parse_activation(std::string_view s) {
  for (auto& [k, v] : kActivationNames)
    if (v == s) return k;
  return std::nullopt;
}

std::optional<Noise> parse_noise(std::string_view s) {
  for (auto& [k, v] : kNoiseNames)
    if (v == s) return k;
  return std::nullopt;
}

const std::vector<Activation>& all_activations() {
  static const std::vector<Activation> all = [] {
    std::vector<Activation> v;
    for (auto& [k, _] : kActivationNames) v.push_back(k);
    return v;
  }();
  return all;
}

}  // namespace rnnjit::ir
