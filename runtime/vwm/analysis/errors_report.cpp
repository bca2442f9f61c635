// `rnnjit analyze --what errors`: error distributions per set size; see vwm_analyze.hpp.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "compiler/lower.hpp"
#include "runtime/plot/plot.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/vwm/analysis/analyze_run.hpp"
#include "runtime/vwm/vwm_loss.hpp"
#include "runtime/vwm/vwm_task.hpp"

namespace rnnjit::vwm {

namespace {

constexpr int64_t kChunk = 250;  // trials per forward pass (bounds the memory of r)

nlohmann::json fit_json(const MixtureFit& f) {
  return {{"weight", f.weight},
          {"kappa", f.kappa},
          {"sigma", f.sigma},
          {"log_likelihood", f.log_likelihood},
          {"aic", f.aic},
          {"bic", f.bic},
          {"iterations", f.iterations}};
}

void write_histograms(const std::vector<ErrorGroup>& groups, const std::string& path) {
  plot::Figure f;
  const int n = static_cast<int>(groups.size());
  f.cols = std::min(n, 3);
  f.rows = (n + f.cols - 1) / f.cols;
  f.width_px = 430 * f.cols;
  f.height_px = 330 * f.rows + 40;
  f.suptitle = "angular errors per set size (density) with fitted mixtures";
  std::vector<double> xs;
  for (int i = 0; i <= 200; ++i) xs.push_back(-M_PI + 2 * M_PI * i / 200.0);
  for (const ErrorGroup& g : groups) {
    plot::Histogram h;
    h.title = fmt::format("set size {} ({} errors)", g.set_size, g.errors.size());
    h.xlabel = "error (rad)";
    h.ylabel = "density";
    h.values = g.errors;
    h.bins = 36;
    h.range = plot::Range{-M_PI, M_PI};
    h.density = true;
    h.xlim = plot::Range{-M_PI, M_PI};
    plot::Series vm, ga;
    vm.x = ga.x = xs;
    for (double x : xs) {
      vm.y.push_back(von_mises_uniform_pdf(x, g.von_mises.weight, g.von_mises.kappa));
      ga.y.push_back(gaussian_uniform_pdf(x, g.gaussian.weight, g.gaussian.sigma));
    }
    vm.label = fmt::format("vM+U w={:.2f} k={:.3g}", g.von_mises.weight, g.von_mises.kappa);
    vm.color = plot::kRed;
    ga.label = fmt::format("G+U w={:.2f} sd={:.3g}", g.gaussian.weight, g.gaussian.sigma);
    ga.color = plot::kBlack;
    ga.dashed = true;
    h.curves = {vm, ga};
    f.panels.push_back(h);
  }
  plot::save_png(f, path);
}

}  // namespace

ErrorAnalysis analyze_errors(const LoadedRun& run, const AnalyzeOptions& opt) {
  const VwmConfig& c = run.config;
  const ModelSpec spec = to_model_spec(c);
  ErrorAnalysis res;
  res.backend = analysis_backend(opt.backend, /*fixed_points=*/false);
  const ir::Module m = compile_module(spec);
  auto exec = detail::make_cell_executor(m, res.backend, false);
  const TensorMap params = detail::cell_params(run, m);
  const Tensor& F = run.params.at(kReadoutName);
  const int64_t trials = std::max<int64_t>(1, opt.trials);

  for (int64_t k : c.item_num) {
    ErrorGroup g;
    g.set_size = k;
    g.trials = trials;
    double abs_sum = 0;
    for (int64_t done = 0, chunk = 0; done < trials; done += kChunk, ++chunk) {
      VwmConfig ck = c;
      ck.item_num = {k};
      ck.num_trials = std::min(kChunk, trials - done);
      const VwmBatch batch = make_batch(ck, detail::mix_seed(opt.seed, 0xE1, k * 100003 + chunk));
      TensorMap inputs;
      inputs["r0"] = Tensor(DType::F64, {batch.trials, c.num_neurons});
      inputs[kInputName] = batch.input;
      RunOptions ro;
      ro.noise_seed = detail::mix_seed(opt.seed, 0xE2, k * 100003 + chunk);
      const Tensor r = exec->forward(params, inputs, ro);
      LossOptions lo = loss_options(c, ro.noise_seed);
      lo.gradients = false;
      lo.threads = opt.loss_threads;
      const LossResult loss = vwm_loss(r, F, batch.theta, batch.presence, lo);
      for (int64_t b = 0; b < batch.trials; ++b)
        for (int64_t i = 0; i < batch.items; ++i)
          if (batch.presence[b * batch.items + i] > 0) {
            const double e = loss.angular_error[b * batch.items + i];
            g.errors.push_back(e);
            abs_sum += std::abs(e);
          }
    }
    g.mean_abs_error = g.errors.empty() ? 0.0 : abs_sum / static_cast<double>(g.errors.size());
    g.stats = circular_stats(g.errors);
    g.von_mises = fit_von_mises_uniform(g.errors);
    g.gaussian = fit_gaussian_uniform(g.errors);
    res.groups.push_back(std::move(g));
  }

  const std::string dir = detail::out_dir(run, opt);
  nlohmann::json j = detail::run_header(run, res.backend, opt.seed);
  j["trials_per_set_size"] = trials;
  j["set_sizes"] = nlohmann::json::array();
  for (const ErrorGroup& g : res.groups) {
    nlohmann::json e;
    e["set_size"] = g.set_size;
    e["trials"] = g.trials;
    e["errors"] = g.errors.size();
    e["mean_abs_error"] = g.mean_abs_error;
    e["circular"] = {{"mean", g.stats.mean},
                     {"resultant", g.stats.resultant},
                     {"variance", g.stats.variance},
                     {"sd", g.stats.sd},
                     {"kurtosis", g.stats.kurtosis}};
    e["von_mises_uniform"] = fit_json(g.von_mises);
    e["gaussian_uniform"] = fit_json(g.gaussian);
    j["set_sizes"].push_back(e);
  }
  const std::string json_path = dir + "/errors.json";
  train::write_json_atomic(json_path, j);
  res.files.push_back(json_path);
  if (opt.figures) {
    const std::string png = dir + "/error_hist.png";
    write_histograms(res.groups, png);
    res.files.push_back(png);
  }

  res.summary.push_back(fmt::format("errors ({} trials per set size, backend {}, step {}):", trials,
                                    res.backend, run.step));
  for (const ErrorGroup& g : res.groups)
    res.summary.push_back(fmt::format(
        "  set size {:>2}: mean |error| {:.3f} rad, circ. sd {:.3f}, var {:.3f}, kurtosis {:.2f};"
        " vM+U w {:.2f} kappa {:.3g}; G+U w {:.2f} sd {:.3f}",
        g.set_size, g.mean_abs_error, g.stats.sd, g.stats.variance, g.stats.kurtosis,
        g.von_mises.weight, g.von_mises.kappa, g.gaussian.weight, g.gaussian.sigma));
  res.summary.push_back("  wrote " + json_path + (opt.figures ? " and error_hist.png" : ""));
  return res;
}

}  // namespace rnnjit::vwm
