#include "cli/train_ring.hpp"

#include <fmt/core.h>

#include "cli/common.hpp"
#include "cli/train_sweep.hpp"
#include "runtime/ring/ring_ensemble.hpp"
#include "runtime/ring/ring_trainer.hpp"
#include "runtime/train/distributed.hpp"

namespace rnnjit::cli {

namespace {

using train::ring::RingTrainConfig;

// The flags that set what a run is; a resumed run keeps its checkpoint's.
const std::vector<std::string> kRunSettings = {"seed",
                                               "batch",
                                               "seq-len",
                                               "lr",
                                               "clip",
                                               "neurons",
                                               "init",
                                               "gain-hidden",
                                               "eval-trials",
                                               "eval-every",
                                               "checkpoint-every",
                                               "log-every"};

train::ring::InitMode init_mode(const std::string& s) {
  if (s == "random") return train::ring::InitMode::Random;
  if (s == "perfect") return train::ring::InitMode::Perfect;
  if (s == "debug_perfect") return train::ring::InitMode::DebugPerfect;
  throw UsageError("--init must be random, perfect or debug_perfect, got '" + s + "'");
}

void apply_flags(const TrainRequest& q, RingTrainConfig& c) {
  if (q.has("seed")) c.seed = (*q.flags)["seed"].as<uint64_t>();
  if (auto v = q.integer("batch", 1)) c.batch = *v;
  if (auto v = q.integer("seq-len", 1)) c.task.seq_len = *v;
  if (auto v = q.number("lr")) c.lr = *v;
  if (auto v = q.number("clip")) c.clip = *v;
  if (auto v = q.integer("neurons", 1)) c.neurons = *v;
  if (auto v = q.integer("gain-hidden", 0)) c.gain_hidden = *v;
  if (auto v = q.integer("eval-trials", 1)) c.eval_trials = *v;
  if (auto v = q.integer("eval-every", 0)) c.eval_every = *v;
  if (auto v = q.integer("checkpoint-every", 0)) c.checkpoint_every = *v;
  if (auto v = q.integer("log-every", 1)) c.log_every = *v;
  if (q.has("init")) c.init = init_mode((*q.flags)["init"].as<std::string>());
}

// One line per member of a finished ensemble.
int report(const std::vector<train::ring::RingMemberResult>& members) {
  int finished = 0;
  for (const auto& m : members) {
    std::string labels;
    for (const auto& [k, v] : m.labels) labels += (labels.empty() ? "" : " ") + k + "=" + v;
    fmt::print(
        "{}: {} {} after {} steps{}\n", m.dir, labels, m.status, m.steps,
        m.status == "finished" ? fmt::format(", held-out error {:.4f} rad", m.held_out_error) : "");
    finished += m.status == "finished";
  }
  fmt::print("ensemble: {} of {} members finished\n", finished, members.size());
  return kExitOk;
}

}  // namespace

int train_ring_command(const TrainRequest& q) {
  train::ring::RingTrainOptions opt;
  if (q.resume)
    q.refuse(kRunSettings,
             "a resumed run: it keeps its checkpoint's settings (start a new run to change them)");
  if (q.spec) {
    if (q.spec->gates.empty())
      throw UsageError(q.spec->path +
                       " has no gate input: `rnnjit train` trains ring attractors (a spec with "
                       "`gates:` driving a gated recurrent term) and the VWM network (a spec with "
                       "spike noise or inputs)");
    opt.cfg = train::ring::parse_ring_train_config(*q.spec);
    apply_flags(q, opt.cfg);
  }
  opt.steps = q.integer("steps", 0);
  opt.out_dir = !q.run_dir.empty()
                    ? q.run_dir
                    : "runs/" + (q.spec->name.empty() ? std::string("ring") : q.spec->name);
  opt.resume = q.resume;
  opt.overwrite = q.overwrite;
  opt.exec.backend = backend_option(*q.flags);
  opt.exec.verbose = q.has("verbose");
  opt.movie = q.has("movie");
  opt.figures = !q.has("no-figures");
  const std::string progress = q.progress();
  opt.quiet = progress == "none";
  opt.progress = progress == "bar" ? 1 : progress == "plain" ? 0 : -1;
  opt.command_line = q.command_line;
  if (q.resume && train::ring::is_ensemble_folder(opt.out_dir)) {
    q.refuse({"ensemble", "sweep"}, "a resumed ensemble: it keeps its members");
    train::ring::RingEnsembleOptions e;
    e.common = opt;
    return report(train::ring::resume_ring_ensemble(e, q.spec ? &*q.spec : nullptr));
  }
  if (wants_ensemble(q) && train::launched_ranks() > 1)
    throw UsageError("an ensemble runs on one process for now: launch it without mpirun");
  if (wants_ensemble(q)) {
    if (q.resume) throw UsageError(opt.out_dir + " holds no ensemble to resume (no ensemble.json)");
    if (!q.spec) throw UsageError("--ensemble and --sweep need the spec");
    RingSweep sweep = ring_sweep(q, opt.cfg);
    if (q.run_dir.empty()) opt.out_dir += "-ensemble";
    return report(train::ring::train_ring_ensemble(
        *q.spec, {.common = opt, .members = sweep.members, .labels = sweep.labels}));
  }
  if (q.spec)
    train::ring::train_ring(*q.spec, opt);
  else
    train::ring::resume_ring(opt);
  return kExitOk;
}

}  // namespace rnnjit::cli
