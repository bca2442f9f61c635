#include "runtime/core/cache_directory.hpp"

#include <cstdlib>
#include <string>

namespace rnnjit {

std::optional<std::filesystem::path> kernel_cache_directory() {
  namespace fs = std::filesystem;
  if (const char* d = std::getenv("RNNJIT_CACHE_DIR"); d && *d) {
    if (std::string(d) == "off") return std::nullopt;
    return fs::path(d);
  }
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "rnnjit";
  if (const char* home = std::getenv("HOME"); home && *home)
    return fs::path(home) / ".cache" / "rnnjit";
  return std::nullopt;
}

}  // namespace rnnjit
