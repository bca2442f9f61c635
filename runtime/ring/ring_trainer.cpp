#include "runtime/ring/ring_trainer.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include "compiler/spec_canonical.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/memory_budget.hpp"
#include "runtime/train/adam.hpp"
#include "runtime/train/checkpoint.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/ring/ring_device_step.hpp"
#include "runtime/ring/ring_figures.hpp"
#include "runtime/ring/ring_model.hpp"
#include "runtime/train/run_folder.hpp"

namespace rnnjit::train::ring {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
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

std::function<void(const std::string&)> warner(const RingTrainOptions& opt) {
  if (opt.warn) return opt.warn;
  return [](const std::string& w) { fmt::print(stderr, "rnnjit train: warning: {}\n", w); };
}

RunRecord fresh_record(const ModelSpec& spec) {
  RunRecord r;
  r.model = "ring";
  r.spec = canonical_spec(spec);
  r.spec_text = spec.source;
  return r;
}

// The settings a run goes on with: the checkpoint's when resuming (so it continues exactly as it
// began), with the total step count the caller asked for.
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

// One training run, from an opened run folder to summary.json, in the order of run().
class RingRun {
 public:
  RingRun(const ModelSpec& spec, const RingTrainOptions& opt, OpenRun open)
      : t_start_(Clock::now()),
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

  RingTrainResult run() {
    restore_checkpoint();
    if (!model_->trainable()) cfg_.steps = start_;  // debug_perfect: evaluation only
    initial_ = cell_only(model_->params());
    res_.start_step = start_;
    // On a GPU the cell's parameters, loss and optimiser live on the device
    // (ring_device_step.hpp); whatever reads model.params() or adam's moments syncs them first.
    if (start_ < cfg_.steps && use_device_step(*model_))
      device_step_ = std::make_unique<RingDeviceStep>(*model_, adam_);
    print_header();
    train_loop();
    finish_evaluation();
    write_figures();
    res_.wall_seconds = since(t_start_);
    write_summary();
    print_result();
    return std::move(res_);
  }

 private:
  // A resume must move forward: --steps at or below the checkpoint's step would do nothing.
  void check_target() const {
    if (!open_.checkpoint || cfg_.init == InitMode::DebugPerfect) return;
    const int64_t at = open_.checkpoint->step;
    if (cfg_.steps <= at)
      throw UsageError(fmt::format(
          "{} is at step {} and the run's target is {}: give --steps above {} to train further",
          open_.checkpoint->path, at, cfg_.steps, at));
  }

  void restore_checkpoint() {
    if (!open_.checkpoint) return;
    const Checkpoint& ck = *open_.checkpoint;
    for (auto& [name, t] : model_->params()) {
      const Tensor& saved = require(ck.tensors, "param/" + name, ck.path);
      check_shape(ck.path + ": param/" + name, saved, t.shape());
      t = saved.to(DType::F64);
    }
    adam_.load_state(ck.tensors, metadata_int(ck, "adam_steps"), model_->params(),
                     model_->learned(), ck.path);
    if (ck.metadata.count("train_seconds")) prior_seconds_ = metadata_double(ck, "train_seconds");
    start_ = ck.step;
  }

  void print_header() const {
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

  void sync() {
    if (device_step_) device_step_->sync_to_host();
  }

  // One optimiser step on the batch of `step`; returns the loss and sets the gradient norm.
  RingLossValue optimiser_step(int64_t step, double* norm) {
    const AvBatch d =
        generate_av_batch(cfg_.task, cfg_.batch, cfg_.seed, static_cast<uint64_t>(step));
    if (device_step_) {
      const DeviceStepResult r = device_step_->step(d);
      *norm = r.grad_norm;
      return r.loss;
    }
    RingStepResult r = model_->run(d, true);
    *norm = adam_.step(model_->params(), r.grads, model_->nonnegative());
    return r.loss;
  }

  // The held-out evaluation after step s1 when one is due (every eval_every steps, and the last).
  void evaluate_if_due(int64_t s1, double* ev_loss, double* ev_err) {
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
  void checkpoint(int64_t step, double seconds) {
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

  void train_loop() {
    CsvWriter csv(dir_ + "/metrics.csv", kColumns, !open_.checkpoint, start_,
                  metrics_comment(open_.record.run_id));
    std::unique_ptr<RingMovie> movie;
    if (opt_.movie)
      movie = std::make_unique<RingMovie>(dir_, model_->dense_name(), model_->bank_name());
    if (movie && start_ == 0) movie->add_frame(0, model_->params());
    const bool tty = opt_.progress < 0 ? Progress::stdout_is_tty() : opt_.progress == 1;
    // Plain lines (logs, CI): about 20 per run, never more often than the metrics rows.
    const int64_t plain_every = std::max<int64_t>(cfg_.log_every, (cfg_.steps - start_ + 19) / 20);
    Progress progress(cfg_.steps, start_, static_cast<int>(plain_every), tty);

    const auto t_loop = Clock::now();
    double eval_seconds = 0;  // held-out evaluations inside the loop: not training time
    for (int64_t step = start_; step < cfg_.steps; ++step) {
      double norm = 0;
      const RingLossValue loss = optimiser_step(step, &norm);
      res_.last_loss = loss.total;
      if (!std::isfinite(loss.total))
        throw std::runtime_error(
            fmt::format("rnnjit train: the loss became {} at step {}", loss.total, step + 1));
      const int64_t s1 = step + 1;
      if (movie && s1 % cfg_.movie_every == 0) {
        sync();
        movie->add_frame(s1, model_->params());
      }
      double ev_loss = NAN, ev_err = NAN;
      const auto t_eval = Clock::now();
      evaluate_if_due(s1, &ev_loss, &ev_err);
      eval_seconds += since(t_eval);
      const double seconds = prior_seconds_ + since(t_loop) - eval_seconds;
      if (s1 % cfg_.log_every == 0 || s1 == cfg_.steps || !std::isnan(ev_loss))
        csv.row({static_cast<double>(s1), loss.total, loss.heading, loss.bump, norm, cfg_.lr,
                 seconds, ev_loss, ev_err});
      if (opt_.on_step) opt_.on_step({s1, cfg_.steps, loss.total, ev_err, seconds});
      if (!opt_.quiet)
        progress.update(s1, loss.total,
                        std::isnan(ev_err) ? "" : fmt::format("held-out error {:.3f} rad", ev_err));
      if ((cfg_.checkpoint_every > 0 && s1 % cfg_.checkpoint_every == 0) || s1 == cfg_.steps)
        checkpoint(s1, seconds);
    }
    if (!opt_.quiet) progress.finish();
    sync();
    res_.steps = cfg_.steps;
    res_.train_seconds = since(t_loop) - eval_seconds;
    if (movie)
      for (auto& f : movie->close()) res_.files.push_back(f);
  }

  // The held-out evaluation (if no step ran) and the perfect-model sanity check.
  void finish_evaluation() {
    if (!evaluated_) res_.eval = evaluate_ring(*model_, cfg_.eval_trials);
    res_.perfect = perfect_model_loss(*model_, std::min<int64_t>(cfg_.eval_trials, 128));
    res_.params = model_->params();
  }

  void write_figures() {
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

  void write_summary() {
    const double ran = static_cast<double>(cfg_.steps - start_);
    nlohmann::json s =
        summary_header(open_.record, spec_.path, opt_.command_line, res_.backend, res_.device);
    s.update(
        {{"device_step", device_step_ != nullptr},  // parameters, loss and Adam on the GPU
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
          {{"trials", res_.eval.trials},
           {"loss", res_.eval.loss},
           {"heading_loss", res_.eval.heading_loss},
           {"bump_loss", res_.eval.bump_loss},
           {"circular_error_rad", res_.eval.pv_error},
           {"circular_error_argmax_rad", res_.eval.argmax_error}}},
         {"perfect_model", {{"loss", res_.perfect.total}, {"heading_loss", res_.perfect.heading}}},
         {"train_seconds", res_.train_seconds},
         {"train_seconds_total", prior_seconds_ + res_.train_seconds},
         {"wall_seconds", res_.wall_seconds},
         {"steps_per_second", res_.train_seconds > 0 ? ran / res_.train_seconds : 0.0},
         {"compile_seconds", model_->executor().compile_seconds()},
         {"config", to_json(cfg_)}});
    write_json_atomic(dir_ + "/summary.json", s);
    res_.files.push_back(dir_ + "/summary.json");
  }

  void print_result() const {
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

  const Clock::time_point t_start_;
  const ModelSpec& spec_;
  const RingTrainOptions& opt_;
  const std::string dir_;
  OpenRun open_;
  RingTrainConfig cfg_;
  std::unique_ptr<RingModel> model_;
  Adam adam_;
  std::unique_ptr<RingDeviceStep> device_step_;
  int64_t start_ = 0;
  double prior_seconds_ = 0;
  bool evaluated_ = false;
  TensorMap initial_;
  RingTrainResult res_;
};

void check_folder(const RingTrainOptions& opt) {
  if (opt.out_dir.empty()) throw UsageError("no run folder (--out DIR)");
}

}  // namespace

double ring_step_bytes(int64_t neurons, int64_t gates, int64_t batch, int64_t seq_len) {
  const double n = static_cast<double>(neurons), k = static_cast<double>(gates);
  const double states = static_cast<double>(batch) * static_cast<double>(seq_len) * n;
  // r, s and the cotangent in float32 and their float64 copies; parameters, gradients and two
  // moments in float64 plus the executor's float32 copy.
  return states * (3 * 4 + 3 * 8) + (k + 1) * n * n * (4 * 8 + 4);
}

RingTrainResult train_ring(const ModelSpec& spec, const RingTrainOptions& opt) {
  check_folder(opt);
  OpenRun open = open_run(opt.out_dir, opt.resume, opt.overwrite, fresh_record(spec),
                          canonical_spec(spec), spec.path, warner(opt));
  return RingRun(spec, opt, std::move(open)).run();
}

RingTrainResult resume_ring(const RingTrainOptions& opt) {
  check_folder(opt);
  OpenRun open =
      open_run(opt.out_dir, true, false, RunRecord{.model = "ring"}, std::nullopt, "", warner(opt));
  if (open.record.spec_text.empty())
    throw UsageError(open.checkpoint->path +
                     " holds no copy of its spec (it predates run records): resume with the spec "
                     "file, rnnjit train SPEC --resume " +
                     opt.out_dir);
  const ModelSpec spec =
      parse_spec_string(open.record.spec_text, open.checkpoint->path + " (the run's stored spec)");
  return RingRun(spec, opt, std::move(open)).run();
}

}  // namespace rnnjit::train::ring
