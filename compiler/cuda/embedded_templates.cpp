#include "compiler/cuda/embedded_templates.hpp"

#include <stdexcept>
#include <string>

namespace rnnjit::cuda {

std::string_view template_text(std::string_view name) {
  for (const EmbeddedTemplate& t : embedded_templates())
    if (name == t.name) return t.text;
  throw std::logic_error("CUDA template '" + std::string(name) + "' is not embedded in this build");
}

std::string unit_text(std::string_view name) {
  std::string out(template_text(name));
  for (size_t at; (at = out.find("#pragma once\n")) != std::string::npos;) out.erase(at, 13);
  for (size_t at; (at = out.find("#include")) != std::string::npos;) {
    const size_t end = out.find('\n', at);
    out.erase(at, end == std::string::npos ? std::string::npos : end - at + 1);
  }
  return out;
}

}  // namespace rnnjit::cuda
