// Ensembles of ring attractors: E networks of one spec, each with its own settings (seed, learning
// rate, ...), optimiser, metrics and checkpoints, trained in one process with their cells run in
// one launch per step (runtime/backends/ensemble.hpp). Member e trains exactly as it would alone.
//
// The ensemble's folder (options.common.out_dir):
//   ensemble.json       the members: their folders and what was swept (written first)
//   member-NNN/         one run folder each (metrics.csv, checkpoints, summary.json, figures)
//   ensemble.csv        one row per member: the swept settings, status, steps, held-out error
//   ensemble_errors.png the distribution of the members' held-out errors (with figures)
// A member whose loss becomes non-finite stops alone (status "diverged at step k"; its last
// checkpoint stays); the others go on.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/ring/ring_trainer.hpp"

namespace rnnjit::train::ring {

struct RingEnsembleOptions {
  RingTrainOptions common;  // out_dir: the ensemble's folder; cfg unused (see members)
  // A fresh ensemble: one config per member, and the settings that set each member apart (the
  // columns of ensemble.csv, e.g. {"seed": "3", "lr": "0.001"}). Resuming: the checkpoints'.
  std::vector<RingTrainConfig> members;
  std::vector<std::map<std::string, std::string>> labels;
};

struct RingMemberResult {
  std::string dir, run_id, status;
  std::map<std::string, std::string> labels;
  int64_t steps = 0;
  double held_out_error = 0;  // NaN when the member did not finish
};

std::vector<RingMemberResult> train_ring_ensemble(const ModelSpec& spec,
                                                  const RingEnsembleOptions& opt);
// Continues every member of the ensemble in opt.common.out_dir (steps: opt.common.steps), with
// `spec` when given (it must describe the members' model) or the spec stored in each checkpoint.
std::vector<RingMemberResult> resume_ring_ensemble(const RingEnsembleOptions& opt,
                                                   const ModelSpec* spec = nullptr);

// Whether `dir` holds an ensemble (its ensemble.json).
bool is_ensemble_folder(const std::string& dir);

}  // namespace rnnjit::train::ring
