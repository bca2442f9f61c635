#include "compiler/cuda/embedded_templates.hpp"

#include <stdexcept>
#include <string>

namespace rnnjit::cuda {

std::string_view template_text(std::string_view name) {
  for (const EmbeddedTemplate& t : embedded_templates())
    if (name == t.name) return t.text;
  throw std::logic_error("CUDA template '" + std::string(name) + "' is not embedded in this build");
}

}  // namespace rnnjit::cuda
