// Entry points of the `rnnjit` subcommands. Each takes the arguments after the subcommand name
// (argv[0] is "rnnjit CMD") and returns the process exit code: 0 success, 2 bad input (a spec
// error, a shape mismatch, a bad flag), 1 anything else.
#pragma once

namespace rnnjit::cli {

int cmd_compile(int argc, char** argv);
int cmd_init(int argc, char** argv);
int cmd_inputs(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_grad(int argc, char** argv);
int cmd_train(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_analyze(int argc, char** argv);

}  // namespace rnnjit::cli
