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
  // Line by line: only a line that is a #pragma once or an #include directive goes.
  const std::string_view text = template_text(name);
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    end = end == std::string_view::npos ? text.size() : end + 1;
    const std::string_view line = text.substr(at, end - at);
    const size_t first = line.find_first_not_of(" \t");
    const std::string_view body = first == std::string_view::npos ? "" : line.substr(first);
    if (!(body.starts_with("#pragma once") || body.starts_with("#include"))) out += line;
    at = end;
  }
  return out;
}

}  // namespace rnnjit::cuda
