#include "runtime/ring/ring_run.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include "compiler/spec_canonical.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/memory_budget.hpp"
#include "runtime/ring/ring_device_step.hpp"
#include "runtime/ring/ring_figures.hpp"
#include "runtime/train/checkpoint.hpp"
#include "runtime/train/metrics.hpp"

namespace rnnjit::train::ring {

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const std::vector<std::string> kColumns = {"step",      "loss",      "heading_loss",
                                           "bump_loss", "grad_norm", "lr",
                                           "time_s",    "eval_loss", "eval_error"};

TensorMap cell_only(const TensorMap& params) {
  TensorMap out;
  for (auto& [name, t] : params)
    if (name.rfind("gain", 0) != 0) out[name] = t;
  return out;
}

}  // namespace

std::function<void(const std::string&)> ring_warner(const RingTrainOptions& opt) {
  if (opt.warn) return opt.warn;
  return [](const std::string& w) { fmt::print(stderr, "rnnjit train: warning: {}\n", w); };
}

RunRecord fresh_ring_record(const ModelSpec& spec) {
  RunRecord r;
  r.model = "ring";
  r.spec = canonical_spec(spec);
  r.spec_text = spec.source;
  return r;
}

RingTrainConfig resolve_config(const RingTrainOptions& opt, const std::optional<Checkpoint>& ck) {
  RingTrainConfig cfg = opt.cfg;
  if (ck) {
    auto it = ck->metadata.find("ring_config");
    if (it == ck->metadata.end())
      throw std::runtime_error(ck->path +
                               ": not a ring checkpoint (no 'ring_config' in its metadata)");
    const auto j = nlohmann::json::parse(it->second, nullptr, false);
    if (j.is_discarded())
      throw std::runtime_error(ck->path + ": checkpoint metadata 'ring_config' is not JSON");
    try {
      cfg = config_from_json(j);
    } catch (const nlohmann::json::exception&) {
      throw std::runtime_error(ck->path +
                               ": checkpoint metadata 'ring_config' lacks a setting or "
                               "has one of the wrong type");
    }
  }
  if (opt.steps) cfg.steps = *opt.steps;
  try {
    validate(cfg);
  } catch (const std::invalid_argument& e) {  // a setting out of range, named by validate
    throw UsageError(e.what());
  }
  return cfg;
}

RingRun::RingRun(const ModelSpec& spec, const RingTrainOptions& opt, OpenRun open)
    : t_start_(Clock::now()),
      comm_(communicator()),
      spec_(spec),
      opt_(opt),
      dir_(opt.out_dir),
      open_(std::move(open)),
      cfg_(resolve_config(opt, open_.checkpoint)) {
  check_target();
  const int64_t n = cfg_.neurons > 0 ? cfg_.neurons : spec.neurons;
  const int64_t k = spec.gates.empty() ? 0 : spec.gates[0].size;
  check_fits_in_memory(
      ring_step_bytes(n, k, std::max(cfg_.batch, std::min<int64_t>(cfg_.eval_trials, 512)),
                      cfg_.task.seq_len),
      fmt::format("training a ring of {} neurons with batch {} and {} steps per trial", n,
                  cfg_.batch, cfg_.task.seq_len));
  model_ = std::make_unique<RingModel>(spec, cfg_, opt.exec);
  adam_ = Adam(AdamConfig{.lr = cfg_.lr, .clip_norm = cfg_.clip});
  res_.backend = model_->executor().backend();
  res_.device = model_->executor().device();
  res_.run_id = open_.record.run_id;
  res_.last_loss = std::numeric_limits<double>::quiet_NaN();  // no step ran (yet)
}

RingRun::~RingRun() = default;

RingTrainResult RingRun::run() {
  begin();
  while (more_steps()) {
    double norm = 0;
    const RingLossValue loss = optimiser_step(&norm);
    record_step(loss, norm);
  }
  return finish();
}

void RingRun::begin() {
  restore_checkpoint();
  if (!model_->trainable()) cfg_.steps = start_;  // debug_perfect: evaluation only
  initial_ = cell_only(model_->params());
  res_.start_step = start_;
  step_ = start_;
  // On a GPU the cell's parameters, loss and optimiser live on the device
  // (ring_device_step.hpp); whatever reads model.params() or adam's moments syncs them first.
  if (start_ < cfg_.steps && opt_.device_step && comm_.size() == 1 && use_device_step(*model_))
    device_step_ = std::make_unique<RingDeviceStep>(*model_, adam_);
  t_loop_ = Clock::now();
  if (!writer()) return;
  print_header();
  csv_ = std::make_unique<CsvWriter>(dir_ + "/metrics.csv", kColumns, !open_.checkpoint, start_,
                                     metrics_comment(open_.record.run_id));
  if (opt_.movie)
    movie_ = std::make_unique<RingMovie>(dir_, model_->dense_name(), model_->bank_name());
  if (movie_ && start_ == 0) movie_->add_frame(0, model_->params());
  const bool tty = opt_.progress < 0 ? Progress::stdout_is_tty() : opt_.progress == 1;
  // Plain lines (logs, CI): about 20 per run, never more often than the metrics rows.
  const int64_t plain_every = std::max<int64_t>(cfg_.log_every, (cfg_.steps - start_ + 19) / 20);
  progress_ = std::make_unique<Progress>(cfg_.steps, start_, static_cast<int>(plain_every), tty);
  t_loop_ = Clock::now();
}

// One optimiser step on the batch of the next step; returns the loss and sets the gradient norm.
RingLossValue RingRun::optimiser_step(double* norm) {
  if (comm_.size() > 1) return distributed_step(norm);
  const AvBatch d =
      generate_av_batch(cfg_.task, cfg_.batch, cfg_.seed, static_cast<uint64_t>(step_));
  if (device_step_) {
    const DeviceStepResult r = device_step_->step(d);
    *norm = r.grad_norm;
    return r.loss;
  }
  RingStepResult r = model_->run(d, true);
  *norm = adam_.step(model_->params(), r.grads, model_->nonnegative());
  return r.loss;
}

RingLossValue RingRun::distributed_step(double* norm) {
  const AvBatch all =
      generate_av_batch(cfg_.task, cfg_.batch, cfg_.seed, static_cast<uint64_t>(step_));
  const auto [first, last] = trial_range(cfg_.batch, comm_.rank(), comm_.size());
  // The loss is a mean over the global batch: a rank's mean over its trials weighs its share.
  const double share = static_cast<double>(last - first) / static_cast<double>(cfg_.batch);
  RingLossValue loss{};
  TensorMap grads;
  std::string error;
  try {
    maybe_inject_failure(comm_.rank(), step_ + 1);
    if (last > first) {
      const AvBatch d = slice(all, first, last);
      const RingStep st = model_->prepare(d);
      CellExecutor& exec = model_->executor();
      const Tensor r = exec.forward(st.params, st.inputs);
      Tensor dr;
      loss = model_->loss(d, r, &dr);
      for (double& x : dr.span<double>()) x *= share;
      grads = model_->gradients(st, exec.backward(dr.to(exec.dtype())));
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  comm_.agree(error);
  // Loss terms, then every learned tensor in name order (zeros from a rank without trials).
  std::vector<double> buf{loss.total * share, loss.heading * share, loss.bump * share};
  for (const std::string& name : model_->learned()) {
    const Tensor& p = model_->params().at(name);
    auto it = grads.find(name);
    for (int64_t i = 0; i < p.numel(); ++i)
      buf.push_back(it == grads.end() ? 0.0 : it->second.at_f64(i));
  }
  comm_.sum(buf);
  loss = RingLossValue{buf[0], buf[1], buf[2]};
  size_t at = 3;
  TensorMap global;
  for (const std::string& name : model_->learned()) {
    const Tensor& p = model_->params().at(name);
    Tensor g(DType::F64, p.shape());
    for (double& x : g.span<double>()) x = buf[at++];
    global[name] = std::move(g);
  }
  *norm = adam_.step(model_->params(), global, model_->nonnegative());
  return loss;
}

void RingRun::record_step(const RingLossValue& loss, double norm) {
  res_.last_loss = loss.total;
  if (!std::isfinite(loss.total))
    throw std::runtime_error(
        fmt::format("rnnjit train: the loss became {} at step {}", loss.total, step_ + 1));
  const int64_t s1 = ++step_;
  if (movie_ && s1 % cfg_.movie_every == 0) {
    sync();
    movie_->add_frame(s1, model_->params());
  }
  double ev_loss = NAN, ev_err = NAN;
  const auto t_eval = Clock::now();
  evaluate_if_due(s1, &ev_loss, &ev_err);
  eval_seconds_ += since(t_eval);
  const double seconds = prior_seconds_ + since(t_loop_) - eval_seconds_;
  if (!writer()) return;
  if (s1 % cfg_.log_every == 0 || s1 == cfg_.steps || !std::isnan(ev_loss))
    csv_->row({static_cast<double>(s1), loss.total, loss.heading, loss.bump, norm, cfg_.lr, seconds,
               ev_loss, ev_err});
  if (opt_.on_step) opt_.on_step({s1, cfg_.steps, loss.total, ev_err, seconds});
  if (!opt_.quiet)
    progress_->update(s1, loss.total,
                      std::isnan(ev_err) ? "" : fmt::format("held-out error {:.3f} rad", ev_err));
  if ((cfg_.checkpoint_every > 0 && s1 % cfg_.checkpoint_every == 0) || s1 == cfg_.steps)
    checkpoint(s1, seconds);
}

void RingRun::end_loop() {
  if (loop_ended_) return;
  loop_ended_ = true;
  if (!opt_.quiet && progress_) progress_->finish();
  sync();
  res_.steps = step_;
  res_.train_seconds = since(t_loop_) - eval_seconds_;
  if (movie_)
    for (auto& f : movie_->close()) res_.files.push_back(f);
  csv_.reset();
}

RingTrainResult RingRun::finish() {
  end_loop();
  finish_evaluation();
  if (!writer()) return std::move(res_);
  write_figures();
  res_.wall_seconds = since(t_start_);
  write_summary("finished");
  print_result();
  return std::move(res_);
}

void RingRun::abandon(const std::string& reason) {
  end_loop();
  res_.wall_seconds = since(t_start_);
  write_summary(reason);
}

// A resume must move forward: --steps at or below the checkpoint's step would do nothing.
void RingRun::check_target() const {
  if (!open_.checkpoint || cfg_.init == InitMode::DebugPerfect) return;
  const int64_t at = open_.checkpoint->step;
  if (cfg_.steps <= at)
    throw UsageError(fmt::format(
        "{} is at step {} and the run's target is {}: give --steps above {} to train further",
        open_.checkpoint->path, at, cfg_.steps, at));
}

void RingRun::restore_checkpoint() {
  if (!open_.checkpoint) return;
  const Checkpoint& ck = *open_.checkpoint;
  for (auto& [name, t] : model_->params()) {
    const Tensor& saved = require(ck.tensors, "param/" + name, ck.path);
    check_shape(ck.path + ": param/" + name, saved, t.shape());
    t = saved.to(DType::F64);
  }
  adam_.load_state(ck.tensors, metadata_int(ck, "adam_steps"), model_->params(), model_->learned(),
                   ck.path);
  if (ck.metadata.count("train_seconds")) prior_seconds_ = metadata_double(ck, "train_seconds");
  start_ = ck.step;
}

void RingRun::print_header() const {
  if (opt_.quiet) return;
  fmt::print(
      "rnnjit train: ring N={} K={} gain_hidden={} init={} | B={} T={} steps {}..{} lr {} | "
      "backend {} ({})\n",
      model_->neurons(), model_->gate_channels(), model_->uses_gain_nets() ? cfg_.gain_hidden : 0,
      name(cfg_.init), cfg_.batch, cfg_.task.seq_len, start_, cfg_.steps, cfg_.lr, res_.backend,
      res_.device);
  if (device_step_)
    fmt::print(
        "rnnjit train: parameters, loss and Adam on the GPU (RNNJIT_DEVICE_STEP=0: host loop)\n");
}

void RingRun::sync() {
  if (device_step_) device_step_->sync_to_host();
}

// The held-out evaluation after step s1 when one is due (every eval_every steps, and the last).
void RingRun::evaluate_if_due(int64_t s1, double* ev_loss, double* ev_err) {
  const bool last = s1 == cfg_.steps;
  if (!last && !(cfg_.eval_every > 0 && s1 % cfg_.eval_every == 0)) return;
  sync();
  RingEval ev = evaluate_ring(*model_, cfg_.eval_trials);
  *ev_loss = ev.loss;
  *ev_err = ev.pv_error;
  if (last) {  // the final evaluation is also the result's
    res_.eval = std::move(ev);
    evaluated_ = true;
  }
}

// A checkpoint holds the parameters (float64), Adam's moments and step count, the settings and
// the run record. There is no RNG state to save: every batch is drawn from a generator keyed by
// (seed, step) (av_data.hpp), so step s+1 after a resume sees exactly the data it would have
// seen anyway.
void RingRun::checkpoint(int64_t step, double seconds) {
  sync();
  TensorMap tensors;
  for (auto& [name, t] : model_->params()) tensors["param/" + name] = t;
  adam_.save_state(tensors);
  Metadata meta{{"ring_config", to_json(cfg_).dump()},
                {"adam_steps", std::to_string(adam_.steps())},
                {"train_seconds", fmt::format("{:.17g}", seconds)},
                {"spec", spec_.path},
                {"backend", res_.backend}};
  open_.record.to_metadata(meta);
  save_checkpoint(dir_, step, tensors, meta);
}

// The held-out evaluation (if no step ran) and the perfect-model sanity check.
void RingRun::finish_evaluation() {
  if (!evaluated_) res_.eval = evaluate_ring(*model_, cfg_.eval_trials);
  res_.perfect = perfect_model_loss(*model_, std::min<int64_t>(cfg_.eval_trials, 128));
  res_.params = model_->params();
}

void RingRun::write_figures() {
  if (!opt_.figures || !figures_available()) return;
  RingFigureInputs fi;
  fi.n = model_->neurons();
  fi.k = model_->gate_channels();
  fi.dense_name = model_->dense_name();
  fi.bank_name = model_->bank_name();
  fi.initial = open_.checkpoint ? TensorMap{} : initial_;
  fi.trained = cell_only(model_->params());
  fi.history = read_ring_history(dir_ + "/metrics.csv");
  fi.trial = res_.eval.example;
  for (auto& f : write_ring_figures(fi, dir_)) res_.files.push_back(f);
}

void RingRun::write_summary(const std::string& status) {
  const double ran = static_cast<double>(res_.steps - start_);
  const bool finished = status == "finished";  // an abandoned run has no evaluation
  nlohmann::json s =
      summary_header(open_.record, spec_.path, opt_.command_line, res_.backend, res_.device);
  s.update({{"status", status},
            {"device_step", device_step_ != nullptr},  // parameters, loss and Adam on the GPU
            {"neurons", model_->neurons()},
            {"gate_channels", model_->gate_channels()},
            {"steps", res_.steps},
            {"start_step", start_},
            {"batch", cfg_.batch},
            {"trial_steps", cfg_.task.seq_len},
            {"seed", cfg_.seed},
            {"final_train_loss",
             std::isnan(res_.last_loss) ? nlohmann::json(nullptr) : nlohmann::json(res_.last_loss)},
            {"held_out",
             !finished ? nlohmann::json(nullptr)
                       : nlohmann::json{{"trials", res_.eval.trials},
                                        {"loss", res_.eval.loss},
                                        {"heading_loss", res_.eval.heading_loss},
                                        {"bump_loss", res_.eval.bump_loss},
                                        {"circular_error_rad", res_.eval.pv_error},
                                        {"circular_error_argmax_rad", res_.eval.argmax_error}}},
            {"perfect_model", !finished ? nlohmann::json(nullptr)
                                        : nlohmann::json{{"loss", res_.perfect.total},
                                                         {"heading_loss", res_.perfect.heading}}},
            {"train_seconds", res_.train_seconds},
            {"train_seconds_total", prior_seconds_ + res_.train_seconds},
            {"wall_seconds", res_.wall_seconds},
            {"steps_per_second", res_.train_seconds > 0 ? ran / res_.train_seconds : 0.0},
            {"compile_seconds", model_->executor().compile_seconds()},
            {"config", to_json(cfg_)}});
  write_json_atomic(dir_ + "/summary.json", s);
  res_.files.push_back(dir_ + "/summary.json");
}

void RingRun::print_result() const {
  if (opt_.quiet) return;
  fmt::print(
      "held-out ({} trials): loss {:.5f} (heading {:.5f}, bump {:.5f}), circular error {:.4f} "
      "rad (argmax {:.4f} rad)\n",
      res_.eval.trials, res_.eval.loss, res_.eval.heading_loss, res_.eval.bump_loss,
      res_.eval.pv_error, res_.eval.argmax_error);
  fmt::print("perfect-model sanity loss: heading {:.5f} ({})\n", res_.perfect.heading,
             res_.perfect.heading < 0.5 ? "passes: < 0.5" : "warning: >= 0.5");
  fmt::print("trained {} steps in {:.1f} s ({:.1f} s wall); outputs in {} (run {})\n",
             cfg_.steps - start_, res_.train_seconds, res_.wall_seconds, dir_, res_.run_id);
}

}  // namespace rnnjit::train::ring
