// `rnnjit train` for the ring attractor: the training loop (Adam, clipping, gain networks trained
// jointly through the cell's gate gradient), metrics.csv, checkpoints and --resume, held-out
// evaluation, summary.json and figures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/spec.hpp"
#include "runtime/executor.hpp"
#include "runtime/train/ring/ring_config.hpp"
#include "runtime/train/ring/ring_eval.hpp"

namespace rnnjit::train::ring {

struct RingTrainOptions {
  RingTrainConfig cfg;           // ignored when resuming (the checkpoint's is used)...
  std::optional<int64_t> steps;  // ...except for the total step count, if given
  ExecutorConfig exec;
  std::string out_dir;     // receives everything; defaults to resume_dir when resuming
  std::string resume_dir;  // continue from the newest checkpoint found there
  bool movie = false;
  bool figures = true;
  int progress = -1;   // -1: bar on a terminal, plain lines otherwise; 0: plain; 1: bar
  bool quiet = false;  // no progress output at all (tests)
};

struct RingTrainResult {
  int64_t steps = 0;       // total steps reached
  int64_t start_step = 0;  // where this run began (> 0 after a resume)
  double last_loss = 0;    // training loss of the last step
  RingEval eval;
  RingLossValue perfect;
  double train_seconds = 0;  // the training loop of this run
  double wall_seconds = 0;   // everything, compile and evaluation included
  std::string backend, device;
  TensorMap params;  // final parameters (float64)
  std::vector<std::string> files;
};

RingTrainResult train_ring(const ModelSpec& spec, const RingTrainOptions& opt);

}  // namespace rnnjit::train::ring
