// rnnjit::train_model / resume_training / analyze_run (rnnjit/train.hpp): the trainers of
// runtime/ring and runtime/vwm and the VWM analyses as library calls.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "api/api_data.hpp"
#include "api/trainer_choice.hpp"
#include "rnnjit/train.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/ring/ring_trainer.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/vwm/analysis/analyze_run.hpp"
#include "runtime/vwm/vwm_trainer.hpp"

namespace rnnjit {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

train::StepCallback step_callback(const TrainOptions& o) {
  if (!o.on_step) return nullptr;
  return [f = o.on_step](const train::StepReport& r) {
    f(TrainProgress{r.step, r.last_step, r.loss, r.error, r.seconds});
  };
}

// The spec's `train:` section with the caller's settings written over it, each value read as YAML
// so that "128" is a number and "[1, 2]" a list; the trainers then check them like the file's own.
ModelSpec with_settings(ModelSpec spec, const std::map<std::string, std::string>& settings) {
  if (settings.empty()) return spec;
  YAML::Node train = spec.train && spec.train.IsMap() ? YAML::Clone(spec.train) : YAML::Node();
  for (const auto& [key, value] : settings) {
    try {
      train[key] = YAML::Load(value);
    } catch (const YAML::Exception&) {
      throw UsageError("setting '" + key + "': '" + value + "' is not a YAML value");
    }
  }
  spec.train = train;
  return spec;
}

TrainResult result_of(const std::string& trainer, const std::string& dir, const std::string& id,
                      const std::string& backend, const std::string& device, int64_t start,
                      int64_t steps, double loss) {
  TrainResult r;
  r.trainer = trainer;
  r.run_dir = dir;
  r.run_id = id;
  r.backend = backend;
  r.device = device;
  r.start_step = start;
  r.steps = steps;
  r.final_loss = loss;
  r.metrics = train::read_csv_columns(dir + "/metrics.csv");
  r.summary_json = read_text(dir + "/summary.json");
  return r;
}

TrainResult run_ring(const ModelSpec* spec, const TrainOptions& o, bool resume) {
  train::ring::RingTrainOptions r;
  if (spec) r.cfg = train::ring::parse_ring_train_config(*spec);
  r.steps = o.steps;
  r.exec.backend = o.backend;
  r.exec.verbose = o.verbose;
  r.out_dir = o.out_dir;
  r.resume = resume;
  r.overwrite = o.overwrite;
  r.figures = o.figures;
  r.quiet = true;
  r.warn = o.on_warning;
  r.on_step = step_callback(o);
  const train::ring::RingTrainResult res =
      spec ? train::ring::train_ring(*spec, r) : train::ring::resume_ring(r);
  return result_of("ring", o.out_dir, res.run_id, res.backend, res.device, res.start_step,
                   res.steps, res.last_loss);
}

TrainResult run_vwm(const vwm::VwmConfig* c, uint64_t seed, const TrainOptions& o, bool resume) {
  vwm::VwmTrainOptions v;
  v.backend = o.backend;
  v.verbose = o.verbose;
  v.iterations = o.steps.value_or(-1);
  v.out_dir = o.out_dir;
  v.seed = seed;
  v.resume = resume;
  v.overwrite = o.overwrite;
  v.progress = false;
  v.figures = o.figures;
  v.warn = o.on_warning;
  v.on_step = step_callback(o);
  const vwm::VwmTrainSummary s = c ? vwm::train_vwm(*c, v) : vwm::resume_vwm(v);
  const auto summary = nlohmann::json::parse(read_text(s.run_dir + "/summary.json"));
  return result_of("vwm", s.run_dir, s.run_id, summary.value("backend", ""),
                   summary.value("device", ""), s.first_iteration - 1, s.iterations, s.final_loss);
}

void require_folder(const TrainOptions& o) {
  if (o.out_dir.empty()) throw UsageError("TrainOptions::out_dir is required (the run folder)");
}

}  // namespace

TrainResult train_model(const Spec& spec, const TrainOptions& o) {
  require_folder(o);
  std::map<std::string, std::string> settings = o.settings;
  uint64_t seed = 0;  // the VWM trainer's seed is an option, not a key of its config
  const std::string trainer = api::trainer_of(detail::data_of(spec).spec);
  if (trainer == "vwm" && settings.count("seed")) {
    try {
      seed = std::stoull(settings.at("seed"));
    } catch (const std::exception&) {
      throw UsageError("setting 'seed': '" + settings.at("seed") + "' is not a whole number");
    }
    settings.erase("seed");
  }
  const ModelSpec s = with_settings(detail::data_of(spec).spec, settings);
  if (trainer == "ring") return run_ring(&s, o, false);
  const vwm::VwmConfig c = vwm::vwm_config_from_spec(s);
  return run_vwm(&c, seed, o, false);
}

TrainResult train_vwm_config(const std::string& config_path, const TrainOptions& o) {
  require_folder(o);
  if (!o.settings.empty())
    throw UsageError("settings apply to a spec's train: section; edit the vwm_rnn config instead");
  const vwm::VwmConfig c = vwm::load_vwm_config(config_path);
  if (o.on_warning)
    for (const std::string& note : vwm::ignored_key_notes(c)) o.on_warning(note);
  return run_vwm(&c, 0, o, c.load_history);
}

TrainResult resume_training(const std::string& run_dir, const TrainOptions& options) {
  TrainOptions o = options;
  o.out_dir = run_dir;
  require_folder(o);
  if (!o.settings.empty() || o.overwrite)
    throw UsageError("a resumed run keeps its checkpoint's settings: no settings or overwrite");
  return api::trainer_of_run(run_dir) == "vwm" ? run_vwm(nullptr, 0, o, true)
                                               : run_ring(nullptr, o, true);
}

AnalyzeResult analyze_run(const std::string& run_dir, const AnalyzeOptions& o) {
  vwm::AnalyzeOptions a;
  if (!o.what.empty()) a.what = o.what;
  const auto& known = vwm::analysis_names();
  for (const std::string& w : a.what)
    if (std::find(known.begin(), known.end(), w) == known.end())
      throw UsageError("unknown analysis '" + w + "' (errors, snr, fixed-points)");
  a.trials = o.trials;
  a.backend = o.backend == "auto" ? "" : o.backend;
  a.seed = o.seed;
  a.figures = o.figures;
  const vwm::LoadedRun run = vwm::load_run(run_dir);
  AnalyzeResult r;
  r.summary = vwm::run_analyses(run, a);
  const std::string dir = vwm::detail::out_dir(run, a);
  for (const std::string& what : a.what) {
    const std::string file = what == "fixed-points" ? "fixed_points.json" : what + ".json";
    r.json[what] = read_text(dir + "/" + file);
  }
  return r;
}

}  // namespace rnnjit
