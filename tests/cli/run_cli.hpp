// Runs the rnnjit binary as a user would (RNNJIT_BINARY, set by CMake) and captures what it prints:
// the helper the command-line tests share.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace rnnjit::test {

struct CliResult {
  int code;            // the exit status, -1 when the process did not exit normally
  std::string output;  // stdout and stderr together
};

inline CliResult run_rnnjit(const std::string& args) {
  const std::string cmd = std::string(RNNJIT_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, "cannot start: " + cmd};
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace rnnjit::test
