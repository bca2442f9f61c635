// The VWM training loop: the iteration recipe of vwm_loss.hpp / vwm_task.hpp driven by
// runtime/train's Adam, checkpoints and metrics.
//
// Iteration k (1-based): batch = make_batch(c, batch_seed(seed, k)); r = cell forward with
// noise_seed(seed, k); loss, e_t and dF from vwm_loss; cell backward(e_t); Adam over W, B and F
// (no gradient clipping, as the seed), then W >= 0 (dales_law) and B >= 0 (positive_input) by
// projection. Every draw is a pure function of (seed, k), so a resumed run repeats exactly what an
// uninterrupted one would have done.
//
// Schedules, on the training loss of every iteration:
//   ReduceLROnPlateau (PyTorch defaults: mode min, relative threshold 1e-4, no cooldown): after
//     more than adaptive_lr_patience iterations without improvement, lr *= 0.5;
//   early stopping: after early_stop_patience iterations without improvement of the best loss.
//
// Output folder (out_dir, default runs/<model_name(c)>):
//   metrics.csv       every logging_period iterations (and the last): step, loss, error term,
//                     eval error (rad), activity, lr, then error_ss<k> and activity_ss<k> per set
//                     size k of item_num
//   checkpoint-<k>.safetensors  every logging_period iterations and at the end: W, B, tau, F, the
//                     Adam moments, and the scheduler and early-stopping state in the metadata
//   summary.json      the run's final numbers
//   *.png             figures (vwm_figures.hpp) unless disabled
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/tensor.hpp"
#include "runtime/train/step_report.hpp"
#include "runtime/vwm/vwm_config.hpp"
#include "runtime/vwm/vwm_loss.hpp"

namespace rnnjit::vwm {

// ReduceLROnPlateau in mode "min" with PyTorch's defaults (threshold 1e-4 relative, cooldown 0,
// min_lr 0). step() returns true when it reduced the rate.
class PlateauScheduler {
 public:
  PlateauScheduler(double lr, double factor, int64_t patience)
      : lr_(lr), factor_(factor), patience_(patience) {}
  bool step(double loss);
  double lr() const { return lr_; }
  double best() const { return best_; }
  int64_t bad_steps() const { return bad_; }
  void restore(double lr, double best, int64_t bad) {
    lr_ = lr;
    best_ = best;
    bad_ = bad;
  }

 private:
  double lr_, factor_;
  int64_t patience_;
  double best_ = 1e300;
  int64_t bad_ = 0;
};

struct VwmTrainOptions {
  std::string backend = "auto";  // cuda when there is a device, else cpu, else reference
  bool verbose = false;          // say which backend was chosen and the JIT timings
  int64_t iterations = -1;       // the last iteration (total, counting resumed ones); -1: the
                                 // config's num_iterations
  std::string out_dir;           // "": runs/<model_name(c)>
  uint64_t seed = 0;             // parameters, batches and noise (resuming: the checkpoint's)
  bool resume = false;           // continue the run in out_dir from its newest readable checkpoint
  bool overwrite = false;        // a fresh run may replace another run's files in out_dir
  bool progress = true;          // progress lines on stdout
  int loss_threads = 0;          // vwm_loss threads (0: all cores)
  bool figures = true;           // PNG figures at the end (vwm_figures.hpp)
  std::string command_line;      // recorded in summary.json
  // Warnings (a corrupt checkpoint set aside, ...); default: a line on stderr.
  std::function<void(const std::string&)> warn;
  train::StepCallback on_step;  // after every iteration, if set
};

struct VwmTrainSummary {
  std::string run_dir;
  std::string model_name;
  std::string run_id;
  int64_t first_iteration = 1;  // 1 unless resumed
  int64_t iterations = 0;       // the last iteration done
  bool early_stopped = false;
  double final_loss = 0, best_loss = 0, final_lr = 0;
  double seconds_per_iteration = 0;
  std::vector<double> losses;             // training loss of every iteration run in this call
  std::vector<GroupMetrics> last_groups;  // per set size, of the last iteration
  std::vector<std::string> figures;       // PNG files written
};

// Trains and writes the run folder: a fresh run, or (opt.resume) the continuation of the run
// there, whose model and task `c` must describe (a UsageError names the first field that
// differs). Throws std::runtime_error (backend unavailable, unreadable checkpoint).
VwmTrainSummary train_vwm(const VwmConfig& c, const VwmTrainOptions& opt);

// Continues the run in opt.out_dir with the settings stored in its checkpoint.
VwmTrainSummary resume_vwm(const VwmTrainOptions& opt);

// What a VWM run stores to recognise its model on resume: the cell's canonical form and the task
// and loss settings (set sizes, timeline, encoding, error definition, loss weights, batch).
nlohmann::json vwm_model_record(const VwmConfig& c);

// Roughly the memory one training iteration takes (bytes).
double vwm_iteration_bytes(const VwmConfig& c);

// The per-iteration seeds (splitmix64 of the run seed and the iteration).
uint64_t vwm_batch_seed(uint64_t seed, int64_t iteration);
uint64_t vwm_noise_seed(uint64_t seed, int64_t iteration);

}  // namespace rnnjit::vwm
