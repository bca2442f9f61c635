// The version of rnnjit (part of the public API): the CMake project() version, what
// `rnnjit --version` prints and every run's summary and checkpoints record.
#pragma once

namespace rnnjit {

const char* version();

}  // namespace rnnjit
