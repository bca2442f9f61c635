#include "cli/train_ring.hpp"

#include "cli/common.hpp"
#include "runtime/ring/ring_trainer.hpp"

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
  if (q.spec)
    train::ring::train_ring(*q.spec, opt);
  else
    train::ring::resume_ring(opt);
  return kExitOk;
}

}  // namespace rnnjit::cli
