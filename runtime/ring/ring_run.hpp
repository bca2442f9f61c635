// One training run of the ring attractor, step by step: from an opened run folder (its checkpoint
// restored) through the loop (metrics, evaluations, checkpoints, progress) to the figures and
// summary.json. train_ring drives one with the model's own executor; an ensemble drives many,
// running their cells in one launch (ring_ensemble.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "compiler/spec.hpp"
#include "runtime/ring/ring_model.hpp"
#include "runtime/ring/ring_trainer.hpp"
#include "runtime/train/adam.hpp"
#include "runtime/train/distributed.hpp"
#include "runtime/train/run_folder.hpp"

namespace rnnjit::train {
class CsvWriter;
class Progress;
}  // namespace rnnjit::train

namespace rnnjit::train::ring {

class RingDeviceStep;
class RingMovie;

// The settings a run goes on with: the checkpoint's when resuming (so it continues exactly as it
// began), with the total step count the caller asked for. UsageError for a setting out of range.
RingTrainConfig resolve_config(const RingTrainOptions& opt, const std::optional<Checkpoint>& ck);

// The record a fresh run of `spec` starts with (its canonical model and text).
RunRecord fresh_ring_record(const ModelSpec& spec);

// opt.warn, or a line on stderr.
std::function<void(const std::string&)> ring_warner(const RingTrainOptions& opt);

class RingRun {
 public:
  // Checks the target step and the memory, builds the model (and its executor).
  RingRun(const ModelSpec& spec, const RingTrainOptions& opt, OpenRun open);
  ~RingRun();

  // The whole run, as train_ring does it.
  RingTrainResult run();

  // The same in steps: begin(); while (more_steps()) record_step(optimiser_step(&norm), norm);
  // finish(). An ensemble replaces optimiser_step by its own (one launch for many runs).
  void begin();
  bool more_steps() const { return step_ < cfg_.steps; }
  int64_t next_step() const { return step_; }  // 0-based: the batch of this step
  RingLossValue optimiser_step(double* norm);
  // With several ranks: this rank's share of the batch, its gradients summed over the ranks.
  RingLossValue distributed_step(double* norm);
  // After the step ran: a non-finite loss throws std::runtime_error ("the loss became nan at step
  // k"); else the movie frame, evaluation, metrics row, callback, progress and checkpoint due.
  void record_step(const RingLossValue& loss, double norm);
  RingTrainResult finish();
  // A run that cannot go on (it diverged inside an ensemble): its last checkpoint stays, and
  // summary.json says why it stopped.
  void abandon(const std::string& reason);

  RingModel& model() { return *model_; }
  Adam& adam() { return adam_; }
  const RingTrainConfig& config() const { return cfg_; }
  const std::string& dir() const { return dir_; }
  const std::string& run_id() const { return open_.record.run_id; }
  bool writer() const { return comm_.rank() == 0; }  // rank 0 alone writes the run folder

 private:
  using Clock = std::chrono::steady_clock;
  void check_target() const;
  void restore_checkpoint();
  void print_header() const;
  void sync();
  void evaluate_if_due(int64_t s1, double* ev_loss, double* ev_err);
  void checkpoint(int64_t step, double seconds);
  void end_loop();
  void finish_evaluation();
  void write_figures();
  void write_summary(const std::string& status);
  void print_result() const;

  const Clock::time_point t_start_;
  Communicator& comm_;
  const ModelSpec& spec_;
  const RingTrainOptions& opt_;
  const std::string dir_;
  OpenRun open_;
  RingTrainConfig cfg_;
  std::unique_ptr<RingModel> model_;
  Adam adam_;
  std::unique_ptr<RingDeviceStep> device_step_;
  int64_t start_ = 0, step_ = 0;
  double prior_seconds_ = 0;
  bool evaluated_ = false;
  TensorMap initial_;
  RingTrainResult res_;
  // The loop's state (begin() .. end_loop()).
  std::unique_ptr<CsvWriter> csv_;
  std::unique_ptr<RingMovie> movie_;
  std::unique_ptr<Progress> progress_;
  Clock::time_point t_loop_;
  double eval_seconds_ = 0;  // held-out evaluations inside the loop: not training time
  bool loop_ended_ = false;
};

}  // namespace rnnjit::train::ring
