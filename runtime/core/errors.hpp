// Errors of the way a command was asked for, as opposed to errors in the data it reads: a run
// folder that already holds another run, a --steps that is behind the checkpoint, a flag that
// does not apply. The CLI prints them as "rnnjit CMD: <message>" and exits with 2, like SpecError
// and ShapeError; every other error exits with 1.
#pragma once

#include <stdexcept>

namespace rnnjit {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rnnjit
