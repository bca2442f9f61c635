// rnnjit train SPEC [--backend reference|cpu|cuda|auto] [--steps N] [--out DIR] [--seed S]
//                   [--resume]
// rnnjit train --vwm-config config.yaml [same flags]
// Settings come from the spec's `train:` section or from the seed's config.yaml (whose ignored keys
// are listed on stderr); flags override. The default backend, auto, is the GPU when there is one
// (spike noise included), else the CPU JIT, else the reference.
#include "cli/train_vwm.hpp"

#include <fmt/core.h>

#include "cli/common.hpp"
#include "compiler/spec.hpp"
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
    const vwm::VwmTrainSummary s = vwm::train_vwm(c, opt);
    fmt::print("{}: {} iterations{} in {}, {:.4f} s/iteration, final loss {:.4f}, lr {:g}\n",
               s.model_name, s.iterations, s.early_stopped ? " (early stop)" : "", s.run_dir,
               s.seconds_per_iteration, s.final_loss, s.final_lr);
    for (const vwm::GroupMetrics& g : s.last_groups)
      fmt::print("  set size {}: error {:.4f} rad, activity {:.3f}\n", g.set_size, g.error,
                 g.activity);
    return kExitOk;
  });
}

}  // namespace rnnjit::cli
