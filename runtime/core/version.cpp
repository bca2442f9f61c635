#include "runtime/core/version.hpp"

namespace rnnjit {

// RNNJIT_VERSION is defined for this file alone (runtime/CMakeLists.txt), so a new version
// recompiles one file.
const char* version() {
  return RNNJIT_VERSION;
}

}  // namespace rnnjit
