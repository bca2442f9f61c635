// The CUDA kernel templates (templates/*.cuh), embedded in the binary at build time by
// compiler/cuda/embed_templates.cmake.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace rnnjit::cuda {

struct EmbeddedTemplate {
  const char* name;  // file name, e.g. "forward.cuh"
  const char* text;
};

std::span<const EmbeddedTemplate> embedded_templates();

// The text of one template by file name; throws std::logic_error if it is not embedded.
std::string_view template_text(std::string_view name);

// The same text ready to be pasted into one NVRTC unit: without its "#pragma once" and #include
// lines (one unit needs no guard, and NVRTC, which has no include path, would warn about the guard
// and look up the host-only <math.h> of the host-and-device headers).
std::string unit_text(std::string_view name);

}  // namespace rnnjit::cuda
