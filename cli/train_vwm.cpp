// The config's analysis switches (error_dist_bool, fit_mixture_bool, snr_analy_bool, fpf_bool) run
// `rnnjit analyze`'s analyses on the run afterwards, and train_rnn: false runs only those, on the
// run folder's newest checkpoint.
#include "cli/train_vwm.hpp"

#include <fmt/core.h>

#include "cli/common.hpp"
#include "runtime/train/distributed.hpp"
#include "runtime/vwm/analysis/analyze_run.hpp"
#include "runtime/vwm/vwm_trainer.hpp"

namespace rnnjit::cli {

namespace {

const char* kRingOnly = "the VWM network (it is a ring-attractor setting)";

// The settings a resumed run keeps from its checkpoint.
const std::vector<std::string> kRunSettings = {"seed", "batch", "lr", "neurons", "log-every"};

// The common flags in the VWM network's terms (vwm_rnn's config names).
void apply_flags(const TrainRequest& q, vwm::VwmConfig& c) {
  if (auto v = q.integer("batch", 1)) c.num_trials = *v;
  if (auto v = q.number("lr")) {
    if (!(*v > 0)) throw UsageError("--lr must be > 0");
    c.eta = *v;
  }
  if (auto v = q.integer("neurons", 1)) c.num_neurons = *v;
  if (auto v = q.integer("log-every", 1)) c.logging_period = *v;
  vwm::validate_config(c);
}

std::vector<std::string> analyses_of(const vwm::VwmConfig& c) {
  std::vector<std::string> out;
  if (c.error_dist_bool || c.fit_mixture_bool) out.push_back("errors");
  if (c.snr_analy_bool) out.push_back("snr");
  if (c.fpf_bool) out.push_back("fixed-points");
  return out;
}

void print_summary(const vwm::VwmTrainSummary& s) {
  fmt::print("{}: {} iterations{} in {} (run {}), {:.4f} s/iteration, final loss {:.4f}, lr {:g}\n",
             s.model_name, s.iterations, s.early_stopped ? " (early stop)" : "", s.run_dir,
             s.run_id, s.seconds_per_iteration, s.final_loss, s.final_lr);
  for (const vwm::GroupMetrics& g : s.last_groups)
    fmt::print("  set size {}: error {:.4f} rad, activity {:.3f}\n", g.set_size, g.error,
               g.activity);
}

}  // namespace

int train_vwm_command(const TrainRequest& q) {
  q.refuse({"seq-len", "clip", "init", "gain-hidden", "eval-trials", "eval-every",
            "checkpoint-every", "movie"},
           kRingOnly);
  q.refuse({"ensemble", "sweep"}, "the VWM network yet: ensembles train ring attractors");
  if (train::launched_ranks() > 1)
    throw UsageError(
        "the VWM trainer runs on one process for now (data-parallel training across "
        "ranks covers the ring attractor): launch it without mpirun");
  if (q.resume)
    q.refuse(kRunSettings,
             "a resumed run: it keeps its checkpoint's settings (start a new run to change them)");
  std::optional<vwm::VwmConfig> c;
  if (!q.vwm_config.empty()) {
    c = vwm::load_vwm_config(q.vwm_config);
    for (const std::string& note : vwm::ignored_key_notes(*c)) fmt::print(stderr, "{}\n", note);
  } else if (q.spec) {
    c = vwm::vwm_config_from_spec(*q.spec);
  }
  if (c) apply_flags(q, *c);

  vwm::VwmTrainOptions opt;
  opt.backend = backend_option(*q.flags);
  opt.verbose = q.has("verbose");
  opt.iterations = q.integer("steps", 0).value_or(-1);
  opt.out_dir = q.run_dir;
  if (q.has("seed")) opt.seed = (*q.flags)["seed"].as<uint64_t>();
  opt.resume = q.resume || (c && c->load_history);
  opt.overwrite = q.overwrite;
  opt.progress = q.progress() != "none";
  opt.figures = !q.has("no-figures");
  opt.command_line = q.command_line;

  const std::vector<std::string> analyses = c ? analyses_of(*c) : std::vector<std::string>{};
  std::string run_dir = !opt.out_dir.empty() ? opt.out_dir : "runs/" + vwm::model_name(*c);
  if (!c || c->train_rnn) {
    const vwm::VwmTrainSummary s = c ? vwm::train_vwm(*c, opt) : vwm::resume_vwm(opt);
    run_dir = s.run_dir;
    print_summary(s);
  } else if (analyses.empty()) {
    throw UsageError(
        "train_rnn is false and no analysis is switched on (error_dist_bool, fit_mixture_bool, "
        "snr_analy_bool, fpf_bool): nothing to do");
  }
  if (!analyses.empty()) {
    vwm::AnalyzeOptions ao;
    ao.what = analyses;
    ao.seed = opt.seed;
    if (q.has("backend")) ao.backend = opt.backend;
    for (const std::string& line : vwm::run_analyses(vwm::load_run(run_dir), ao))
      fmt::print("{}\n", line);
  }
  return kExitOk;
}

}  // namespace rnnjit::cli
