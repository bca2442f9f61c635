// rnnjit's public C++ API, part 2: training and analysing networks, as the `rnnjit train` and
// `rnnjit analyze` commands do, from a program.
//
//   rnnjit::TrainOptions o;
//   o.out_dir = "runs/ring";
//   o.settings = {{"steps", "500"}, {"batch", "32"}};   // the spec's `train:` keys
//   o.on_step = [](const rnnjit::TrainProgress& p) { ... p.step, p.loss ... };
//   rnnjit::TrainResult r = rnnjit::train_model(rnnjit::Spec::from_file("examples/ring.yaml"), o);
//   r.metrics["loss"]   // metrics.csv, column by column
//
// A run folder belongs to one run: a fresh run into a folder that holds another is a UsageError
// unless `overwrite`; resume_training() continues a run from its newest readable checkpoint. Both
// write metrics.csv, checkpoints, summary.json and (unless figures is false) PNG figures.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rnnjit/cell.hpp"

namespace rnnjit {

struct TrainProgress {
  int64_t step = 0;       // 1-based, counting resumed steps
  int64_t last_step = 0;  // the run's target
  double loss = 0;        // training loss of this step
  // Ring: the held-out circular error (rad) when this step evaluated, else NaN. VWM: the batch's
  // decoded error (rad), every step.
  double error = 0;
  double seconds = 0;  // training time of this call so far
};

struct TrainOptions {
  std::string out_dir;     // the run folder (required)
  bool overwrite = false;  // a fresh run may replace another run's files in out_dir (only those)
  // Overrides of the spec's `train:` section, by its keys, values as YAML scalars or flow lists
  // ("128", "1.0e-3", "[1, 2, 3]"). Checked like the spec itself. Not for resume_training().
  std::map<std::string, std::string> settings;
  std::optional<int64_t> steps;  // the last step (total, counting resumed ones)
  std::string backend = "auto";  // reference | cpu | cuda | auto
  bool figures = true;
  bool verbose = false;                                // the chosen backend, on stderr
  std::function<void(const TrainProgress&)> on_step;   // after every step, if set
  std::function<void(const std::string&)> on_warning;  // default: a line on stderr
};

struct TrainResult {
  std::string trainer;  // "ring" | "vwm"
  std::string run_dir, run_id, backend, device;
  int64_t start_step = 0, steps = 0;  // where this call began, and the step it reached
  double final_loss = 0;
  // metrics.csv by column (step, loss, ... as the trainer writes them); empty cells are NaN.
  std::map<std::string, std::vector<double>> metrics;
  std::string summary_json;  // summary.json as written
};

// A fresh run of `spec` into options.out_dir, by the spec's trainer (Spec::trainer()).
TrainResult train_model(const Spec& spec, const TrainOptions& options);
// A fresh run of a vwm_rnn config.yaml (read unchanged; keys rnnjit ignores reach on_warning).
TrainResult train_vwm_config(const std::string& config_path, const TrainOptions& options);
// Continues the run in `run_dir` with the spec stored in its checkpoint, to options.steps (which
// must lie beyond the checkpoint) or the run's own target.
TrainResult resume_training(const std::string& run_dir, const TrainOptions& options);

struct AnalyzeOptions {
  // errors (error distributions and mixture fits per set size), snr, fixed-points; empty: all.
  std::vector<std::string> what;
  int64_t trials = 1000;         // fresh trials per set size
  std::string backend = "auto";  // for errors and snr (fixed points run in float64)
  uint64_t seed = 0;
  bool figures = true;
};

struct AnalyzeResult {
  std::vector<std::string> summary;         // the lines `rnnjit analyze` prints
  std::map<std::string, std::string> json;  // "errors", "snr", "fixed-points" -> the file written
};

// The analyses of a trained VWM run folder; outputs go to <run_dir>/analysis.
AnalyzeResult analyze_run(const std::string& run_dir, const AnalyzeOptions& options = {});

}  // namespace rnnjit
