#include "cli/train_request.hpp"

#include <filesystem>

#include "api/trainer_choice.hpp"
#include "cli/common.hpp"

namespace rnnjit::cli {

namespace fs = std::filesystem;

namespace {

// Sorts the positional arguments into the spec file and the run folder.
void read_positionals(const cxxopts::ParseResult& r, TrainRequest& q, std::string* spec_path,
                      std::string* folder) {
  if (!r.count("positional")) return;
  for (const std::string& a : r["positional"].as<std::vector<std::string>>()) {
    std::error_code ec;
    // A name that is not there yet is a folder to resume when it does not look like a spec, so
    // that a mistyped folder is reported as a missing run folder, not as a missing spec.
    const std::string ext = fs::path(a).extension().string();
    const bool folder_like = fs::is_directory(a, ec) ||
                             (q.resume && !fs::exists(a, ec) && ext != ".yaml" && ext != ".yml");
    std::string* slot = folder_like ? folder : spec_path;
    if (!slot->empty())
      throw UsageError(slot == folder ? "two run folders given: '" + *folder + "' and '" + a + "'"
                                      : "two specs given: '" + *spec_path + "' and '" + a +
                                            "' (train one spec at a time)");
    *slot = a;
  }
  if (!folder->empty() && !q.resume)
    throw UsageError("'" + *folder +
                     "' is a folder: add --resume to continue the run in it, or "
                     "--out " +
                     *folder + " to train a new run there");
}

// The run folder, given once through --resume DIR, a positional folder or --out.
std::string read_run_dir(const cxxopts::ParseResult& r, const std::string& positional) {
  std::vector<std::string> given;
  if (r.count("resume") && !r["resume"].as<std::string>().empty())
    given.push_back(r["resume"].as<std::string>());
  if (!positional.empty()) given.push_back(positional);
  if (r.count("out")) given.push_back(r["out"].as<std::string>());
  for (const std::string& g : given)
    if (fs::path(g).lexically_normal() != fs::path(given.front()).lexically_normal())
      throw UsageError("two run folders given: '" + given.front() + "' and '" + g +
                       "' (--resume continues the run in one folder)");
  return given.empty() ? "" : given.front();
}

}  // namespace

std::optional<int64_t> TrainRequest::integer(const std::string& flag, int64_t min) const {
  return integer_flag(*flags, flag, min);
}

std::optional<double> TrainRequest::number(const std::string& flag) const {
  if (!has(flag)) return std::nullopt;
  return (*flags)[flag].as<double>();
}

std::string TrainRequest::progress() const {
  const std::string p = (*flags)["progress"].as<std::string>();
  if (p != "auto" && p != "bar" && p != "plain" && p != "none")
    throw UsageError("--progress must be auto, bar, plain or none, got '" + p + "'");
  if (has("quiet") && has("progress") && p != "none")
    throw UsageError("--quiet and --progress " + p + " contradict each other");
  return has("quiet") ? "none" : p;
}

void TrainRequest::refuse(const std::vector<std::string>& names, const std::string& why) const {
  for (const std::string& n : names)
    if (has(n)) throw UsageError("--" + n + " does not apply to " + why);
}

cxxopts::Options train_options() {
  cxxopts::Options o(
      "rnnjit train",
      "Train a network with the JIT kernels: a ring attractor (a spec with a gate input) or the\n"
      "visual-working-memory network (a spec with spike noise or inputs, or a vwm_rnn config).\n"
      "Settings come from the spec's `train:` section (or the config); these flags override "
      "them.\nThe run folder receives metrics.csv, checkpoints, summary.json and PNG figures; "
      "it belongs\nto one run: a new run into a folder that holds another is refused unless "
      "--overwrite.\n\n"
      "  rnnjit train SPEC [--out DIR]        a new run (default folder runs/<spec name>)\n"
      "  rnnjit train --resume DIR [--steps N] continue the run in DIR with its stored spec\n"
      "  rnnjit train SPEC --resume [DIR]      the same, checking that SPEC is the run's model");
  auto text = [] { return cxxopts::value<std::string>(); };
  o.add_options()("positional", "SPEC and/or the run folder",
                  cxxopts::value<std::vector<std::string>>())(
      "resume",
      "continue the run in DIR (or the --out folder) from its newest readable checkpoint, "
      "optimiser state included",
      cxxopts::value<std::string>()->implicit_value(""),
      "[DIR]")("o,out", "run folder (default runs/<spec name>)", text(), "DIR")(
      "overwrite", "a new run may replace the run already in the folder (its files only)")(
      "backend", "reference | cpu | cuda | auto (cuda when a device answers, else cpu)",
      cxxopts::value<std::string>()->default_value("auto"))(
      "steps", "optimiser steps, counting resumed ones (VWM: iterations)", text(), "N")(
      "seed", "seed of parameters, data and noise", cxxopts::value<uint64_t>())(
      "batch", "trials per step (VWM: num_trials)", text(), "B")(
      "lr", "Adam learning rate (VWM: eta)", cxxopts::value<double>())(
      "neurons", "train a network of this size instead of the spec's", text(), "N")(
      "log-every", "metrics row every N steps (VWM: logging_period, with a checkpoint)", text(),
      "N")("no-figures", "skip the PNG figures")(
      "progress", "auto | bar | plain | none",
      cxxopts::value<std::string>()->default_value("auto"))(
      "quiet", "no progress output (same as --progress none)")(
      "v,verbose", "say which backend was chosen and the JIT timings")(
      "ensemble", "train E networks in one process, seeds seed..seed+E-1 (ring)", text(), "E")(
      "sweep",
      "train the Cartesian product of settings as one ensemble, e.g. --sweep lr=1e-3,3e-3 "
      "--sweep seed=0..7 (ring: seed, lr, clip, batch, gain_hidden, init, bump_weight)",
      cxxopts::value<std::vector<std::string>>(), "KEY=VALUES");
  o.add_options("Ring attractor")("seq-len", "steps per trial", text(), "T")(
      "clip", "gradient-norm clip (0: off)", cxxopts::value<double>())(
      "init", "random | perfect | debug_perfect", text())(
      "gain-hidden", "hidden units per gain network (0: none)", text(), "H")(
      "eval-trials", "held-out trials", text(), "N")(
      "eval-every", "held-out evaluation every N steps (0: at the end only)", text(), "N")(
      "checkpoint-every", "checkpoint every N steps (and at the end)", text(), "N")(
      "movie", "save the weights every movie_every steps (PNG frames + GIF)");
  o.add_options("Visual working memory")(
      "vwm-config", "a vwm_rnn config.yaml, read unchanged, instead of a spec", text(), "FILE");
  o.parse_positional({"positional"});
  o.positional_help("[SPEC] [RUN_DIR]");
  return o;
}

TrainRequest read_train_request(const cxxopts::ParseResult& r, std::string command_line) {
  TrainRequest q;
  q.flags = &r;
  q.command_line = std::move(command_line);
  q.resume = r.count("resume") > 0;
  q.overwrite = r.count("overwrite") > 0;
  if (q.resume && q.overwrite)
    throw UsageError("--resume continues a run and --overwrite replaces it: give one");
  std::string spec_path, folder;
  read_positionals(r, q, &spec_path, &folder);
  q.run_dir = read_run_dir(r, folder);
  if (r.count("vwm-config")) {
    if (!spec_path.empty()) throw UsageError("give either SPEC or --vwm-config, not both");
    q.vwm_config = r["vwm-config"].as<std::string>();
    q.family = Family::Vwm;
  } else if (!spec_path.empty()) {
    q.spec = parse_spec_file(spec_path);
    q.family = api::trainer_of(*q.spec) == "vwm" ? Family::Vwm : Family::Ring;
  } else if (q.resume && !q.run_dir.empty()) {
    q.family = api::trainer_of_run(q.run_dir) == "vwm" ? Family::Vwm : Family::Ring;
  } else {
    throw UsageError(q.resume ? "--resume needs the run folder (--resume DIR) or the spec"
                              : "missing the model spec (e.g. rnnjit train examples/ring.yaml)");
  }
  return q;
}

}  // namespace rnnjit::cli
