// rnnjit compile SPEC --emit ir|cuda|ptx|cubin|llvm|asm
#include <fmt/core.h>

#include <fstream>
#include <iostream>

#include "cli/codegen_hooks.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "compiler/lower.hpp"

namespace rnnjit::cli {

int cmd_compile(int argc, char** argv) {
  return guarded("compile", [&] {
    cxxopts::Options options("rnnjit compile",
                             "Lower a model spec to the IR and print it, or the generated code.");
    options.add_options()("spec", "model spec (YAML)", cxxopts::value<std::string>())(
        "emit", "what to print: ir, ir-unoptimized, cuda, ptx, cubin, llvm, asm",
        cxxopts::value<std::string>()->default_value("ir"))(
        "arch", "GPU architecture for ptx/cubin (e.g. sm_80, sm_90)",
        cxxopts::value<std::string>()->default_value("sm_90"))(
        "precision", "fp32 | tf32 | bf16 (cuda) | fp64 (cpu)", cxxopts::value<std::string>())(
        "o,output", "write to this file instead of standard output", cxxopts::value<std::string>());
    options.parse_positional({"spec"});
    options.positional_help("SPEC");
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;
    ModelSpec spec = parse_spec_file(positional_spec(r, "compile"));
    const std::string emit = r["emit"].as<std::string>();
    const std::string precision =
        r.count("precision") ? r["precision"].as<std::string>() : spec.precision;
    std::string text;
    if (emit == "ir") {
      text = ir::print(compile_module(spec));
    } else if (emit == "ir-unoptimized") {
      ir::Module m = lower(spec);
      ir::verify(m);
      text = ir::print(m);
    } else if (emit == "cuda" || emit == "ptx" || emit == "cubin" || emit == "llvm" ||
               emit == "asm") {
      text = emit_backend_code(compile_module(spec), emit, r["arch"].as<std::string>(), precision);
    } else {
      throw UsageError("unknown --emit '" + emit +
                       "' (ir, ir-unoptimized, cuda, ptx, cubin, llvm, asm)");
    }
    if (r.count("output")) {
      std::ofstream out(r["output"].as<std::string>(), std::ios::binary);
      if (!out) throw std::runtime_error("cannot write " + r["output"].as<std::string>());
      out << text;
    } else {
      if (emit == "cubin" && isatty(1)) throw UsageError("--emit cubin is binary: use -o FILE");
      std::cout << text;
    }
    return kExitOk;
  });
}

}  // namespace rnnjit::cli
