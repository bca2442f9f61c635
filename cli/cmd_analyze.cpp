// rnnjit analyze RUN_DIR [--what errors,snr,fixed-points|all] [--checkpoint FILE] [--trials N]
//                        [--backend reference|cpu|cuda|auto] [--seed S] [--out DIR]
// The analyses of a trained VWM run folder (runtime/vwm/analysis/analyze_run.hpp): error
// distributions per set size, SNR per set size and the fixed points of the noise-free cell, as JSON
// and PNG files under RUN_DIR/analysis, with a short summary on stdout.
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "runtime/vwm/analysis/analyze_run.hpp"

namespace rnnjit::cli {

namespace {

std::vector<std::string> parse_what(const std::vector<std::string>& items) {
  // cxxopts splits a vector option at commas already; accept "a,b" and repeated flags alike.
  std::vector<std::string> out;
  for (const std::string& it : items) {
    if (it == "all") {
      for (const std::string& n : vwm::analysis_names())
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
      continue;
    }
    std::string name = it == "fixed_points" || it == "fixedpoints" ? "fixed-points" : it;
    const auto& names = vwm::analysis_names();
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw UsageError("--what: unknown analysis '" + it +
                       "' (expected errors, snr, fixed-points or all)");
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

}  // namespace

int cmd_analyze(int argc, char** argv) {
  return guarded("analyze", [&] {
    cxxopts::Options options(
        "rnnjit analyze",
        "Analyse a trained visual-working-memory run folder (from rnnjit train): error\n"
        "distributions per set size (circular statistics, von Mises / Gaussian + uniform fits),\n"
        "SNR per set size, fixed points of the noise-free cell with their stability. Writes\n"
        "JSON and PNG files to RUN_DIR/analysis (or --out).");
    options.add_options()("run_dir", "run folder", cxxopts::value<std::string>())(
        "what", "errors, snr, fixed-points (comma list) or all",
        cxxopts::value<std::vector<std::string>>()->default_value("all"))(
        "checkpoint", "checkpoint file or step (default: the newest in RUN_DIR)",
        cxxopts::value<std::string>())("trials", "trials per set size for errors and snr",
                                       cxxopts::value<int64_t>()->default_value("1000"))(
        "backend",
        "reference | cpu | cuda | auto (default: for errors and snr cuda when a device answers, "
        "else cpu when built with LLVM, else reference; the float64 reference for fixed points)",
        cxxopts::value<std::string>())("seed", "seed of batches, noise and initial states",
                                       cxxopts::value<uint64_t>()->default_value("0"))(
        "o,out", "output folder (default RUN_DIR/analysis)", cxxopts::value<std::string>())(
        "fp-iters", "fixed-point finder iterations (default: fpf_hps.max_iters of the config)",
        cxxopts::value<int64_t>())("no-figures", "write the JSON files only");
    options.parse_positional({"run_dir"});
    options.positional_help("RUN_DIR");
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;

    if (!r.count("run_dir"))
      throw UsageError("missing the run folder (e.g. rnnjit analyze runs/vwm)");
    const std::string run_dir = r["run_dir"].as<std::string>();
    if (!std::filesystem::is_directory(run_dir))
      throw UsageError("run folder '" + run_dir + "' does not exist");
    vwm::AnalyzeOptions opt;
    opt.what = parse_what(r["what"].as<std::vector<std::string>>());
    if (r.count("checkpoint")) opt.checkpoint = r["checkpoint"].as<std::string>();
    opt.trials = r["trials"].as<int64_t>();
    if (opt.trials < 2) throw UsageError("--trials must be at least 2");
    if (r.count("backend")) opt.backend = backend_option(r);
    opt.seed = r["seed"].as<uint64_t>();
    if (r.count("out")) opt.out_dir = r["out"].as<std::string>();
    if (r.count("fp-iters")) opt.fp_max_iters = r["fp-iters"].as<int64_t>();
    opt.figures = r.count("no-figures") == 0;

    const vwm::LoadedRun run = vwm::load_run(run_dir, opt.checkpoint);
    fmt::print("{}: checkpoint {} (step {})\n", run_dir, run.checkpoint, run.step);
    for (const std::string& line : vwm::run_analyses(run, opt)) fmt::print("{}\n", line);
    return kExitOk;
  });
}

}  // namespace rnnjit::cli
