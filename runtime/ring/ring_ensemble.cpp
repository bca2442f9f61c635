#include "runtime/ring/ring_ensemble.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "compiler/spec_canonical.hpp"
#include "runtime/backends/ensemble.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/memory_budget.hpp"
#include "runtime/plot/plot.hpp"
#include "runtime/ring/ring_run.hpp"
#include "runtime/train/metrics.hpp"

namespace rnnjit::train::ring {

namespace fs = std::filesystem;

namespace {

std::string member_dir(const std::string& root, size_t e) {
  return fmt::format("{}/member-{:03d}", root, e);
}

// The members' folders and labels, as ensemble.json holds them.
struct Roster {
  std::vector<std::string> dirs;
  std::vector<std::map<std::string, std::string>> labels;
};

void write_roster(const std::string& root, const Roster& r) {
  nlohmann::json j = {{"model", "ring"}, {"members", nlohmann::json::array()}};
  for (size_t e = 0; e < r.dirs.size(); ++e)
    j["members"].push_back(
        {{"dir", fs::path(r.dirs[e]).filename().string()}, {"labels", r.labels[e]}});
  write_json_atomic(root + "/ensemble.json", j);
}

Roster read_roster(const std::string& root) {
  std::ifstream in(root + "/ensemble.json");
  if (!in) throw UsageError(root + " holds no ensemble.json: not an ensemble folder");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("members") || !j["members"].is_array())
    throw std::runtime_error(root + "/ensemble.json: not an ensemble description");
  Roster r;
  for (const auto& m : j["members"]) {
    if (!m.contains("dir") || !m["dir"].is_string() || !m.contains("labels") ||
        !m["labels"].is_object())
      throw std::runtime_error(root + "/ensemble.json: a member without its dir or labels");
    r.dirs.push_back(root + "/" + m["dir"].get<std::string>());
    std::map<std::string, std::string> labels;
    for (auto& [k, v] : m["labels"].items())
      labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
    r.labels.push_back(std::move(labels));
  }
  if (r.dirs.empty()) throw std::runtime_error(root + "/ensemble.json: no members");
  return r;
}

// Every member's cell runs in one launch per step; their losses, gradients and optimisers on the
// host, each as its own run would.
class EnsembleLoop {
 public:
  EnsembleLoop(std::vector<std::unique_ptr<RingRun>>& runs, const ExecutorConfig& exec)
      : runs_(runs), exec_(exec), stopped_(runs.size(), false) {}

  void run(bool quiet) {
    for (auto& r : runs_) r->begin();
    int64_t total = 0, done = 0;
    for (auto& r : runs_) total += r->config().steps - r->next_step();
    int64_t next_report = 0;
    while (true) {
      const std::vector<size_t> active = active_members();
      if (active.empty()) break;
      const double mean_loss = step(active);
      done += static_cast<int64_t>(active.size());
      if (!quiet && done >= next_report) {
        fmt::print("ensemble: {}/{} member-steps, {} active, mean loss {:.5f}\n", done, total,
                   active.size(), mean_loss);
        std::fflush(stdout);
        next_report = done + std::max<int64_t>(1, total / 20);
      }
    }
  }

  bool stopped(size_t e) const { return stopped_[e]; }

 private:
  std::vector<size_t> active_members() const {
    std::vector<size_t> out;
    for (size_t e = 0; e < runs_.size(); ++e)
      if (!stopped_[e] && runs_[e]->more_steps()) out.push_back(e);
    return out;
  }

  // One step of every active member; returns their mean loss.
  double step(const std::vector<size_t>& active) {
    if (!ens_ || ens_->members() != static_cast<int>(active.size()))
      ens_ = make_ensemble_executor(runs_[active[0]]->model().module(),
                                    static_cast<int>(active.size()), exec_);
    std::vector<AvBatch> batches;
    std::vector<RingStep> steps;
    std::vector<TensorMap> params, inputs;
    for (size_t e : active) {
      RingRun& run = *runs_[e];
      const RingTrainConfig& c = run.config();
      batches.push_back(
          generate_av_batch(c.task, c.batch, c.seed, static_cast<uint64_t>(run.next_step())));
      steps.push_back(run.model().prepare(batches.back()));
      params.push_back(steps.back().params);
      inputs.push_back(steps.back().inputs);
    }
    const std::vector<Tensor> r =
        ens_->forward(params, inputs, std::vector<RunOptions>(active.size()));
    std::vector<RingLossValue> losses;
    std::vector<Tensor> dr;
    for (size_t i = 0; i < active.size(); ++i) {
      Tensor d;
      losses.push_back(runs_[active[i]]->model().loss(batches[i], r[i], &d));
      // A diverged member's cotangent is replaced by zeros: its backward runs (the launch is
      // shared) and its gradients are dropped.
      if (!std::isfinite(losses.back().total)) d = Tensor(DType::F64, r[i].shape());
      dr.push_back(d.to(ens_->dtype()));
    }
    const std::vector<TensorMap> grads = ens_->backward(dr);
    double sum = 0;
    for (size_t i = 0; i < active.size(); ++i) {
      RingRun& run = *runs_[active[i]];
      if (!std::isfinite(losses[i].total)) {
        run.abandon(fmt::format("diverged: the loss became {} at step {}", losses[i].total,
                                run.next_step() + 1));
        stopped_[active[i]] = true;
        continue;
      }
      const TensorMap g = run.model().gradients(steps[i], grads[i]);
      const double norm = run.adam().step(run.model().params(), g, run.model().nonnegative());
      run.record_step(losses[i], norm);
      sum += losses[i].total;
    }
    return sum / static_cast<double>(active.size());
  }

  std::vector<std::unique_ptr<RingRun>>& runs_;
  ExecutorConfig exec_;
  std::unique_ptr<EnsembleExecutor> ens_;
  std::vector<bool> stopped_;
};

void write_ensemble_outputs(const std::string& root, const std::vector<RingMemberResult>& out,
                            bool figures) {
  std::vector<std::string> keys;
  for (const auto& m : out)
    for (const auto& [k, v] : m.labels)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  std::string csv = "member";
  for (const auto& k : keys) csv += "," + k;
  csv += ",status,steps,held_out_error,run_id\n";
  for (size_t e = 0; e < out.size(); ++e) {
    const RingMemberResult& m = out[e];
    csv += std::to_string(e);
    for (const auto& k : keys) csv += "," + (m.labels.count(k) ? m.labels.at(k) : "");
    csv += "," + m.status + "," + std::to_string(m.steps) + "," +
           (std::isnan(m.held_out_error) ? "" : fmt::format("{:.9g}", m.held_out_error)) + "," +
           m.run_id + "\n";
  }
  write_file_atomic(root + "/ensemble.csv", csv);
  if (!figures) return;
  plot::Histogram h;
  h.title = fmt::format("held-out circular error of {} ring networks", out.size());
  h.xlabel = "circular error (rad)";
  h.ylabel = "networks";
  for (const auto& m : out) h.values.push_back(m.held_out_error);
  h.bins = std::max(5, static_cast<int>(std::sqrt(static_cast<double>(out.size()))) + 3);
  h.legend = false;
  plot::save_png({.width_px = 700, .height_px = 450, .panels = {h}}, root + "/ensemble_errors.png");
}

std::vector<RingMemberResult> run_ensemble(std::vector<std::unique_ptr<RingRun>>& runs,
                                           const Roster& roster, const RingEnsembleOptions& opt) {
  EnsembleLoop loop(runs, opt.common.exec);
  loop.run(opt.common.quiet);
  std::vector<RingMemberResult> out;
  for (size_t e = 0; e < runs.size(); ++e) {
    RingMemberResult m;
    m.dir = roster.dirs[e];
    m.labels = roster.labels[e];
    m.run_id = runs[e]->run_id();
    if (loop.stopped(e)) {
      m.status = "diverged";
      m.held_out_error = NAN;
      m.steps = runs[e]->next_step();
    } else {
      const RingTrainResult r = runs[e]->finish();
      m.status = "finished";
      m.held_out_error = r.eval.pv_error;
      m.steps = r.steps;
    }
    out.push_back(std::move(m));
  }
  write_ensemble_outputs(opt.common.out_dir, out, opt.common.figures);
  return out;
}

// Each member's options: the common ones, its folder and config, quiet (the ensemble reports).
RingTrainOptions member_options(const RingEnsembleOptions& opt, const std::string& dir,
                                const RingTrainConfig* cfg) {
  RingTrainOptions o = opt.common;
  o.out_dir = dir;
  if (cfg) o.cfg = *cfg;
  o.quiet = true;
  o.movie = false;
  o.device_step = false;
  return o;
}

}  // namespace

bool is_ensemble_folder(const std::string& dir) {
  return fs::exists(fs::path(dir) / "ensemble.json");
}

std::vector<RingMemberResult> train_ring_ensemble(const ModelSpec& spec,
                                                  const RingEnsembleOptions& opt) {
  const std::string& root = opt.common.out_dir;
  if (root.empty()) throw UsageError("no ensemble folder (--out DIR)");
  if (opt.members.empty()) throw UsageError("an ensemble needs at least one member");
  if (opt.labels.size() != opt.members.size())
    throw std::invalid_argument("ring ensemble: one label set per member");
  for (const RingTrainConfig& c : opt.members)
    if (c.neurons != opt.members.front().neurons)
      throw UsageError("the members of an ensemble share their cell: --neurons cannot vary");
  check_fits_in_memory(
      static_cast<double>(opt.members.size()) *
          ring_step_bytes(opt.members[0].neurons > 0 ? opt.members[0].neurons : spec.neurons,
                          spec.gates.empty() ? 0 : spec.gates[0].size, opt.members[0].batch,
                          opt.members[0].task.seq_len),
      fmt::format("an ensemble of {} ring networks", opt.members.size()));
  std::error_code ec;
  fs::create_directories(root, ec);  // prepare_fresh_run reports a folder it cannot create
  std::unique_ptr<RunFolderLock> lock;
  if (fs::is_directory(root)) lock = std::make_unique<RunFolderLock>(root);
  Roster roster;
  for (size_t e = 0; e < opt.members.size(); ++e) {
    roster.dirs.push_back(member_dir(root, e));
    roster.labels.push_back(opt.labels[e]);
  }
  // Nothing is written or removed before every folder is known to be free (or --overwrite).
  for (const std::string& dir : roster.dirs)
    if (!opt.common.overwrite && !run_files(dir).empty())
      throw UsageError(dir +
                       " already holds a training run: continue the ensemble with --resume, "
                       "replace it with --overwrite, or give another --out");
  prepare_fresh_run(root, opt.common.overwrite);  // the ensemble files of another ensemble
  write_roster(root, roster);
  std::vector<RingTrainOptions> options;  // outlive the runs, which keep references
  options.reserve(opt.members.size());
  std::vector<std::unique_ptr<RingRun>> runs;
  for (size_t e = 0; e < opt.members.size(); ++e) {
    options.push_back(member_options(opt, roster.dirs[e], &opt.members[e]));
    OpenRun open = open_run(roster.dirs[e], false, opt.common.overwrite, fresh_ring_record(spec),
                            std::nullopt, spec.path, ring_warner(opt.common));
    runs.push_back(std::make_unique<RingRun>(spec, options.back(), std::move(open)));
  }
  return run_ensemble(runs, roster, opt);
}

std::vector<RingMemberResult> resume_ring_ensemble(const RingEnsembleOptions& opt,
                                                   const ModelSpec* spec) {
  const std::string& root = opt.common.out_dir;
  const Roster roster = read_roster(root);
  RunFolderLock lock(root);
  std::vector<RingTrainOptions> options;
  options.reserve(roster.dirs.size());
  std::vector<ModelSpec> specs;  // the members' specs, which the runs keep references to
  specs.reserve(roster.dirs.size());
  std::vector<std::unique_ptr<RingRun>> runs;
  for (const std::string& dir : roster.dirs) {
    options.push_back(member_options(opt, dir, nullptr));
    const std::optional<nlohmann::json> now =
        spec ? std::optional<nlohmann::json>(canonical_spec(*spec)) : std::nullopt;
    OpenRun open = open_run(dir, true, false, RunRecord{.model = "ring"}, now,
                            spec ? spec->path : "", ring_warner(opt.common));
    if (spec)
      specs.push_back(*spec);
    else if (open.record.spec_text.empty())
      throw UsageError(open.checkpoint->path +
                       " holds no copy of its spec: resume the ensemble with its spec");
    else
      specs.push_back(
          parse_spec_string(open.record.spec_text, open.checkpoint->path + " (the stored spec)"));
    runs.push_back(std::make_unique<RingRun>(specs.back(), options.back(), std::move(open)));
  }
  return run_ensemble(runs, roster, opt);
}

}  // namespace rnnjit::train::ring
