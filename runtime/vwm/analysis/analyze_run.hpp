// `rnnjit analyze`: the analyses of a trained VWM run folder (issue 6), on its config.json and a
// checkpoint (the newest unless one is named).
//
//   errors        per set size k of item_num: a fresh batch of `trials` trials of set size k, the
//                 cell forward with spike noise, the training readout and decoder (vwm_loss), the
//                 angular errors of the present items -> circular statistics and the von Mises +
//                 uniform and Gaussian + uniform fits (analysis_circular.hpp).
//                 Writes errors.json and error_hist.png (one panel per set size: the histogram
//                 as a density with both fitted mixtures over it).
//   snr           per set size: the seed's SNR batch (make_snr_batch: one stimulus repeated over
//                 `trials` trials), forward with noise, snr_from_rates. Writes snr.json and
//                 snr_vs_set_size.png.
//   fixed-points  fpf_trials trials of the task run without noise; fpf_N_init states of each drawn
//                 from its delay period (plus N(0, fpf_noise_scale^2) jitter) start the search of
//                 find_fixed_points on f(x) = one noise-free step of the cell from r0 = x with zero
//                 input, its VJP from the cell's backward pass of that step (the gradient for
//                 "r0"). Options from fpf_hps (fpf_options). Writes fixed_points.json and
//                 fixed_points_pca.png (the trajectories in their first two principal components
//                 with the fixed points marked stable / unstable).
//
// Backends: errors and snr default to "auto", which here means cuda when there is a device, else
// cpu when built with LLVM, else the reference; fixed points default to the float64 reference
// (q_tol 1e-12 needs fp64; an explicit cpu backend runs in fp64). AnalyzeOptions::backend
// overrides both. Every draw is a pure function of AnalyzeOptions::seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/executor.hpp"
#include "runtime/core/tensor.hpp"
#include "runtime/vwm/analysis/circular_stats.hpp"
#include "runtime/vwm/analysis/fixed_point_finder.hpp"
#include "runtime/vwm/analysis/snr_stats.hpp"
#include "runtime/vwm/vwm_config.hpp"

namespace rnnjit::vwm {

struct AnalyzeOptions {
  std::vector<std::string> what = {"errors", "snr", "fixed-points"};
  std::string checkpoint;     // "": the newest checkpoint of the run folder
  int64_t trials = 1000;      // per set size (errors and snr)
  std::string backend;        // "": the defaults above; reference | cpu | cuda | auto
  uint64_t seed = 0;          // batches, noise, initial states
  std::string out_dir;        // "": <run>/analysis
  bool figures = true;        // PNGs
  int loss_threads = 0;       // vwm_loss threads (0: all cores)
  int64_t fp_max_iters = -1;  // -1: fpf_hps.max_iters
};

// The analysis names accepted in AnalyzeOptions::what.
const std::vector<std::string>& analysis_names();

// A run folder, loaded: its settings and the cell's parameters and readout of one checkpoint.
struct LoadedRun {
  std::string run_dir;
  VwmConfig config;
  std::string checkpoint;  // the file
  int64_t step = 0;
  TensorMap params;  // W, B, tau (whatever the cell's module needs) and F, float64
};

// Throws SpecError (missing or bad config.json, a run folder that does not exist) or
// std::runtime_error (no checkpoint, a checkpoint that lacks a tensor or has the wrong shape).
LoadedRun load_run(const std::string& run_dir, const std::string& checkpoint = "");

// The backend an analysis runs on: `requested` ("" or "auto" for the default). The default is the
// float64 reference for the fixed-point search (`fixed_points`: it converges to 1e-12, which
// float32 cannot), else cuda when there is a device, else cpu, else reference. The fixed points
// refuse cuda (float32 only) with a message.
std::string analysis_backend(const std::string& requested, bool fixed_points);

struct ErrorGroup {
  int64_t set_size = 0;
  int64_t trials = 0;
  std::vector<double> errors;  // wrapped angular errors of the present items, rad
  double mean_abs_error = 0;
  CircularStats stats;
  MixtureFit von_mises, gaussian;
};
struct ErrorAnalysis {
  std::string backend;
  std::vector<ErrorGroup> groups;  // one per set size of item_num, in its order
  std::vector<std::string> files;
  std::vector<std::string> summary;  // lines for a human
};
ErrorAnalysis analyze_errors(const LoadedRun& run, const AnalyzeOptions& opt);

struct SnrAnalysis {
  std::string backend;
  std::vector<SnrResult> results;  // one per set size of item_num
  std::vector<std::string> files;
  std::vector<std::string> summary;
};
SnrAnalysis analyze_snr(const LoadedRun& run, const AnalyzeOptions& opt);

struct FixedPointAnalysis {
  std::string backend;
  int64_t initial_states = 0;
  FixedPointOptions options;
  FixedPointReport report;
  std::vector<std::string> files;
  std::vector<std::string> summary;
};
FixedPointAnalysis analyze_fixed_points(const LoadedRun& run, const AnalyzeOptions& opt);

// Runs opt.what in order on the loaded run; returns the summary lines of all of them (the files
// are written as each finishes). Unknown names throw std::invalid_argument.
std::vector<std::string> run_analyses(const LoadedRun& run, const AnalyzeOptions& opt);

// --- shared by the analyses ---
namespace detail {
std::string out_dir(const LoadedRun& run, const AnalyzeOptions& opt);  // created
// f(x) = one noise-free step of the cell from r0 = x with zero input (`exec` built from the cell
// without noise) and its VJP v^T df/dx from the backward pass of that step: what the fixed-point
// search minimises q(x) = 0.5 |x - f(x)|^2 with (gradient d - J^T d, d = x - f(x)). The callbacks
// keep references to `exec` and `params`.
FixedPointCallbacks cell_step_callbacks(CellExecutor& exec, const TensorMap& params, int64_t n,
                                        int64_t input_channels);
// The fields every analysis JSON starts with: run_dir, checkpoint, step, backend, seed.
nlohmann::json run_header(const LoadedRun& run, const std::string& backend, uint64_t seed);
uint64_t mix_seed(uint64_t seed, uint64_t tag, int64_t k);
// An executor of `backend` for module `m`; fp64 asks the cpu backend for float64.
std::unique_ptr<CellExecutor> make_cell_executor(const ir::Module& m, const std::string& backend,
                                                 bool fp64);
// The run's tensors that module `m` takes as parameters (checked).
TensorMap cell_params(const LoadedRun& run, const ir::Module& m);
}  // namespace detail

}  // namespace rnnjit::vwm
