#include "runtime/train/ring/ring_trainer.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "runtime/train/adam.hpp"
#include "runtime/train/checkpoint.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/train/ring/ring_device_step.hpp"
#include "runtime/train/ring/ring_figures.hpp"
#include "runtime/train/ring/ring_model.hpp"

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

}  // namespace

RingTrainResult train_ring(const ModelSpec& spec, const RingTrainOptions& opt) {
  const auto t_start = Clock::now();
  RingTrainResult res;
  const bool resuming = !opt.resume_dir.empty();
  const std::string out_dir = !opt.out_dir.empty() ? opt.out_dir : opt.resume_dir;
  if (out_dir.empty()) throw std::invalid_argument("rnnjit train: no output folder (--out DIR)");

  // The configuration: the checkpoint's when resuming, so the run continues exactly as it began.
  RingTrainConfig cfg = opt.cfg;
  std::optional<Checkpoint> ckpt;
  double prior_seconds = 0;
  if (resuming) {
    auto latest = latest_checkpoint(opt.resume_dir);
    if (!latest)
      throw std::runtime_error(opt.resume_dir + ": no checkpoint-*.safetensors to resume from");
    ckpt = load_checkpoint(*latest);
    auto it = ckpt->metadata.find("ring_config");
    if (it == ckpt->metadata.end())
      throw std::runtime_error(*latest +
                               ": not a ring checkpoint (no 'ring_config' in its metadata)");
    cfg = config_from_json(nlohmann::json::parse(it->second));
    if (auto s = ckpt->metadata.find("train_seconds"); s != ckpt->metadata.end())
      prior_seconds = std::stod(s->second);
  }
  if (opt.steps) cfg.steps = *opt.steps;
  validate(cfg);
  ensure_dir(out_dir);

  RingModel model(spec, cfg, opt.exec);
  res.backend = model.executor().backend();
  res.device = model.executor().device();
  Adam adam(AdamConfig{.lr = cfg.lr, .clip_norm = cfg.clip});
  int64_t start = 0;
  if (ckpt) {
    for (auto& [name, t] : model.params()) {
      const Tensor& saved = require(ckpt->tensors, "param/" + name, ckpt->path);
      check_shape(ckpt->path + ": param/" + name, saved, t.shape());
      t = saved.to(DType::F64);
    }
    adam.load_state(ckpt->tensors, std::stoll(ckpt->metadata.at("adam_steps")));
    start = ckpt->step;
  }
  if (!model.trainable()) cfg.steps = start;  // debug_perfect: evaluation only
  const TensorMap initial = cell_only(model.params());
  res.start_step = start;
  // On a GPU the cell's parameters, loss and optimiser live on the device (ring_device_step.hpp);
  // whatever reads model.params() or adam's moments syncs them first.
  std::unique_ptr<RingDeviceStep> device_step;
  if (start < cfg.steps && use_device_step(model))
    device_step = std::make_unique<RingDeviceStep>(model, adam);
  auto sync = [&] {
    if (device_step) device_step->sync_to_host();
  };

  const bool show = !opt.quiet;
  if (show)
    fmt::print(
        "rnnjit train: ring N={} K={} gain_hidden={} init={} | B={} T={} steps {}..{} lr {} | "
        "backend {} ({})\n",
        model.neurons(), model.gate_channels(), model.uses_gain_nets() ? cfg.gain_hidden : 0,
        name(cfg.init), cfg.batch, cfg.task.seq_len, start, cfg.steps, cfg.lr, res.backend,
        res.device);
  if (show && device_step)
    fmt::print(
        "rnnjit train: parameters, loss and Adam on the GPU (RNNJIT_DEVICE_STEP=0: host loop)\n");

  CsvWriter csv(out_dir + "/metrics.csv", kColumns, !resuming || out_dir != opt.resume_dir, start);
  std::unique_ptr<RingMovie> movie;
  if (opt.movie)
    movie = std::make_unique<RingMovie>(out_dir, model.dense_name(), model.bank_name());
  if (movie && start == 0) movie->add_frame(0, model.params());
  const bool tty = opt.progress < 0 ? Progress::stdout_is_tty() : opt.progress == 1;
  // Plain lines (logs, CI): about 20 per run, never more often than the metrics rows.
  const int64_t plain_every = std::max<int64_t>(cfg.log_every, (cfg.steps - start + 19) / 20);
  Progress progress(cfg.steps, start, static_cast<int>(plain_every), tty);

  // A checkpoint holds the parameters (float64), Adam's moments and step count, and the settings.
  // There is no RNG state to save: every batch is drawn from a generator keyed by (seed, step)
  // (av_data.hpp), so step s+1 after a resume sees exactly the data it would have seen anyway.
  auto checkpoint = [&](int64_t step, double seconds) {
    sync();
    TensorMap tensors;
    for (auto& [name, t] : model.params()) tensors["param/" + name] = t;
    adam.save_state(tensors);
    Metadata meta{{"ring_config", to_json(cfg).dump()},
                  {"adam_steps", std::to_string(adam.steps())},
                  {"train_seconds", fmt::format("{:.17g}", seconds)},
                  {"spec", spec.path},
                  {"backend", res.backend}};
    save_checkpoint(out_dir, step, tensors, meta);
  };

  const auto t_loop = Clock::now();
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  bool evaluated = false;
  double eval_seconds = 0;  // held-out evaluations inside the loop: not training time
  for (int64_t step = start; step < cfg.steps; ++step) {
    const AvBatch d = generate_av_batch(cfg.task, cfg.batch, cfg.seed, static_cast<uint64_t>(step));
    RingLossValue loss;
    double norm;
    if (device_step) {
      const DeviceStepResult r = device_step->step(d);
      loss = r.loss;
      norm = r.grad_norm;
    } else {
      RingStepResult r = model.run(d, true);
      norm = adam.step(model.params(), r.grads, model.nonnegative());
      loss = r.loss;
    }
    last_loss = loss.total;
    if (!std::isfinite(last_loss))
      throw std::runtime_error(
          fmt::format("rnnjit train: the loss became {} at step {}", last_loss, step + 1));
    const int64_t s1 = step + 1;
    if (movie && s1 % cfg.movie_every == 0) {
      sync();
      movie->add_frame(s1, model.params());
    }
    double ev_loss = NAN, ev_err = NAN;
    const auto t_eval = Clock::now();
    if (s1 == cfg.steps || (cfg.eval_every > 0 && s1 % cfg.eval_every == 0)) sync();
    if (s1 == cfg.steps) {  // the final held-out evaluation, also the last row of metrics.csv
      res.eval = evaluate_ring(model, cfg.eval_trials);
      evaluated = true;
      ev_loss = res.eval.loss;
      ev_err = res.eval.pv_error;
    } else if (cfg.eval_every > 0 && s1 % cfg.eval_every == 0) {
      RingEval ev = evaluate_ring(model, cfg.eval_trials);
      ev_loss = ev.loss;
      ev_err = ev.pv_error;
    }
    eval_seconds += since(t_eval);
    const double seconds = prior_seconds + since(t_loop) - eval_seconds;
    if (s1 % cfg.log_every == 0 || s1 == cfg.steps || !std::isnan(ev_loss))
      csv.row({static_cast<double>(s1), loss.total, loss.heading, loss.bump, norm, cfg.lr, seconds,
               ev_loss, ev_err});
    if (show)
      progress.update(s1, loss.total,
                      std::isnan(ev_err) ? "" : fmt::format("held-out error {:.3f} rad", ev_err));
    if ((cfg.checkpoint_every > 0 && s1 % cfg.checkpoint_every == 0) || s1 == cfg.steps)
      checkpoint(s1, seconds);
  }
  if (show) progress.finish();
  sync();
  res.steps = cfg.steps;
  res.last_loss = last_loss;

  // Held-out evaluation (if no step ran) and the seed's sanity check.
  res.train_seconds = since(t_loop) - eval_seconds;
  if (!evaluated) res.eval = evaluate_ring(model, cfg.eval_trials);
  res.perfect = perfect_model_loss(model, std::min<int64_t>(cfg.eval_trials, 128));
  res.params = model.params();

  if (movie)
    for (auto& f : movie->close()) res.files.push_back(f);
  if (opt.figures && figures_available()) {
    RingFigureInputs fi;
    fi.n = model.neurons();
    fi.k = model.gate_channels();
    fi.dense_name = model.dense_name();
    fi.bank_name = model.bank_name();
    fi.initial = resuming ? TensorMap{} : initial;
    fi.trained = cell_only(model.params());
    fi.history = read_ring_history(out_dir + "/metrics.csv");
    fi.trial = res.eval.example;
    for (auto& f : write_ring_figures(fi, out_dir)) res.files.push_back(f);
  }
  res.wall_seconds = since(t_start);

  nlohmann::json summary = {
      {"model", "ring"},
      {"spec", spec.path},
      {"neurons", model.neurons()},
      {"gate_channels", model.gate_channels()},
      {"steps", res.steps},
      {"start_step", start},
      {"final_train_loss",
       std::isnan(last_loss) ? nlohmann::json(nullptr) : nlohmann::json(last_loss)},
      {"held_out",
       {{"trials", res.eval.trials},
        {"loss", res.eval.loss},
        {"heading_loss", res.eval.heading_loss},
        {"bump_loss", res.eval.bump_loss},
        {"circular_error_rad", res.eval.pv_error},
        {"circular_error_argmax_rad", res.eval.argmax_error}}},
      {"perfect_model", {{"loss", res.perfect.total}, {"heading_loss", res.perfect.heading}}},
      {"train_seconds", res.train_seconds},
      {"train_seconds_total", prior_seconds + res.train_seconds},
      {"wall_seconds", res.wall_seconds},
      {"steps_per_second",
       res.train_seconds > 0 ? static_cast<double>(cfg.steps - start) / res.train_seconds : 0.0},
      {"compile_seconds", model.executor().compile_seconds()},
      {"backend", res.backend},
      {"device", res.device},
      {"device_step", device_step != nullptr},  // parameters, loss and Adam on the GPU
      {"config", to_json(cfg)}};
  write_json_atomic(out_dir + "/summary.json", summary);
  res.files.push_back(out_dir + "/summary.json");

  if (show) {
    fmt::print(
        "held-out ({} trials): loss {:.5f} (heading {:.5f}, bump {:.5f}), circular error {:.4f} "
        "rad "
        "(argmax {:.4f} rad)\n",
        res.eval.trials, res.eval.loss, res.eval.heading_loss, res.eval.bump_loss,
        res.eval.pv_error, res.eval.argmax_error);
    fmt::print("perfect-model sanity loss: heading {:.5f} ({})\n", res.perfect.heading,
               res.perfect.heading < 0.5 ? "passes: < 0.5" : "warning: >= 0.5");
    fmt::print("trained {} steps in {:.1f} s ({:.1f} s wall); outputs in {}\n", cfg.steps - start,
               res.train_seconds, res.wall_seconds, out_dir);
  }
  return res;
}

}  // namespace rnnjit::train::ring
