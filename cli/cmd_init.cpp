// rnnjit init SPEC --seed S -o params.safetensors
#include <fmt/core.h>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "compiler/lower.hpp"
#include "runtime/core/params.hpp"
#include "runtime/core/safetensors.hpp"

namespace rnnjit::cli {

int cmd_init(int argc, char** argv) {
  return guarded("init", [&] {
    cxxopts::Options options("rnnjit init",
                             "Write initial parameters for a spec: one tensor per named term.");
    options.add_options()("spec", "model spec (YAML)", cxxopts::value<std::string>())(
        "seed", "random seed", cxxopts::value<uint64_t>()->default_value("0"))(
        "dtype", "F32 (default) or F64", cxxopts::value<std::string>()->default_value("F32"))(
        "o,output", "output file (.safetensors)", cxxopts::value<std::string>());
    options.parse_positional({"spec"});
    options.positional_help("SPEC");
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;
    ModelSpec spec = parse_spec_file(positional_spec(r, "init"));
    const std::string out = required(r, "output");
    const std::string dtype = r["dtype"].as<std::string>();
    if (dtype != "F32" && dtype != "F64")
      throw UsageError("--dtype must be F32 or F64, got '" + dtype + "'");
    ir::Module m = compile_module(spec);
    TensorMap params = init_params(spec, m, r["seed"].as<uint64_t>());
    for (auto& [name, t] : params) t = t.to(dtype == "F32" ? DType::F32 : DType::F64);
    write_safetensors(out, params,
                      {{"spec", spec.name}, {"seed", std::to_string(r["seed"].as<uint64_t>())}});
    for (auto& [name, t] : params)
      fmt::print("{:<8} {} {}\n", name, t.shape_str(), rnnjit::name(t.dtype()));
    fmt::print("wrote {}\n", out);
    return kExitOk;
  });
}

}  // namespace rnnjit::cli
