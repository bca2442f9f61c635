// rnnjit: compile RNN cell specs to specialised kernels, run them, differentiate them, train with
// them.
#include <fmt/core.h>

#include <cstring>
#include <string>

#include "cli/commands.hpp"
#include "runtime/core/version.hpp"

namespace {

struct Command {
  const char* name;
  int (*fn)(int, char**);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"compile", rnnjit::cli::cmd_compile,
     "lower a spec and print the IR or the generated code (--emit)"},
    {"init", rnnjit::cli::cmd_init, "write initial parameters for a spec (safetensors)"},
    {"inputs", rnnjit::cli::cmd_inputs, "write random run inputs (r0, gates, inputs) for a spec"},
    {"run", rnnjit::cli::cmd_run, "run the forward pass: r [B,T,N] from params and inputs"},
    {"grad", rnnjit::cli::cmd_grad, "gradients of L = sum(C * r) for every parameter and input"},
    {"train", rnnjit::cli::cmd_train, "train a network (the ring attractor, the VWM network)"},
    {"bench", rnnjit::cli::cmd_bench, "time the JIT kernels against the references"},
    {"analyze", rnnjit::cli::cmd_analyze, "analyse a trained VWM run: errors, SNR, fixed points"},
};

void usage() {
  fmt::print(
      "rnnjit: a codegen compiler for biologically constrained recurrent networks\n\n"
      "usage: rnnjit COMMAND [options]   (rnnjit COMMAND --help for its options)\n\ncommands:\n");
  for (auto& c : kCommands) fmt::print("  {:<9} {}\n", c.name, c.summary);
  fmt::print(
      "\nBackends: reference (float64 interpreter), cpu (LLVM ORC JIT), cuda (NVRTC), auto.\n"
      "Example: rnnjit train examples/ring.yaml --out runs/ring\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    fmt::print("rnnjit {}\n", rnnjit::version());
    return 0;
  }
  for (auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) {
      std::string self = std::string("rnnjit ") + c.name;
      argv[1] = self.data();
      return c.fn(argc - 1, argv + 1);
    }
  }
  fmt::print(stderr, "rnnjit: unknown command '{}'\n\n", argv[1]);
  usage();
  return 2;
}
