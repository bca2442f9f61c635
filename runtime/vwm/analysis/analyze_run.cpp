// Loading a run folder and dispatching the analyses; see vwm_analyze.hpp.
#include "runtime/vwm/analysis/analyze_run.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/params.hpp"
#include "runtime/core/seed_mix.hpp"
#include "runtime/train/checkpoint.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/vwm/vwm_config_io.hpp"

namespace rnnjit::vwm {

namespace fs = std::filesystem;

const std::vector<std::string>& analysis_names() {
  static const std::vector<std::string> names = {"errors", "snr", "fixed-points"};
  return names;
}

LoadedRun load_run(const std::string& run_dir, const std::string& checkpoint) {
  if (!fs::is_directory(run_dir))
    throw SpecError(SourceLoc{run_dir, 0, 0}, "run folder '" + run_dir + "' does not exist");
  LoadedRun run;
  run.run_dir = run_dir;
  const std::string cfg = run_dir + "/config.json";
  if (!fs::exists(cfg))
    throw SpecError(SourceLoc{cfg, 0, 0},
                    "run folder '" + run_dir +
                        "' has no config.json (train it with this version of rnnjit train)");
  run.config = load_vwm_config_json(cfg);
  if (checkpoint.empty()) {
    const auto latest = train::latest_checkpoint(run_dir);
    if (!latest) throw std::runtime_error("run folder '" + run_dir + "' has no checkpoint");
    run.checkpoint = *latest;
  } else {
    run.checkpoint = checkpoint;
    const bool step_number = std::all_of(checkpoint.begin(), checkpoint.end(),
                                         [](unsigned char ch) { return std::isdigit(ch) != 0; });
    if (step_number && !fs::exists(checkpoint)) {  // a step: its file in the run folder
      run.checkpoint = train::checkpoint_path(run_dir, std::stoll(checkpoint));
    } else if (!fs::exists(checkpoint) && fs::exists(run_dir + "/" + checkpoint))
      run.checkpoint = run_dir + "/" + checkpoint;
    if (!fs::exists(run.checkpoint))
      throw std::runtime_error("checkpoint '" + checkpoint + "' does not exist");
  }
  const train::Checkpoint ck = train::load_checkpoint(run.checkpoint);
  run.step = ck.step;
  const ModelSpec spec = to_model_spec(run.config);
  const ir::Module m = compile_module(spec);
  // The cell's tensors as the cell needs them, and the readout F beside them.
  check_params(m, ck.tensors, "checkpoint " + run.checkpoint);
  for (const auto& [name, shape] : param_shapes(m))
    run.params[name] = ck.tensors.at(name).to(DType::F64);
  const Tensor& f = require(ck.tensors, kReadoutName, "checkpoint " + run.checkpoint);
  check_shape("checkpoint " + run.checkpoint + ": " + kReadoutName, f,
              {run.config.output_channels(), run.config.num_neurons});
  run.params[kReadoutName] = f.to(DType::F64);
  return run;
}

std::string analysis_backend(const std::string& requested, bool fixed_points) {
  if (fixed_points && requested == "cuda")
    throw std::invalid_argument(
        "analyze fixed-points: the cuda backend runs in float32, too coarse for the search's "
        "1e-12 tolerance; use --backend reference or cpu (float64)");
  if (requested.empty() || requested == "auto") {
    if (fixed_points) return "reference";
    if (cuda_device_available()) return "cuda";
    return have_llvm_backend() ? "cpu" : "reference";
  }
  return requested;
}

std::vector<std::string> run_analyses(const LoadedRun& run, const AnalyzeOptions& opt) {
  for (const std::string& w : opt.what) {
    bool known = false;
    for (const std::string& n : analysis_names()) known = known || n == w;
    if (!known)
      throw std::invalid_argument("unknown analysis '" + w +
                                  "' (expected errors, snr, fixed-points or all)");
  }
  std::vector<std::string> lines;
  auto add = [&](const std::vector<std::string>& s) {
    lines.insert(lines.end(), s.begin(), s.end());
  };
  for (const std::string& w : opt.what) {
    if (w == "errors")
      add(analyze_errors(run, opt).summary);
    else if (w == "snr")
      add(analyze_snr(run, opt).summary);
    else
      add(analyze_fixed_points(run, opt).summary);
  }
  return lines;
}

namespace detail {

std::string out_dir(const LoadedRun& run, const AnalyzeOptions& opt) {
  const std::string d = opt.out_dir.empty() ? run.run_dir + "/analysis" : opt.out_dir;
  train::ensure_dir(d);
  return d;
}

nlohmann::json run_header(const LoadedRun& run, const std::string& backend, uint64_t seed) {
  nlohmann::json j;
  j["run_dir"] = run.run_dir;
  j["checkpoint"] = run.checkpoint;
  j["step"] = run.step;
  j["backend"] = backend;
  j["seed"] = seed;
  return j;
}

uint64_t mix_seed(uint64_t seed, uint64_t tag, int64_t k) {
  return splitmix64(splitmix64(splitmix64(seed) ^ tag) ^ static_cast<uint64_t>(k));
}

std::unique_ptr<CellExecutor> make_cell_executor(const ir::Module& m, const std::string& backend,
                                                 bool fp64) {
  ExecutorConfig cfg;
  cfg.backend = backend;
  if (fp64 && backend == "cpu") cfg.precision = "fp64";
  return make_executor(m, cfg);
}

TensorMap cell_params(const LoadedRun& run, const ir::Module& m) {
  TensorMap p;
  for (const auto& [name, shape] : param_shapes(m)) p[name] = require(run.params, name, "analyze");
  check_params(m, p, "analyze");
  return p;
}

}  // namespace detail

}  // namespace rnnjit::vwm
