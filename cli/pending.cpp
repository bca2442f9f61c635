// Commands whose implementation has not landed in this build yet.
#include <fmt/core.h>

#include "cli/commands.hpp"

namespace rnnjit::cli {

static int not_yet(const char* what) {
  fmt::print(stderr, "rnnjit {}: not available in this build yet\n", what);
  return 1;
}

int cmd_train(int, char**) { return not_yet("train"); }
int cmd_analyze(int, char**) { return not_yet("analyze"); }
int cmd_bench(int, char**) { return not_yet("bench"); }

}  // namespace rnnjit::cli
