#include "runtime/ring/ring_figures.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/train/metrics.hpp"
#ifdef RNNJIT_HAVE_PLOT
#include "runtime/plot/plot.hpp"
#endif

namespace rnnjit::train::ring {

RingHistory read_ring_history(const std::string& metrics_csv) {
  // Columns as ring_trainer writes them: step, loss, heading_loss, bump_loss, grad_norm, lr,
  // time_s, eval_loss, eval_error (the last two only on evaluation rows).
  const auto cols = read_csv_columns(metrics_csv);
  auto col = [&](const char* name) {
    auto it = cols.find(name);
    if (it == cols.end())
      throw std::runtime_error(metrics_csv + ": no column '" + std::string(name) + "'");
    return it->second;
  };
  RingHistory h;
  h.step = col("step");
  h.loss = col("loss");
  h.heading = col("heading_loss");
  h.bump = col("bump_loss");
  const std::vector<double> eval_loss = col("eval_loss"), eval_error = col("eval_error");
  for (size_t k = 0; k < h.step.size(); ++k)
    if (!std::isnan(eval_loss[k])) {
      h.eval_step.push_back(h.step[k]);
      h.eval_loss.push_back(eval_loss[k]);
      h.eval_error.push_back(eval_error[k]);
    }
  return h;
}

#ifdef RNNJIT_HAVE_PLOT

bool figures_available() {
  return true;
}

namespace {

plot::Heatmap matrix(const std::string& title, const Tensor& t, int64_t index) {
  const int64_t n = t.dim(t.rank() - 1);
  plot::Heatmap h;
  h.title = title;
  h.rows = static_cast<int>(n);
  h.cols = static_cast<int>(n);
  h.xlabel = "presynaptic neuron";
  h.ylabel = "postsynaptic neuron";
  h.equal_aspect = true;
  const Tensor w = t.to(DType::F64);
  const double* p = w.data<double>() + index * n * n;
  h.values.assign(p, p + n * n);
  return h;
}

plot::Figure weights_figure(const TensorMap& params, const std::string& dense,
                            const std::string& bank, int max_gates, const std::string& title) {
  plot::Figure f;
  f.suptitle = title;
  if (!dense.empty() && params.count(dense)) f.panels.push_back(matrix(dense, params.at(dense), 0));
  if (params.count(bank)) {
    const Tensor& wa = params.at(bank);
    const int64_t k = wa.dim(0);
    for (int64_t c = 0; c < std::min<int64_t>(k, max_gates); ++c) {
      std::string label = fmt::format("{}[{}]", bank, c);
      if (k == 2) label += c == 0 ? " (left)" : " (right)";
      f.panels.push_back(matrix(label, wa, c));
    }
  }
  f.cols = static_cast<int>(std::max<size_t>(f.panels.size(), 1));
  f.rows = 1;
  f.width_px = 380 * f.cols;
  f.height_px = 420;
  return f;
}

std::vector<double> iota(int64_t n) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<double>(i);
  return v;
}

// Angles unwrapped for plotting: NaN where the curve jumps across 0 / 2 pi, so no vertical lines.
std::vector<double> break_wraps(std::vector<double> a) {
  for (size_t i = 1; i < a.size(); ++i)
    if (std::abs(a[i] - a[i - 1]) > std::numbers::pi && !std::isnan(a[i - 1])) a[i - 1] = NAN;
  return a;
}

}  // namespace

std::vector<std::string> write_ring_figures(const RingFigureInputs& in, const std::string& dir) {
  std::vector<std::string> files;
  auto save = [&](const plot::Figure& f, const std::string& name) {
    const std::string path = dir + "/" + name;
    plot::save_png(f, path);
    files.push_back(path);
  };
  if (!in.initial.empty())
    save(weights_figure(in.initial, in.dense_name, in.bank_name, 3, "Initial weights"),
         "weights_initial.png");
  save(weights_figure(in.trained, in.dense_name, in.bank_name, 3, "Trained weights"),
       "weights_trained.png");

  const RingHistory& h = in.history;
  if (!h.step.empty()) {
    plot::Axes loss{.title = "Training loss", .xlabel = "step", .ylabel = "loss", .logy = true};
    loss.lines.push_back({.x = h.step, .y = h.loss, .label = "total"});
    loss.lines.push_back({.x = h.step, .y = h.heading, .label = "heading"});
    loss.lines.push_back({.x = h.step, .y = h.bump, .label = "bump amplitude", .dashed = true});
    if (!h.eval_step.empty())
      loss.lines.push_back(
          {.x = h.eval_step, .y = h.eval_loss, .label = "held-out", .points = true});
    plot::Axes err{
        .title = "Held-out circular error", .xlabel = "step", .ylabel = "mean |error| (rad)"};
    err.lines.push_back(
        {.x = h.eval_step, .y = h.eval_error, .label = "population vector", .points = true});
    err.hlines.push_back({.value = 0.15, .label = "0.15 rad"});
    plot::Figure f{
        .width_px = 1200, .height_px = 450, .rows = 1, .cols = 2, .suptitle = "Loss curves"};
    f.panels = {loss, err};
    save(f, "loss.png");
  }

  const RingTrial& tr = in.trial;
  if (tr.seq_len > 0) {
    const auto T = static_cast<int>(tr.seq_len), N = static_cast<int>(tr.n);
    auto transpose = [&](const std::vector<double>& a) {  // [T,N] -> rows = neurons, cols = time
      std::vector<double> out(a.size());
      for (int t = 0; t < T; ++t)
        for (int j = 0; j < N; ++j)
          out[static_cast<size_t>(j * T + t)] = a[static_cast<size_t>(t * N + j)];
      return out;
    };
    plot::Heatmap rates{.title = "Rates r_t (held-out trial)",
                        .xlabel = "time step",
                        .ylabel = "neuron",
                        .rows = N,
                        .cols = T,
                        .values = transpose(tr.r),
                        .colormap = plot::Colormap::Sequential,
                        .colorbar_label = "rate"};
    plot::Heatmap out{.title = "Output y_t = r_t Wd / max",
                      .xlabel = "time step",
                      .ylabel = "neuron",
                      .rows = N,
                      .cols = T,
                      .values = transpose(tr.y),
                      .colormap = plot::Colormap::Diverging,
                      .colorbar_label = "y"};
    plot::Figure f{
        .width_px = 1100, .height_px = 750, .rows = 2, .cols = 1, .suptitle = "Activity"};
    f.panels = {rates, out};
    save(f, "activity.png");

    plot::Axes bumps{.title = "Bump profiles", .xlabel = "neuron", .ylabel = "rate"};
    for (int t : {0, T / 2, T - 1}) {
      std::vector<double> y(tr.r.begin() + t * N, tr.r.begin() + (t + 1) * N);
      bumps.lines.push_back({.x = iota(N), .y = y, .label = fmt::format("step {}", t + 1)});
    }
    plot::Figure fb{.width_px = 800, .height_px = 500, .panels = {bumps}};
    save(fb, "bump_profiles.png");

    plot::Axes ang{.title = "True vs decoded angle",
                   .xlabel = "time step",
                   .ylabel = "angle (rad)",
                   .ylim = plot::Range{0.0, 2.0 * std::numbers::pi}};
    ang.lines.push_back(
        {.y = break_wraps(tr.angle), .label = "true", .color = plot::kBlack, .dashed = true});
    ang.lines.push_back({.y = break_wraps(tr.decoded_pv), .label = "population vector"});
    ang.lines.push_back({.y = tr.decoded_argmax, .label = "argmax", .points = true, .line = false});
    plot::Axes av{.title = "Angular velocity input", .xlabel = "time step", .ylabel = "rad / step"};
    av.lines.push_back({.y = tr.av, .color = plot::kGrey});
    plot::Figure fa{
        .width_px = 1000, .height_px = 700, .rows = 2, .cols = 1, .suptitle = "Angle integration"};
    fa.panels = {ang, av};
    save(fa, "angle.png");
  }
  return files;
}

struct RingMovie::Impl {
  std::string dir, dense, bank;
  std::unique_ptr<plot::GifWriter> gif;
};

RingMovie::RingMovie(std::string dir, std::string dense_name, std::string bank_name)
    : impl_(std::make_unique<Impl>()) {
  impl_->dir = std::move(dir);
  impl_->dense = std::move(dense_name);
  impl_->bank = std::move(bank_name);
  ensure_dir(impl_->dir + "/movie");
  impl_->gif = std::make_unique<plot::GifWriter>(impl_->dir + "/weights_evolution.gif", 10);
}

RingMovie::~RingMovie() = default;

void RingMovie::add_frame(int64_t step, const TensorMap& params) {
  plot::Figure f =
      weights_figure(params, impl_->dense, impl_->bank, 2, fmt::format("step {}", step));
  plot::save_png(f, fmt::format("{}/movie/frame-{:06d}.png", impl_->dir, step));
  impl_->gif->add_frame(f);
}

std::vector<std::string> RingMovie::close() {
  if (!impl_->gif) return {};
  const bool any = impl_->gif->frames() > 0;
  impl_->gif->close();
  impl_->gif.reset();
  if (!any) return {};
  return {impl_->dir + "/weights_evolution.gif"};
}

#else  // built without runtime/plot

bool figures_available() {
  return false;
}
std::vector<std::string> write_ring_figures(const RingFigureInputs&, const std::string&) {
  return {};
}
struct RingMovie::Impl {};
RingMovie::RingMovie(std::string, std::string, std::string) {}
RingMovie::~RingMovie() = default;
void RingMovie::add_frame(int64_t, const TensorMap&) {}
std::vector<std::string> RingMovie::close() {
  return {};
}

#endif

}  // namespace rnnjit::train::ring
