// rnnjit inputs | run | grad: random inputs, the forward pass, and the adjoint, file to file.
#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <random>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/memory_budget.hpp"
#include "runtime/core/params.hpp"
#include "runtime/core/safetensors.hpp"

namespace rnnjit::cli {

namespace {

void add_backend_options(cxxopts::Options& options) {
  options.add_options()("spec", "model spec (YAML)", cxxopts::value<std::string>())(
      "params", "parameters (.safetensors), e.g. from 'rnnjit init'",
      cxxopts::value<std::string>())(
      "inputs", "run inputs (.safetensors): r0 [B,N], each gate [B,T,K], each input [B,T,I]",
      cxxopts::value<std::string>())("o,output", "output file (.safetensors)",
                                     cxxopts::value<std::string>())(
      "backend", "reference | cpu | cuda | auto",
      cxxopts::value<std::string>()->default_value("auto"))(
      "precision", "fp32 | fp64 (cpu) | tf32 | bf16 (cuda)", cxxopts::value<std::string>())(
      "steps", "T, for a cell with no gate or input to fix it", cxxopts::value<std::string>())(
      "noise-seed", "seed of the spike-noise generator",
      cxxopts::value<uint64_t>()->default_value("0"));
  options.parse_positional({"spec"});
  options.positional_help("SPEC");
}

struct Loaded {
  ModelSpec spec;
  ir::Module module;
  TensorMap params, inputs;
  std::unique_ptr<CellExecutor> exec;
  RunOptions opt;
};

// T of a run: the gate and input tensors fix it; --steps only for a cell that has neither.
int64_t run_steps(const cxxopts::ParseResult& r, const Loaded& l) {
  const bool driven = !l.spec.gates.empty() || !l.spec.inputs.empty();
  if (r.count("steps") && driven)
    throw UsageError("--steps applies to a cell with no gate or input; " + l.spec.path +
                     "'s T comes from its gate and input tensors");
  if (driven) {
    const std::string& first = !l.spec.gates.empty() ? l.spec.gates[0].name : l.spec.inputs[0].name;
    auto it = l.inputs.find(first);
    return it != l.inputs.end() && it->second.rank() >= 2 ? it->second.dim(1) : 0;
  }
  const int64_t t = integer_flag(r, "steps", 1).value_or(-1);
  if (t < 0)
    throw UsageError("--steps is needed: " + l.spec.path + " has no gate or input to fix T");
  return t;
}

Loaded load(const cxxopts::ParseResult& r, const std::string& command) {
  Loaded l;
  l.spec = parse_spec_file(positional_spec(r, command));
  l.module = compile_module(l.spec);
  l.params = read_safetensors(required(r, "params"));
  check_params(l.module, l.params, "--params " + r["params"].as<std::string>());
  l.inputs = read_safetensors(required(r, "inputs"));
  const int64_t steps = run_steps(r, l);
  const bool driven = !l.spec.gates.empty() || !l.spec.inputs.empty();
  l.opt.steps = driven ? -1 : steps;  // the gate and input tensors fix T themselves
  const Tensor& r0 = require(l.inputs, "r0", "--inputs " + r["inputs"].as<std::string>());
  // r, its cotangent and the forward's saved state, in float64 at most.
  check_fits_in_memory(static_cast<double>(r0.rank() ? r0.dim(0) : 0) * static_cast<double>(steps) *
                           static_cast<double>(l.spec.neurons) * 8 * 4,
                       "a run of this batch and length");
  ExecutorConfig cfg;
  cfg.backend = backend_option(r);
  cfg.precision = r.count("precision") ? r["precision"].as<std::string>() : l.spec.precision;
  cfg.verbose = true;
  l.exec = make_executor(l.module, cfg);
  if (r.count("precision") && l.exec->backend() == "reference" && cfg.precision != "fp64")
    throw UsageError("--precision " + cfg.precision +
                     " does not apply to the reference backend, which computes in float64");
  l.opt.noise_seed = r["noise-seed"].as<uint64_t>();
  return l;
}

double l2(const Tensor& t) {
  double s = 0;
  for (int64_t i = 0; i < t.numel(); ++i) s += t.at_f64(i) * t.at_f64(i);
  return std::sqrt(s);
}

// The reference backend's float64 results are written as F64; the others' in their own dtype.
void write_outputs(const std::string& path, const TensorMap& out, const CellExecutor& exec) {
  write_safetensors(path, out, {{"backend", exec.backend()}, {"device", exec.device()}});
}

}  // namespace

int cmd_inputs(int argc, char** argv) {
  return guarded("inputs", [&] {
    cxxopts::Options options(
        "rnnjit inputs",
        "Write random run inputs for a spec: r0 [B,N] uniform in (0,1), each gate [B,T,K] "
        "uniform in (0,1), each input [B,T,I] standard normal; optionally a random cotangent.");
    options.add_options()("spec", "model spec (YAML)", cxxopts::value<std::string>())(
        "batch", "B", cxxopts::value<std::string>()->default_value("8"))(
        "steps", "T", cxxopts::value<std::string>()->default_value("20"))(
        "seed", "random seed", cxxopts::value<uint64_t>()->default_value("1"))(
        "o,output", "inputs file (.safetensors)", cxxopts::value<std::string>())(
        "cotangent", "also write a random cotangent r [B,T,N] to this file",
        cxxopts::value<std::string>());
    options.parse_positional({"spec"});
    options.positional_help("SPEC");
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;
    ModelSpec spec = parse_spec_file(positional_spec(r, "inputs"));
    const int64_t b = *integer_flag(r, "batch", 1), t = *integer_flag(r, "steps", 1);
    const int64_t n = spec.neurons;
    int64_t per_step = 0;  // channels drawn per trial and step
    for (auto& g : spec.gates) per_step += g.size;
    for (auto& in : spec.inputs) per_step += in.size;
    if (r.count("cotangent")) per_step += n;
    // Each tensor is drawn in memory and then serialised: twice its float32 size.
    check_fits_in_memory(
        (static_cast<double>(b) * static_cast<double>(t) * static_cast<double>(per_step) +
         static_cast<double>(b) * static_cast<double>(n)) *
            4 * 2,
        fmt::format("--batch {} --steps {}", b, t));
    std::mt19937_64 rng(r["seed"].as<uint64_t>());
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    auto make = [&](std::vector<int64_t> shape, bool gaussian) {
      Tensor x(DType::F32, std::move(shape));
      for (float& v : x.span<float>()) v = gaussian ? normal(rng) : unit(rng);
      return x;
    };
    TensorMap inputs;
    inputs["r0"] = make({b, n}, false);
    for (auto& g : spec.gates) inputs[g.name] = make({b, t, g.size}, false);
    for (auto& in : spec.inputs) inputs[in.name] = make({b, t, in.size}, true);
    write_safetensors(required(r, "output"), inputs);
    fmt::print("wrote {} (B={}, T={})\n", r["output"].as<std::string>(), b, t);
    if (r.count("cotangent")) {
      TensorMap c;
      c["r"] = make({b, t, n}, true);
      write_safetensors(r["cotangent"].as<std::string>(), c);
      fmt::print("wrote {}\n", r["cotangent"].as<std::string>());
    }
    return kExitOk;
  });
}

int cmd_run(int argc, char** argv) {
  return guarded("run", [&] {
    cxxopts::Options options("rnnjit run",
                             "Run the forward pass over T steps; writes r [B,T,N] = r_1..r_T.");
    add_backend_options(options);
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;
    const std::string out = required(r, "output");
    Loaded l = load(r, "run");
    auto t0 = std::chrono::steady_clock::now();
    Tensor states = l.exec->forward(l.params, l.inputs, l.opt);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_outputs(out, {{"r", states}}, *l.exec);
    fmt::print("{}: r {} |r|_2 = {:.6g}  forward {:.3f} ms (JIT {:.3f} s) on {}\nwrote {}\n",
               l.exec->backend(), states.shape_str(), l2(states), secs * 1e3,
               l.exec->compile_seconds(), l.exec->device(), out);
    return kExitOk;
  });
}

int cmd_grad(int argc, char** argv) {
  return guarded("grad", [&] {
    cxxopts::Options options(
        "rnnjit grad",
        "Gradients of L = sum(C * r) for every learned parameter (by name), r0, and every "
        "gate and input (by name).");
    add_backend_options(options);
    options.add_options()("cotangent", "C: a file holding r [B,T,N] = dL/dr_t",
                          cxxopts::value<std::string>());
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;
    const std::string out = required(r, "output");
    Loaded l = load(r, "grad");
    TensorMap cot = read_safetensors(required(r, "cotangent"));
    const Tensor& c = require(cot, "r", "--cotangent " + r["cotangent"].as<std::string>());
    auto t0 = std::chrono::steady_clock::now();
    Tensor states = l.exec->forward(l.params, l.inputs, l.opt);
    check_shape("r (cotangent)", c, states.shape());
    TensorMap grads = l.exec->backward(c);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double loss = 0;
    for (int64_t i = 0; i < c.numel(); ++i) loss += c.at_f64(i) * states.at_f64(i);
    write_outputs(out, grads, *l.exec);
    fmt::print("{}: L = sum(C * r) = {:.9g}  forward+backward {:.3f} ms on {}\n", l.exec->backend(),
               loss, secs * 1e3, l.exec->device());
    for (auto& [name, g] : grads)
      fmt::print("  d{:<10} {:<14} |.|_2 = {:.6g}\n", name, g.shape_str(), l2(g));
    fmt::print("wrote {}\n", out);
    return kExitOk;
  });
}

}  // namespace rnnjit::cli
