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
#include "compiler/spec_canonical.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/executor.hpp"
#include "runtime/core/memory_budget.hpp"
#include "runtime/core/params.hpp"
#include "runtime/core/seed_mix.hpp"
#include "runtime/train/adam.hpp"
#include "runtime/train/checkpoint.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/train/run_folder.hpp"
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

uint64_t vwm_batch_seed(uint64_t seed, int64_t iteration) {
  return splitmix64(splitmix64(seed) ^ (static_cast<uint64_t>(iteration) * 2 + 0));
}
uint64_t vwm_noise_seed(uint64_t seed, int64_t iteration) {
  return splitmix64(splitmix64(seed) ^ (static_cast<uint64_t>(iteration) * 2 + 1));
}

namespace {

std::vector<std::string> metric_columns(const VwmConfig& c) {
  std::vector<std::string> cols{"step", "loss", "error_term", "eval_error", "activity", "lr"};
  for (int64_t k : c.item_num) cols.push_back("error_ss" + std::to_string(k));
  for (int64_t k : c.item_num) cols.push_back("activity_ss" + std::to_string(k));
  return cols;
}

std::string num(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

std::function<void(const std::string&)> warner(const VwmTrainOptions& opt) {
  if (opt.warn) return opt.warn;
  return
      [](const std::string& w) { std::fprintf(stderr, "rnnjit train: warning: %s\n", w.c_str()); };
}

train::RunRecord fresh_record(const VwmConfig& c) {
  train::RunRecord r;
  r.model = "vwm";
  r.spec = vwm_model_record(c);
  r.spec_text = vwm_config_to_json(c).dump();
  return r;
}

// One training run, from an opened run folder to summary.json, in the order of run().
class VwmRun {
 public:
  VwmRun(const VwmConfig& c, const VwmTrainOptions& opt, const std::string& dir,
         train::OpenRun open)
      : c_(c),
        opt_(opt),
        open_(std::move(open)),
        spec_(to_model_spec(c)),
        module_(compile_module(spec_)),
        plateau_(c.eta, 0.5, c.adaptive_lr_patience) {
    sum_.model_name = model_name(c);
    sum_.run_dir = dir;
    sum_.run_id = open_.record.run_id;
    last_ = opt.iterations >= 0 ? opt.iterations : c.num_iterations;
    // A resumed run continues the stored one's batch and noise streams: its seed is the
    // checkpoint's.
    seed_ = opt.seed;
    if (open_.checkpoint && open_.checkpoint->metadata.count("seed"))
      seed_ = train::metadata_uint(*open_.checkpoint, "seed");
    check_target();
    check_fits_in_memory(vwm_iteration_bytes(c), "training the VWM network (" +
                                                     std::to_string(c.num_neurons) + " neurons, " +
                                                     std::to_string(c.num_trials) + " trials)");
    // Every backend draws spike noise from the shared Philox stream (same draws for one seed);
    // "auto" picks cuda, else cpu, else reference.
    ExecutorConfig ecfg;
    ecfg.backend = opt.backend;
    ecfg.verbose = opt.verbose;
    exec_ = make_executor(module_, ecfg);
    // Learned tensors W, B and the readout F live in one map (the executor ignores F); tau is a
    // buffer there without a gradient, so Adam leaves it alone.
    state_ = init_params(spec_, module_, splitmix64(seed_ ^ 0x5eedull));
    state_[kReadoutName] =
        init_readout(c.max_item_num, c.num_neurons, splitmix64(seed_ ^ 0xF00Dull));
    if (c.dales_law) nonnegative_.insert(kRecurrentName);
    if (c.positive_input) nonnegative_.insert(kInputWeightName);
    train::AdamConfig acfg;
    acfg.lr = c.eta;
    acfg.clip_norm = 0;  // vwm_rnn does not clip
    adam_ = train::Adam(acfg);
  }

  VwmTrainSummary run() {
    restore_checkpoint();
    // Only now, with the checkpoint known to fit this config: a failed resume leaves the folder
    // as it was.
    save_vwm_config_json(sum_.run_dir + "/config.json", c_);
    sum_.first_iteration = first_;
    // On a GPU the learned tensors, the loss and Adam live on the device (vwm_device_step.hpp);
    // whatever reads `state_` or adam's moments syncs them first.
    if (first_ <= last_ && use_vwm_device_step(*exec_, c_))
      device_step_ =
          std::make_unique<VwmDeviceStep>(*exec_, module_, c_, state_, nonnegative_, adam_);
    if (device_step_ && opt_.progress)
      std::printf(
          "rnnjit train: W, B, F, the loss and Adam on the GPU (RNNJIT_DEVICE_STEP=0: host "
          "loop)\n");
    train_loop();
    write_summary();
    if (opt_.figures) sum_.figures = write_vwm_figures(sum_.run_dir, c_, state_, &example_);
    return std::move(sum_);
  }

 private:
  // A resume must move forward: a last iteration at or below the checkpoint's would do nothing.
  void check_target() const {
    if (opt_.iterations < -1)
      throw UsageError("--steps must be >= 0, got " + std::to_string(opt_.iterations));
    if (open_.checkpoint && last_ <= open_.checkpoint->step)
      throw UsageError("the run in " + sum_.run_dir + " is at step " +
                       std::to_string(open_.checkpoint->step) + " (" + open_.checkpoint->path +
                       ") and its target is " + std::to_string(last_) + ": give --steps above " +
                       std::to_string(open_.checkpoint->step) + " to train further");
  }

  void restore_checkpoint() {
    if (!open_.checkpoint) return;
    const train::Checkpoint& ck = *open_.checkpoint;
    for (auto& [name, t] : state_) {
      const Tensor& saved = require(ck.tensors, name, ck.path);
      check_shape(ck.path + ": " + name, saved, t.shape());
      t = saved.to(DType::F64);
    }
    std::set<std::string> learned{kRecurrentName, kInputWeightName, kReadoutName};
    adam_.load_state(ck.tensors, train::metadata_int(ck, "adam_steps"), state_, learned, ck.path);
    plateau_.restore(train::metadata_double(ck, "lr"), train::metadata_double(ck, "plateau_best"),
                     train::metadata_int(ck, "plateau_bad"));
    es_best_ = train::metadata_double(ck, "early_stop_best");
    es_bad_ = train::metadata_int(ck, "early_stop_bad");
    first_ = ck.step + 1;
  }

  void sync() {
    if (device_step_) device_step_->sync_to_host(state_, adam_);
  }

  void checkpoint(int64_t step) {
    sync();
    TensorMap tensors = state_;
    adam_.save_state(tensors);
    Metadata md{{"adam_steps", std::to_string(adam_.steps())},
                {"lr", num(plateau_.lr())},
                {"plateau_best", num(plateau_.best())},
                {"plateau_bad", std::to_string(plateau_.bad_steps())},
                {"early_stop_best", num(es_best_)},
                {"early_stop_bad", std::to_string(es_bad_)},
                {"seed", std::to_string(seed_)},
                {"model_name", sum_.model_name}};
    open_.record.to_metadata(md);
    train::save_checkpoint(sum_.run_dir, step, tensors, md);
  }

  // Iteration k: forward, loss, adjoint and Adam, on the device or the host. `r` receives the
  // rates on the host loop.
  LossResult iterate(int64_t k, const VwmBatch& batch, Tensor* r) {
    TensorMap inputs;
    inputs["r0"] = Tensor(DType::F64, {batch.trials, c_.num_neurons});
    inputs[kInputName] = batch.input;
    RunOptions ro;
    ro.noise_seed = vwm_noise_seed(seed_, k);
    adam_.config().lr = plateau_.lr();
    if (device_step_) return device_step_->step(inputs, batch, ro.noise_seed, adam_);
    *r = exec_->forward(state_, inputs, ro);
    LossOptions lo = loss_options(c_, ro.noise_seed);
    lo.threads = opt_.loss_threads;
    LossResult loss = vwm_loss(*r, state_.at(kReadoutName), batch.theta, batch.presence, lo);
    const TensorMap cell_grads = exec_->backward(loss.dr);
    TensorMap grads;
    for (const char* name : {kRecurrentName, kInputWeightName})
      if (cell_grads.count(name)) grads[name] = cell_grads.at(name);
    grads[kReadoutName] = loss.dF;
    adam_.step(state_, grads, nonnegative_);
    return loss;
  }

  // The learning-rate plateau and early stopping see every iteration's loss; true: stop now.
  bool schedule(double loss) {
    plateau_.step(loss);
    if (loss < es_best_) {
      es_best_ = loss;
      es_bad_ = 0;
    } else {
      ++es_bad_;
    }
    return es_bad_ >= c_.early_stop_patience;
  }

  // Trial 0 of a logged iteration, for rates.png.
  void keep_example(const VwmBatch& batch, const Tensor& r) {
    if (!opt_.figures || batch.trials == 0) return;
    const Tensor r0 = device_step_ ? device_step_->trial_rates(0) : Tensor();
    const int64_t steps = device_step_ ? r0.dim(0) : r.dim(1),
                  n = device_step_ ? r0.dim(1) : r.dim(2);
    example_.r = Tensor(DType::F64, {steps, n});
    for (int64_t e = 0; e < steps * n; ++e)
      example_.r.data<double>()[e] = device_step_ ? r0.at_f64(e) : r.at_f64(e);
    const int64_t g = batch.group.empty() ? -1 : batch.group[0];
    example_.set_size = g >= 0 ? c_.item_num[static_cast<size_t>(g)] : 0;
  }

  void log_row(train::CsvWriter& csv, int64_t k, const LossResult& loss, const VwmBatch& batch) {
    std::vector<double> row{static_cast<double>(k), loss.total,    loss.error_term,
                            loss.eval_error,        loss.activity, plateau_.lr()};
    const std::vector<GroupMetrics> groups = group_metrics(loss, batch, c_);
    for (const GroupMetrics& g : groups) row.push_back(g.error);
    for (const GroupMetrics& g : groups) row.push_back(g.activity);
    csv.row(row);
  }

  void train_loop() {
    train::CsvWriter csv(sum_.run_dir + "/metrics.csv", metric_columns(c_), !open_.checkpoint,
                         first_ - 1, train::metrics_comment(open_.record.run_id));
    const int64_t period = std::max<int64_t>(1, c_.logging_period);
    train::Progress progress(last_, first_ - 1, static_cast<int>(period),
                             opt_.progress && train::Progress::stdout_is_tty());
    const auto t0 = std::chrono::steady_clock::now();
    int64_t k = first_;
    LossResult loss;
    VwmBatch batch;
    for (; k <= last_; ++k) {
      batch = make_batch(c_, vwm_batch_seed(seed_, k), DType::F64);
      Tensor r;  // the rates, on the host loop only
      loss = iterate(k, batch, &r);
      sum_.losses.push_back(loss.total);
      const bool stop = schedule(loss.total);
      const bool logged = k % period == 0 || k == last_ || stop;
      if (logged) {
        keep_example(batch, r);
        log_row(csv, k, loss, batch);
        checkpoint(k);
      }
      if (opt_.on_step)
        opt_.on_step({k, last_, loss.total, loss.eval_error,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
      // Progress prints a plain line whenever `extra` is non-empty: give it only on logged steps.
      if (opt_.progress)
        progress.update(k, loss.total, logged ? "err " + num(loss.eval_error).substr(0, 6) : "");
      if (stop) {
        sum_.early_stopped = true;
        break;
      }
    }
    if (opt_.progress) progress.finish();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sync();
    sum_.iterations = std::min(k, last_);
    const int64_t ran = sum_.iterations - first_ + 1;
    sum_.seconds_per_iteration = ran > 0 ? seconds / static_cast<double>(ran) : 0.0;
    sum_.final_loss = sum_.losses.empty() ? 0.0 : sum_.losses.back();
    sum_.best_loss = es_best_;
    sum_.final_lr = plateau_.lr();
    if (ran > 0) sum_.last_groups = group_metrics(loss, batch, c_);
  }

  void write_summary() {
    nlohmann::json j = train::summary_header(open_.record, c_.path, opt_.command_line,
                                             exec_->backend(), exec_->device());
    j["model_name"] = sum_.model_name;
    j["device_step"] = device_step_ != nullptr;  // learned tensors, loss and Adam on the GPU
    j["neurons"] = c_.num_neurons;
    j["steps"] = sum_.iterations;
    j["start_step"] = sum_.first_iteration - 1;
    j["batch"] = c_.num_trials;
    j["trial_steps"] = make_timeline(c_).steps;
    j["seed"] = seed_;
    j["early_stopped"] = sum_.early_stopped;
    j["final_loss"] = sum_.final_loss;
    j["best_loss"] =
        std::isfinite(sum_.best_loss) ? nlohmann::json(sum_.best_loss) : nlohmann::json();
    j["final_lr"] = sum_.final_lr;
    j["seconds_per_step"] = sum_.seconds_per_iteration;
    for (const GroupMetrics& g : sum_.last_groups)
      j["error_by_set_size"][std::to_string(g.set_size)] = g.error;
    train::write_json_atomic(sum_.run_dir + "/summary.json", j);
  }

  const VwmConfig& c_;
  const VwmTrainOptions& opt_;
  train::OpenRun open_;
  const ModelSpec spec_;
  const ir::Module module_;
  std::unique_ptr<CellExecutor> exec_;
  std::unique_ptr<VwmDeviceStep> device_step_;
  TensorMap state_;
  std::set<std::string> nonnegative_;
  train::Adam adam_;
  PlateauScheduler plateau_;
  double es_best_ = std::numeric_limits<double>::infinity();
  int64_t es_bad_ = 0;
  uint64_t seed_ = 0;
  int64_t first_ = 1, last_ = 0;
  ExampleRates example_;  // trial 0 of the last logged iteration, for rates.png
  VwmTrainSummary sum_;
};

}  // namespace

nlohmann::json vwm_model_record(const VwmConfig& c) {
  return {{"cell", canonical_spec(to_model_spec(c))},
          {"task",
           {{"max_item_num", c.max_item_num},
            {"item_num", c.item_num},
            {"input_strength", c.input_strength},
            {"ILC_noise", c.ILC_noise},
            {"T_init", c.T_init},
            {"T_stimi", c.T_stimi},
            {"T_delay", c.T_delay},
            {"T_decode", c.T_decode},
            {"num_trials", c.num_trials}}},
          {"loss",
           {{"error_def", std::string(name(c.error_def))},
            {"lambda_reg", c.lambda_reg},
            {"lambda_err", c.lambda_err}}}};
}

double vwm_iteration_bytes(const VwmConfig& c) {
  const double states = static_cast<double>(c.num_trials) *
                        static_cast<double>(make_timeline(c).steps) *
                        static_cast<double>(c.num_neurons);
  const double n = static_cast<double>(c.num_neurons);
  // r, s, the noise draws and the cotangent in float32, their float64 copies and the loss's
  // per-step work; W, B, F with gradients and moments in float64.
  return states * (4 * 4 + 4 * 8) +
         (n * n + n * static_cast<double>(c.input_channels() + c.output_channels())) * 4 * 8;
}

VwmTrainSummary train_vwm(const VwmConfig& c, const VwmTrainOptions& opt) {
  const std::string dir = opt.out_dir.empty() ? "runs/" + model_name(c) : opt.out_dir;
  train::OpenRun open =
      train::open_run(dir, opt.resume, opt.overwrite, fresh_record(c), vwm_model_record(c),
                      c.path.empty() ? "the config" : c.path, warner(opt));
  return VwmRun(c, opt, dir, std::move(open)).run();
}

VwmTrainSummary resume_vwm(const VwmTrainOptions& opt) {
  if (opt.out_dir.empty()) throw UsageError("no run folder to resume (--out DIR)");
  train::RunRecord none;
  none.model = "vwm";
  train::OpenRun open =
      train::open_run(opt.out_dir, true, false, none, std::nullopt, "", warner(opt));
  if (open.record.spec_text.empty())
    throw UsageError(open.checkpoint->path +
                     " holds no copy of its settings (it predates run records): resume with the "
                     "spec or --vwm-config");
  const auto j = nlohmann::json::parse(open.record.spec_text, nullptr, false);
  if (j.is_discarded())
    throw std::runtime_error(open.checkpoint->path + ": the stored settings are not JSON");
  const VwmConfig c = vwm_config_from_json(j, open.checkpoint->path + " (the run's settings)");
  return VwmRun(c, opt, opt.out_dir, std::move(open)).run();
}

}  // namespace rnnjit::vwm
