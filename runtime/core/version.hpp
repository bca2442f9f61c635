// The version of rnnjit, from the CMake project() (what `rnnjit --version` prints and every run's
// summary and checkpoints record).
#pragma once

namespace rnnjit {

const char* version();

}  // namespace rnnjit
