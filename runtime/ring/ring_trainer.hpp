// `rnnjit train` for the ring attractor: the training loop (Adam, clipping, gain networks trained
// jointly through the cell's gate gradient), metrics.csv, checkpoints and resuming, held-out
// evaluation, summary.json and figures. The run folder's rules (one run per folder, run ids, the
// model check on resume) are runtime/train/run_folder.hpp's.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/spec.hpp"
#include "runtime/core/executor.hpp"
#include "runtime/ring/ring_config.hpp"
#include "runtime/ring/ring_eval.hpp"
#include "runtime/train/step_report.hpp"

namespace rnnjit::train::ring {

struct RingTrainOptions {
  RingTrainConfig cfg;           // ignored when resuming (the checkpoint's is used)...
  std::optional<int64_t> steps;  // ...except for the total step count, if given
  ExecutorConfig exec;
  std::string out_dir;     // the run folder (required)
  bool resume = false;     // continue the run in out_dir from its newest readable checkpoint
  bool overwrite = false;  // a fresh run may replace another run's files in out_dir
  bool movie = false;
  bool figures = true;
  int progress = -1;         // -1: bar on a terminal, plain lines otherwise; 0: plain; 1: bar
  bool quiet = false;        // no progress output at all (tests)
  std::string command_line;  // recorded in summary.json
  // Warnings (a corrupt checkpoint set aside, ...); default: a line on stderr.
  std::function<void(const std::string&)> warn;
  train::StepCallback on_step;  // after every optimiser step, if set
  // false: keep the step on the host even on the cuda backend (an ensemble runs its members'
  // cells together and their optimisers on the host).
  bool device_step = true;
};

struct RingTrainResult {
  int64_t steps = 0;       // total steps reached
  int64_t start_step = 0;  // where this run began (> 0 after a resume)
  double last_loss = 0;    // training loss of the last step
  RingEval eval;
  RingLossValue perfect;
  double train_seconds = 0;  // the training loop of this run
  double wall_seconds = 0;   // everything, compile and evaluation included
  std::string backend, device, run_id;
  TensorMap params;  // final parameters (float64)
  std::vector<std::string> files;
};

// Trains `spec` into opt.out_dir: a fresh run, or (opt.resume) the continuation of the run there,
// which `spec` must describe (a UsageError names the first field that differs).
RingTrainResult train_ring(const ModelSpec& spec, const RingTrainOptions& opt);

// Continues the run in opt.out_dir with the spec stored in its checkpoint.
RingTrainResult resume_ring(const RingTrainOptions& opt);

// Roughly the memory a training step of this size takes (bytes): the states and cotangents of the
// batch in both precisions, the parameters with their gradients and Adam moments.
double ring_step_bytes(int64_t neurons, int64_t gates, int64_t batch, int64_t seq_len);

}  // namespace rnnjit::train::ring
