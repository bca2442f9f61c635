// `rnnjit analyze --what fixed-points`: fixed points of the noise-free cell map; see
// vwm_analyze.hpp.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "compiler/lower.hpp"
#include "runtime/plot/plot.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/vwm/analysis/analyze_run.hpp"
#include "runtime/vwm/vwm_task.hpp"

namespace rnnjit::vwm {

namespace {

constexpr int kTopEigenvalues = 10;

nlohmann::json point_json(const FixedPoint& p) {
  nlohmann::json e;
  e["q"] = p.q;
  e["hits"] = p.hits;
  e["init_index"] = p.init_index;
  e["spectral_radius"] = p.spectral_radius;
  e["stable"] = p.stable;
  e["top_eigenvalues"] = nlohmann::json::array();
  for (size_t i = 0; i < p.eigenvalues.size() && i < kTopEigenvalues; ++i)
    e["top_eigenvalues"].push_back({p.eigenvalues[i].real(), p.eigenvalues[i].imag()});
  e["x"] = p.x;
  return e;
}

double quantile(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

namespace detail {

// f(x) = one step of the cell from r0 = x with zero input, and its VJP from the backward pass of
// that step. The executor is used by one caller at a time (find_fixed_points is sequential).
FixedPointCallbacks cell_step_callbacks(CellExecutor& exec, const TensorMap& params, int64_t n,
                                        int64_t input_channels) {
  auto forward = [&exec, &params, n, input_channels](const std::vector<double>& X, int64_t K) {
    TensorMap inputs;
    inputs["r0"] = Tensor::f64({K, n}, X);
    inputs[kInputName] = Tensor(DType::F64, {K, 1, input_channels});
    RunOptions ro;
    ro.steps = 1;
    return exec.forward(params, inputs, ro);
  };
  FixedPointCallbacks f;
  f.n = n;
  f.step = [forward](const std::vector<double>& X, int64_t K, std::vector<double>& FX) {
    const Tensor r = forward(X, K);
    FX.resize(static_cast<size_t>(K * r.dim(2)));
    for (int64_t e = 0; e < r.numel(); ++e) FX[e] = r.at_f64(e);
  };
  f.vjp = [forward, &exec, n](const std::vector<double>& X, const std::vector<double>& V, int64_t K,
                              std::vector<double>& out) {
    const Tensor r = forward(X, K);
    const Tensor dr = Tensor::f64({K, 1, n}, V).to(r.dtype());
    const TensorMap g = exec.backward(dr);
    const Tensor& dr0 = require(g, "r0", "fixed points: the cell's gradients");
    out.resize(static_cast<size_t>(K * n));
    for (int64_t e = 0; e < K * n; ++e) out[e] = dr0.at_f64(e);
  };
  return f;
}

}  // namespace detail

FixedPointAnalysis analyze_fixed_points(const LoadedRun& run, const AnalyzeOptions& opt) {
  const VwmConfig& c = run.config;
  ModelSpec spec = to_model_spec(c);
  spec.noise.kind = ir::Noise::None;  // f is the deterministic map
  spec.noise.factor = 0.0;
  FixedPointAnalysis res;
  res.backend = analysis_backend(opt.backend, /*fixed_points=*/true);
  const ir::Module m = compile_module(spec);
  auto exec = detail::make_cell_executor(m, res.backend, true);
  const TensorMap params = detail::cell_params(run, m);
  const int64_t n = c.num_neurons, I = c.input_channels();

  // Trajectories of the task without noise, and initial states from their delay periods.
  VwmConfig bc = c;
  bc.num_trials = std::max<int64_t>(1, c.fpf_trials);
  const VwmBatch batch = make_batch(bc, detail::mix_seed(opt.seed, 0xF1, 0), DType::F64);
  TensorMap inputs;
  inputs["r0"] = Tensor(DType::F64, {batch.trials, n});
  inputs[kInputName] = batch.input;
  const Tensor traj = exec->forward(params, inputs, RunOptions{});
  const int64_t T = traj.dim(1);
  const Timeline tl = make_timeline(c);
  int64_t lo = static_cast<int64_t>((c.T_init + c.T_stimi) / c.dt), hi = tl.decode_start;
  lo = std::clamp<int64_t>(lo, 0, T - 1);
  hi = std::clamp<int64_t>(hi, lo + 1, T);  // an empty delay: the step after the stimulus
  const int64_t per_trial = std::max<int64_t>(1, c.fpf_N_init);
  const int64_t K = batch.trials * per_trial;
  std::mt19937_64 rng(detail::mix_seed(opt.seed, 0xF2, 0));
  std::uniform_int_distribution<int64_t> pick(lo, hi - 1);
  std::normal_distribution<double> jitter(0.0, 1.0);
  std::vector<double> X0(static_cast<size_t>(K * n));
  for (int64_t b = 0; b < batch.trials; ++b)
    for (int64_t s = 0; s < per_trial; ++s) {
      const int64_t t = pick(rng);
      double* x = X0.data() + (b * per_trial + s) * n;
      for (int64_t i = 0; i < n; ++i) {
        x[i] = traj.at_f64((b * T + t) * n + i);
        if (c.fpf_noise_scale > 0) x[i] += c.fpf_noise_scale * jitter(rng);
      }
    }
  res.initial_states = K;

  res.options = fpf_options(c.fpf_hps);
  if (opt.fp_max_iters >= 0) res.options.max_iters = static_cast<int>(opt.fp_max_iters);
  const FixedPointCallbacks f = detail::cell_step_callbacks(*exec, params, n, I);
  res.report = find_fixed_points(f, X0, K, res.options);
  const FixedPointReport& rep = res.report;
  int64_t stable = 0;
  for (const FixedPoint& p : rep.points) stable += p.stable ? 1 : 0;

  const std::string dir = detail::out_dir(run, opt);
  nlohmann::json j = detail::run_header(run, res.backend, opt.seed);
  j["initial_states"] = K;
  j["trials"] = batch.trials;
  j["states_per_trial"] = per_trial;
  j["noise_scale"] = c.fpf_noise_scale;
  j["delay_steps"] = {lo, hi};
  j["options"] = {{"max_iters", res.options.max_iters},
                  {"lr_init", res.options.lr_init},
                  {"q_tol", res.options.q_tol},
                  {"dedup_tol", res.options.dedup_tol},
                  {"outlier_distance_scale", res.options.outlier_distance_scale}};
  j["iterations"] = rep.iterations;
  j["fixed_points"] = rep.points.size();
  j["stable"] = stable;
  j["unconverged"] = rep.unconverged;
  j["outliers"] = rep.outliers;
  j["duplicates"] = rep.duplicates;
  j["final_q"] = rep.final_q;
  j["points"] = nlohmann::json::array();
  for (const FixedPoint& p : rep.points) j["points"].push_back(point_json(p));
  const std::string json_path = dir + "/fixed_points.json";
  train::write_json_atomic(json_path, j);
  res.files.push_back(json_path);

  if (opt.figures && n >= 2) {
    const int64_t rows = batch.trials * T;
    std::vector<double> all(traj.numel());
    for (int64_t e = 0; e < traj.numel(); ++e) all[e] = traj.at_f64(e);
    const Pca p = pca(all, rows, n, 2);
    plot::Axes a;
    a.title = fmt::format("trajectories and fixed points (PCA, step {})", run.step);
    const double total_var = [&] {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) {
        double m1 = 0, m2 = 0;
        for (int64_t r = 0; r < rows; ++r) m1 += all[r * n + i];
        m1 /= static_cast<double>(rows);
        for (int64_t r = 0; r < rows; ++r) m2 += (all[r * n + i] - m1) * (all[r * n + i] - m1);
        s += m2 / static_cast<double>(std::max<int64_t>(1, rows - 1));
      }
      return s;
    }();
    auto pct = [&](size_t k) {
      return k < p.variance.size() && total_var > 0 ? 100.0 * p.variance[k] / total_var : 0.0;
    };
    a.xlabel = fmt::format("PC1 ({:.0f}%)", pct(0));
    a.ylabel = fmt::format("PC2 ({:.0f}%)", pct(1));
    for (int64_t b = 0; b < batch.trials; ++b) {
      plot::Series s;
      for (int64_t t = 0; t < T; ++t) {
        s.x.push_back(p.projected[(b * T + t) * 2]);
        s.y.push_back(p.projected[(b * T + t) * 2 + 1]);
      }
      s.color = plot::Color{0.55, 0.55, 0.55, 0.5};
      s.width = 1.0;
      if (b == 0) s.label = "trials";
      a.lines.push_back(s);
    }
    plot::Series st, un;
    for (const FixedPoint& fp : rep.points) {
      const std::vector<double> y = pca_project(p, fp.x, 1);
      plot::Series& s = fp.stable ? st : un;
      s.x.push_back(y[0]);
      s.y.push_back(y[1]);
    }
    st.points = un.points = true;
    st.line = un.line = false;
    st.color = plot::kBlue;
    un.color = plot::kRed;
    st.label = fmt::format("stable ({})", st.x.size());
    un.label = fmt::format("unstable ({})", un.x.size());
    if (!st.x.empty()) a.lines.push_back(st);
    if (!un.x.empty()) a.lines.push_back(un);
    plot::Figure fig;
    fig.width_px = 800;
    fig.height_px = 650;
    fig.panels = {a};
    const std::string png = dir + "/fixed_points_pca.png";
    plot::save_png(fig, png);
    res.files.push_back(png);
  }

  res.summary.push_back(fmt::format(
      "fixed points ({} initial states from {} noise-free trials, backend {}, step {}):", K,
      batch.trials, res.backend, run.step));
  res.summary.push_back(fmt::format(
      "  {} fixed point(s): {} stable, {} unstable; {} unconverged (q >= {:g}), {} outliers, {} "
      "duplicates; {} iterations",
      rep.points.size(), stable, static_cast<int64_t>(rep.points.size()) - stable, rep.unconverged,
      res.options.q_tol, rep.outliers, rep.duplicates, rep.iterations));
  res.summary.push_back(fmt::format("  final q: min {:.3g}, median {:.3g}, max {:.3g}",
                                    quantile(rep.final_q, 0), quantile(rep.final_q, 0.5),
                                    quantile(rep.final_q, 1)));
  for (size_t i = 0; i < rep.points.size() && i < 5; ++i)
    res.summary.push_back(fmt::format("  point {}: q {:.3g}, hits {}, spectral radius {:.4f} ({})",
                                      i, rep.points[i].q, rep.points[i].hits,
                                      rep.points[i].spectral_radius,
                                      rep.points[i].stable ? "stable" : "unstable"));
  res.summary.push_back("  wrote " + json_path + (opt.figures ? " and fixed_points_pca.png" : ""));
  return res;
}

}  // namespace rnnjit::vwm
