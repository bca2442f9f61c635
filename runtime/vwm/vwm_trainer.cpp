// The VWM training loop; see vwm_trainer.hpp for the recipe and the files it writes.
#include "runtime/vwm/vwm_trainer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "compiler/lower.hpp"
#include "runtime/backends.hpp"
#include "runtime/executor.hpp"
#include "runtime/params.hpp"
#include "runtime/seed_mix.hpp"
#include "runtime/train/adam.hpp"
#include "runtime/train/checkpoint.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/vwm/vwm_config_io.hpp"
#include "runtime/vwm/vwm_device_step.hpp"
#include "runtime/vwm/vwm_figures.hpp"
#include "runtime/vwm/vwm_task.hpp"

namespace rnnjit::vwm {

bool PlateauScheduler::step(double loss) {
  if (loss < best_ * (1.0 - 1e-4)) {
    best_ = loss;
    bad_ = 0;
    return false;
  }
  if (++bad_ > patience_) {
    lr_ *= factor_;
    bad_ = 0;
    return true;
  }
  return false;
}

namespace {

std::vector<std::string> metric_columns(const VwmConfig& c) {
  std::vector<std::string> cols{"step", "loss", "error_term", "eval_error", "activity", "lr"};
  for (int64_t k : c.item_num) cols.push_back("error_ss" + std::to_string(k));
  for (int64_t k : c.item_num) cols.push_back("activity_ss" + std::to_string(k));
  return cols;
}

double meta_double(const train::Checkpoint& ck, const std::string& key) {
  auto it = ck.metadata.find(key);
  if (it == ck.metadata.end())
    throw std::runtime_error("train vwm: checkpoint " + ck.path + " lacks metadata '" + key + "'");
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    throw std::runtime_error("train vwm: checkpoint " + ck.path + ": metadata '" + key +
                             "' is not a number: '" + it->second + "'");
  }
}

std::string num(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

}  // namespace

uint64_t vwm_batch_seed(uint64_t seed, int64_t iteration) {
  return splitmix64(splitmix64(seed) ^ (static_cast<uint64_t>(iteration) * 2 + 0));
}
uint64_t vwm_noise_seed(uint64_t seed, int64_t iteration) {
  return splitmix64(splitmix64(seed) ^ (static_cast<uint64_t>(iteration) * 2 + 1));
}

VwmTrainSummary train_vwm(const VwmConfig& c, const VwmTrainOptions& opt) {
  VwmTrainSummary sum;
  sum.model_name = model_name(c);
  sum.run_dir = opt.out_dir.empty() ? "runs/" + sum.model_name : opt.out_dir;
  train::ensure_dir(sum.run_dir);

  const ModelSpec spec = to_model_spec(c);
  const ir::Module m = compile_module(spec);
  // Every backend draws spike noise from the shared Philox stream (same draws for one seed);
  // "auto" picks cuda, else cpu, else reference.
  ExecutorConfig ecfg;
  ecfg.backend = opt.backend;
  std::unique_ptr<CellExecutor> exec = make_executor(m, ecfg);

  // A resumed run continues the stored one's batch and noise streams: its seed is the checkpoint's.
  std::optional<train::Checkpoint> ck;
  uint64_t seed = opt.seed;
  if (opt.resume) {
    const auto path = train::latest_checkpoint(sum.run_dir);
    if (!path) throw std::runtime_error("train vwm: --resume but no checkpoint in " + sum.run_dir);
    ck = train::load_checkpoint(*path);
    if (auto it = ck->metadata.find("seed"); it != ck->metadata.end())
      seed = std::stoull(it->second);
  }

  // Learned tensors W, B and the readout F live in one map (the executor ignores F); tau is a
  // buffer there without a gradient, so Adam leaves it alone.
  TensorMap state = init_params(spec, m, splitmix64(seed ^ 0x5eedull));
  state[kReadoutName] = init_readout(c.max_item_num, c.num_neurons, splitmix64(seed ^ 0xF00Dull));
  std::set<std::string> nonnegative;
  if (c.dales_law) nonnegative.insert(kRecurrentName);
  if (c.positive_input) nonnegative.insert(kInputWeightName);

  train::AdamConfig acfg;
  acfg.lr = c.eta;
  acfg.clip_norm = 0;  // the seed does not clip
  train::Adam adam(acfg);
  PlateauScheduler plateau(c.eta, 0.5, c.adaptive_lr_patience);
  double es_best = std::numeric_limits<double>::infinity();
  int64_t es_bad = 0;

  int64_t first = 1;
  if (ck) {
    const std::string& path = ck->path;
    for (auto& [name, t] : state) {
      auto it = ck->tensors.find(name);
      if (it == ck->tensors.end())
        throw std::runtime_error("train vwm: checkpoint " + path + " lacks tensor '" + name + "'");
      if (it->second.shape() != t.shape())
        throw ShapeError("train vwm: checkpoint " + path + ": tensor '" + name + "' has shape " +
                         it->second.shape_str() + " but the config needs " + t.shape_str());
      t = it->second.to(DType::F64);
    }
    adam.load_state(ck->tensors, static_cast<int64_t>(meta_double(*ck, "adam_steps")));
    plateau.restore(meta_double(*ck, "lr"), meta_double(*ck, "plateau_best"),
                    static_cast<int64_t>(meta_double(*ck, "plateau_bad")));
    es_best = meta_double(*ck, "early_stop_best");
    es_bad = static_cast<int64_t>(meta_double(*ck, "early_stop_bad"));
    first = ck->step + 1;
  }
  // Only now, with the checkpoint known to fit this config: a failed resume leaves the folder as
  // it was.
  save_vwm_config_json(sum.run_dir + "/config.json", c);
  sum.first_iteration = first;
  const int64_t last = opt.iterations >= 0 ? opt.iterations : c.num_iterations;

  train::CsvWriter csv(sum.run_dir + "/metrics.csv", metric_columns(c), !opt.resume, first - 1);
  const int64_t period = std::max<int64_t>(1, c.logging_period);
  train::Progress progress(last, first - 1, static_cast<int>(period),
                           opt.progress && train::Progress::stdout_is_tty());

  // On a GPU the learned tensors, the loss and Adam live on the device (vwm_device_step.hpp);
  // whatever reads `state` or adam's moments syncs them first.
  std::unique_ptr<VwmDeviceStep> device_step;
  if (first <= last && use_vwm_device_step(*exec, c))
    device_step = std::make_unique<VwmDeviceStep>(*exec, m, c, state, nonnegative, adam);
  if (device_step && opt.progress)
    std::printf(
        "rnnjit train: W, B, F, the loss and Adam on the GPU (RNNJIT_DEVICE_STEP=0: host loop)\n");
  auto sync = [&] {
    if (device_step) device_step->sync_to_host(state, adam);
  };

  auto save = [&](int64_t step) {
    sync();
    TensorMap tensors = state;
    adam.save_state(tensors);
    Metadata md{{"adam_steps", std::to_string(adam.steps())},
                {"lr", num(plateau.lr())},
                {"plateau_best", num(plateau.best())},
                {"plateau_bad", std::to_string(plateau.bad_steps())},
                {"early_stop_best", num(es_best)},
                {"early_stop_bad", std::to_string(es_bad)},
                {"seed", std::to_string(seed)},
                {"model_name", sum.model_name}};
    train::save_checkpoint(sum.run_dir, step, tensors, md);
  };

  const Timeline tl = make_timeline(c);
  const auto t0 = std::chrono::steady_clock::now();
  int64_t k = first;
  LossResult loss;
  VwmBatch batch;
  ExampleRates example;  // trial 0 of the last logged iteration, for rates.png
  for (; k <= last; ++k) {
    batch = make_batch(c, vwm_batch_seed(seed, k), DType::F64);
    TensorMap inputs;
    inputs["r0"] = Tensor(DType::F64, {batch.trials, c.num_neurons});
    inputs[kInputName] = batch.input;
    RunOptions ro;
    ro.noise_seed = vwm_noise_seed(seed, k);
    Tensor r;  // the rates, on the host loop only
    adam.config().lr = plateau.lr();
    if (device_step) {
      loss = device_step->step(inputs, batch, ro.noise_seed, adam);
    } else {
      r = exec->forward(state, inputs, ro);
      LossOptions lo = loss_options(c, ro.noise_seed);
      lo.threads = opt.loss_threads;
      loss = vwm_loss(r, state.at(kReadoutName), batch.theta, batch.presence, lo);
      const TensorMap cell_grads = exec->backward(loss.dr);
      TensorMap grads;
      for (const char* name : {kRecurrentName, kInputWeightName})
        if (cell_grads.count(name)) grads[name] = cell_grads.at(name);
      grads[kReadoutName] = loss.dF;
      adam.step(state, grads, nonnegative);
    }

    sum.losses.push_back(loss.total);
    plateau.step(loss.total);
    if (loss.total < es_best) {
      es_best = loss.total;
      es_bad = 0;
    } else {
      ++es_bad;
    }
    const bool stop = es_bad >= c.early_stop_patience;
    const bool logged = k % period == 0 || k == last || stop;
    if (logged && opt.figures && batch.trials > 0) {
      const Tensor r0 = device_step ? device_step->trial_rates(0) : Tensor();
      const int64_t steps = device_step ? r0.dim(0) : r.dim(1),
                    n = device_step ? r0.dim(1) : r.dim(2);
      example.r = Tensor(DType::F64, {steps, n});
      for (int64_t e = 0; e < steps * n; ++e)
        example.r.data<double>()[e] = device_step ? r0.at_f64(e) : r.at_f64(e);
      const int64_t g = batch.group.empty() ? -1 : batch.group[0];
      example.set_size = g >= 0 ? c.item_num[static_cast<size_t>(g)] : 0;
    }
    if (logged) {
      std::vector<double> row{static_cast<double>(k), loss.total,    loss.error_term,
                              loss.eval_error,        loss.activity, plateau.lr()};
      const std::vector<GroupMetrics> groups = group_metrics(loss, batch, c);
      for (const GroupMetrics& g : groups) row.push_back(g.error);
      for (const GroupMetrics& g : groups) row.push_back(g.activity);
      csv.row(row);
      save(k);
    }
    // Progress prints a plain line whenever `extra` is non-empty: give it only on logged steps.
    if (opt.progress)
      progress.update(k, loss.total, logged ? "err " + num(loss.eval_error).substr(0, 6) : "");
    if (stop) {
      sum.early_stopped = true;
      break;
    }
  }
  if (opt.progress) progress.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sync();
  sum.iterations = std::min(k, last);
  const int64_t ran = sum.iterations - first + 1;
  sum.seconds_per_iteration = ran > 0 ? seconds / static_cast<double>(ran) : 0.0;
  sum.final_loss = sum.losses.empty() ? 0.0 : sum.losses.back();
  sum.best_loss = es_best;
  sum.final_lr = plateau.lr();
  if (ran > 0) sum.last_groups = group_metrics(loss, batch, c);

  nlohmann::json j;
  j["model_name"] = sum.model_name;
  j["backend"] = exec->backend();
  j["device_step"] = device_step != nullptr;  // learned tensors, loss and Adam on the GPU
  j["seed"] = seed;
  j["first_iteration"] = sum.first_iteration;
  j["iterations"] = sum.iterations;
  j["early_stopped"] = sum.early_stopped;
  j["final_loss"] = sum.final_loss;
  j["best_loss"] = std::isfinite(sum.best_loss) ? nlohmann::json(sum.best_loss) : nlohmann::json();
  j["final_lr"] = sum.final_lr;
  j["seconds_per_iteration"] = sum.seconds_per_iteration;
  j["neurons"] = c.num_neurons;
  j["trials"] = c.num_trials;
  j["steps"] = tl.steps;
  for (const GroupMetrics& g : sum.last_groups)
    j["error_by_set_size"][std::to_string(g.set_size)] = g.error;
  train::write_json_atomic(sum.run_dir + "/summary.json", j);
  if (opt.figures) sum.figures = write_vwm_figures(sum.run_dir, c, state, &example);
  return sum;
}

}  // namespace rnnjit::vwm
