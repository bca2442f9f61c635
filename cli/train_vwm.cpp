// rnnjit train SPEC [--backend reference|cpu|cuda|auto] [--steps N] [--out DIR] [--seed S]
//                   [--resume]
// rnnjit train --vwm-config config.yaml [same flags]
// Settings come from the spec's `train:` section or from the seed's config.yaml (whose ignored keys
// are listed on stderr); flags override. The config's analysis switches (error_dist_bool,
// fit_mixture_bool, snr_analy_bool, fpf_bool) run `rnnjit analyze`'s analyses on the run
// afterwards, and train_rnn: false runs only those, on the run folder's newest checkpoint. The
// default backend, auto, is the GPU when there is one (spike noise included), else the CPU JIT,
// else the reference.
#include "cli/train_vwm.hpp"

#include <fmt/core.h>

#include "cli/common.hpp"
#include "compiler/spec.hpp"
#include "runtime/vwm/vwm_analyze.hpp"
#include "runtime/vwm/vwm_trainer.hpp"

namespace rnnjit::cli {

int run_train_vwm(int argc, char** argv) {
  return guarded("train", [&] {
    cxxopts::Options options(
        "rnnjit train",
        "Train the visual-working-memory network (vwm_rnn). Settings come from the spec's "
        "`train:`\n"
        "section or, with --vwm-config, from a vwm_rnn config.yaml; these flags override them.\n"
        "DIR receives metrics.csv, checkpoints and summary.json.");
    options.add_options()("spec", "model spec (YAML)", cxxopts::value<std::string>())(
        "vwm-config", "a vwm_rnn config.yaml, read unchanged", cxxopts::value<std::string>())(
        "backend",
        "reference | cpu | cuda | auto (cuda when there is a device, else cpu, else reference)",
        cxxopts::value<std::string>()->default_value("auto"))(
        "steps", "training iterations (total, counting resumed ones)", cxxopts::value<int64_t>())(
        "o,out", "output folder (default runs/<the seed's model name>)",
        cxxopts::value<std::string>())("seed", "seed of parameters, batches and noise",
                                       cxxopts::value<uint64_t>()->default_value("0"))(
        "resume", "continue from the newest checkpoint in the output folder")("quiet",
                                                                              "no progress lines");
    options.parse_positional({"spec"});
    options.positional_help("SPEC");
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;

    vwm::VwmConfig c;
    if (r.count("vwm-config")) {
      if (r.count("spec")) throw UsageError("give either SPEC or --vwm-config, not both");
      c = vwm::load_vwm_config(r["vwm-config"].as<std::string>());
      for (const std::string& note : vwm::ignored_key_notes(c)) fmt::print(stderr, "{}\n", note);
    } else {
      c = vwm::vwm_config_from_spec(parse_spec_file(positional_spec(r, "train")));
    }
    vwm::VwmTrainOptions opt;
    opt.backend = backend_option(r);
    if (r.count("steps")) opt.iterations = r["steps"].as<int64_t>();
    if (r.count("out")) opt.out_dir = r["out"].as<std::string>();
    opt.seed = r["seed"].as<uint64_t>();
    opt.resume = r.count("resume") > 0 || c.load_history;
    opt.progress = r.count("quiet") == 0;
    // The seed's switches: analyses after training (error_dist_bool / fit_mixture_bool,
    // snr_analy_bool, fpf_bool), and train_rnn: false to analyse a trained run without training it.
    std::vector<std::string> analyses;
    if (c.error_dist_bool || c.fit_mixture_bool) analyses.push_back("errors");
    if (c.snr_analy_bool) analyses.push_back("snr");
    if (c.fpf_bool) analyses.push_back("fixed-points");
    std::string run_dir = opt.out_dir.empty() ? "runs/" + vwm::model_name(c) : opt.out_dir;
    if (c.train_rnn) {
      const vwm::VwmTrainSummary s = vwm::train_vwm(c, opt);
      run_dir = s.run_dir;
      fmt::print("{}: {} iterations{} in {}, {:.4f} s/iteration, final loss {:.4f}, lr {:g}\n",
                 s.model_name, s.iterations, s.early_stopped ? " (early stop)" : "", s.run_dir,
                 s.seconds_per_iteration, s.final_loss, s.final_lr);
      for (const vwm::GroupMetrics& g : s.last_groups)
        fmt::print("  set size {}: error {:.4f} rad, activity {:.3f}\n", g.set_size, g.error,
                   g.activity);
    } else if (analyses.empty()) {
      throw UsageError(
          "train_rnn is false and no analysis is switched on (error_dist_bool, fit_mixture_bool, "
          "snr_analy_bool, fpf_bool): nothing to do");
    }
    if (!analyses.empty()) {
      vwm::AnalyzeOptions ao;
      ao.what = analyses;
      ao.seed = opt.seed;
      if (r.count("backend")) ao.backend = opt.backend;
      for (const std::string& line : vwm::run_analyses(vwm::load_run(run_dir), ao))
        fmt::print("{}\n", line);
    }
    return kExitOk;
  });
}

}  // namespace rnnjit::cli
