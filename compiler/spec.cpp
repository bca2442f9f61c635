#include "compiler/spec.hpp"

namespace rnnjit {

std::string SourceLoc::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

SpecError::SpecError(SourceLoc loc, const std::string& message)
    : std::runtime_error(loc.str() + ": error: " + message), loc_(std::move(loc)), message_(message) {}

const GateSpec* ModelSpec::find_gate(const std::string& n) const {
  for (auto& g : gates)
    if (g.name == n) return &g;
  return nullptr;
}

const InputSpec* ModelSpec::find_input(const std::string& n) const {
  for (auto& i : inputs)
    if (i.name == n) return &i;
  return nullptr;
}

}  // namespace rnnjit
