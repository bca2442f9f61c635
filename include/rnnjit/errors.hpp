// The errors rnnjit throws, by what went wrong (part of the public API):
//   SpecError   a model spec or config is wrong: "file:line:column: error: <message>";
//   ShapeError  a tensor has the wrong shape, or is missing (rnnjit/tensor.hpp);
//   UsageError  the way a call or command was asked for cannot be honoured (a run folder that
//               holds another run, --steps behind the checkpoint, an option that does not apply).
// Everything else (unreadable files, an unavailable backend, a diverged run) is a
// std::runtime_error with one line naming the file, tensor or option. All derive from
// std::runtime_error, and every message is one line meant for the user.
#pragma once

#include <stdexcept>
#include <string>

namespace rnnjit {

struct SourceLoc {
  std::string file;
  int line = 0;             // 1-based; 0 when unknown
  int column = 0;           // 1-based
  std::string str() const;  // "file:line:column" (just the file when the line is unknown)
};

class SpecError : public std::runtime_error {
 public:
  SpecError(SourceLoc loc, const std::string& message);
  const SourceLoc& loc() const { return loc_; }
  const std::string& message() const { return message_; }

 private:
  SourceLoc loc_;
  std::string message_;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rnnjit
