// rnnjit train SPEC [--backend reference|cpu|cuda|auto] [--steps N] [--out DIR] [--seed S]
//                   [--resume DIR] [--movie] [--batch B] [--seq-len T] [--lr X] ...
// Settings come from the spec's `train:` section (runtime/train/ring/ring_config.hpp); flags
// override.
#include "cli/train_ring.hpp"

#include <fmt/core.h>

#include <filesystem>

#include "cli/common.hpp"
#include "runtime/train/ring/ring_trainer.hpp"

namespace rnnjit::cli {

int run_train_command(int argc, char** argv) {
  return guarded("train", [&] {
    using train::ring::RingTrainOptions;
    cxxopts::Options options(
        "rnnjit train",
        "Train a ring attractor on angular-velocity integration with the JIT kernels.\n"
        "Settings come from the spec's `train:` section; these flags override them.\n"
        "DIR receives metrics.csv, checkpoints, summary.json and PNG figures.");
    options.add_options()("spec", "model spec (YAML)", cxxopts::value<std::string>())(
        "backend", "reference | cpu | cuda | auto",
        cxxopts::value<std::string>()->default_value("auto"))(
        "steps", "optimiser steps (total, counting resumed ones)", cxxopts::value<int64_t>())(
        "o,out", "output folder (default runs/<spec name>; with --resume: the resumed folder)",
        cxxopts::value<std::string>())("seed", "seed of parameters, gain networks and data",
                                       cxxopts::value<uint64_t>())(
        "resume",
        "continue from the newest checkpoint in DIR (its settings, optimiser state included)",
        cxxopts::value<std::string>())(
        "movie", "save the weights every movie_every steps (PNG frames + GIF)")(
        "batch", "trials per step", cxxopts::value<int64_t>())("seq-len", "steps per trial",
                                                               cxxopts::value<int64_t>())(
        "lr", "Adam learning rate", cxxopts::value<double>())("clip", "gradient-norm clip (0: off)",
                                                              cxxopts::value<double>())(
        "neurons", "train a ring of this size instead of the spec's", cxxopts::value<int64_t>())(
        "init", "random | perfect | debug_perfect", cxxopts::value<std::string>())(
        "gain-hidden", "hidden units per gain network (0: none)", cxxopts::value<int64_t>())(
        "eval-trials", "held-out trials", cxxopts::value<int64_t>())(
        "eval-every", "held-out evaluation every N steps (0: at the end only)",
        cxxopts::value<int64_t>())("checkpoint-every", "checkpoint every N steps (and at the end)",
                                   cxxopts::value<int64_t>())(
        "log-every", "metrics row / progress line every N steps", cxxopts::value<int64_t>())(
        "no-figures", "skip the PNG figures")("progress", "auto | bar | plain",
                                              cxxopts::value<std::string>()->default_value("auto"))(
        "v,verbose", "say which backend was chosen and the JIT timings");
    options.parse_positional({"spec"});
    options.positional_help("SPEC");
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;

    ModelSpec spec = parse_spec_file(positional_spec(r, "train"));
    if (spec.gates.empty())
      throw UsageError(spec.path +
                       " has no gate input: `rnnjit train` here trains ring attractors "
                       "(a spec with `gates:` driving a gated recurrent term)");
    RingTrainOptions opt;
    opt.cfg = train::ring::parse_ring_train_config(spec);
    auto& c = opt.cfg;
    if (r.count("steps")) opt.steps = r["steps"].as<int64_t>();
    if (r.count("seed")) c.seed = r["seed"].as<uint64_t>();
    if (r.count("batch")) c.batch = r["batch"].as<int64_t>();
    if (r.count("seq-len")) c.task.seq_len = r["seq-len"].as<int64_t>();
    if (r.count("lr")) c.lr = r["lr"].as<double>();
    if (r.count("clip")) c.clip = r["clip"].as<double>();
    if (r.count("neurons")) c.neurons = r["neurons"].as<int64_t>();
    if (r.count("gain-hidden")) c.gain_hidden = r["gain-hidden"].as<int64_t>();
    if (r.count("eval-trials")) c.eval_trials = r["eval-trials"].as<int64_t>();
    if (r.count("eval-every")) c.eval_every = r["eval-every"].as<int64_t>();
    if (r.count("checkpoint-every")) c.checkpoint_every = r["checkpoint-every"].as<int64_t>();
    if (r.count("log-every")) c.log_every = r["log-every"].as<int64_t>();
    if (r.count("init")) {
      const std::string s = r["init"].as<std::string>();
      if (s == "random")
        c.init = train::ring::InitMode::Random;
      else if (s == "perfect")
        c.init = train::ring::InitMode::Perfect;
      else if (s == "debug_perfect")
        c.init = train::ring::InitMode::DebugPerfect;
      else
        throw UsageError("--init must be random, perfect or debug_perfect, got '" + s + "'");
    }
    try {
      train::ring::validate(c);
      if (opt.steps && *opt.steps < 0) throw std::invalid_argument("--steps must be >= 0");
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    if (r.count("resume")) opt.resume_dir = r["resume"].as<std::string>();
    if (r.count("out"))
      opt.out_dir = r["out"].as<std::string>();
    else if (opt.resume_dir.empty())
      opt.out_dir = "runs/" + (spec.name.empty() ? std::string("ring") : spec.name);
    if (!opt.resume_dir.empty()) {
      for (const char* f :
           {"seed", "batch", "seq-len", "lr", "clip", "neurons", "init", "gain-hidden"})
        if (r.count(f))
          fmt::print(
              stderr,
              "rnnjit train: --{} ignored with --resume (the checkpoint's settings are used)\n", f);
    }
    opt.exec.backend = backend_option(r);
    opt.exec.verbose = r.count("verbose") > 0;
    opt.movie = r.count("movie") > 0;
    opt.figures = r.count("no-figures") == 0;
    const std::string progress = r["progress"].as<std::string>();
    if (progress == "bar")
      opt.progress = 1;
    else if (progress == "plain")
      opt.progress = 0;
    else if (progress != "auto")
      throw UsageError("--progress must be auto, bar or plain");
    train::ring::train_ring(spec, opt);
    return kExitOk;
  });
}

}  // namespace rnnjit::cli
