// `rnnjit train SPEC ...` for ring-attractor specs (one gate input driving a gated bank).
// argv[0] is "rnnjit train"; returns the exit code (0 ok, 2 bad input, 1 failure).
#pragma once

namespace rnnjit::cli {

int run_train_command(int argc, char** argv);

}  // namespace rnnjit::cli
