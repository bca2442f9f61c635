// `rnnjit analyze --what snr`: the seed's SNR per set size; see vwm_analyze.hpp.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "compiler/lower.hpp"
#include "runtime/plot/plot.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/vwm/analysis/analyze_run.hpp"
#include "runtime/vwm/vwm_task.hpp"

namespace rnnjit::vwm {

SnrAnalysis analyze_snr(const LoadedRun& run, const AnalyzeOptions& opt) {
  const VwmConfig& c = run.config;
  const ModelSpec spec = to_model_spec(c);
  SnrAnalysis res;
  res.backend = analysis_backend(opt.backend, /*fixed_points=*/false);
  const ir::Module m = compile_module(spec);
  auto exec = detail::make_cell_executor(m, res.backend, false);
  const TensorMap params = detail::cell_params(run, m);
  const Tensor& F = run.params.at(kReadoutName);
  const int64_t trials = std::max<int64_t>(2, opt.trials);  // a covariance needs two samples
  const Timeline tl = make_timeline(c);

  for (int64_t k : c.item_num) {
    const VwmBatch batch = make_snr_batch(c, k, trials, detail::mix_seed(opt.seed, 0x51, k));
    TensorMap inputs;
    inputs["r0"] = Tensor(DType::F64, {batch.trials, c.num_neurons});
    inputs[kInputName] = batch.input;
    RunOptions ro;
    ro.noise_seed = detail::mix_seed(opt.seed, 0x52, k);
    const Tensor r = exec->forward(params, inputs, ro);
    SnrResult s = snr_from_rates(r, F, tl.decode_start, loss_options(c, ro.noise_seed).noise);
    s.set_size = k;
    res.results.push_back(s);
  }

  const std::string dir = detail::out_dir(run, opt);
  nlohmann::json j = detail::run_header(run, res.backend, opt.seed);
  j["trials"] = trials;
  j["decode_steps"] = tl.decode_len();
  j["set_sizes"] = nlohmann::json::array();
  for (const SnrResult& s : res.results)
    j["set_sizes"].push_back({{"set_size", s.set_size},
                              {"signal_power", s.signal_power},
                              {"noise_power", s.noise_power},
                              {"noise_power_avg", s.noise_power_avg},
                              {"snr", s.snr},
                              {"snr_db", s.snr_db},
                              {"snr_avg", s.snr_avg},
                              {"snr_avg_db", s.snr_avg_db}});
  const std::string json_path = dir + "/snr.json";
  train::write_json_atomic(json_path, j);
  res.files.push_back(json_path);
  if (opt.figures) {
    plot::Axes a;
    a.title = fmt::format("SNR of item 0's readout ({} trials, step {})", trials, run.step);
    a.xlabel = "set size";
    a.ylabel = "SNR (dB)";
    plot::Series all, avg;
    for (const SnrResult& s : res.results) {
      all.x.push_back(static_cast<double>(s.set_size));
      all.y.push_back(s.snr_db);
      avg.x.push_back(static_cast<double>(s.set_size));
      avg.y.push_back(s.snr_avg_db);
    }
    all.points = avg.points = true;
    all.label = "per decode step";
    avg.label = "time-averaged readout";
    a.lines = {all, avg};
    plot::Figure f;
    f.panels = {a};
    const std::string png = dir + "/snr_vs_set_size.png";
    plot::save_png(f, png);
    res.files.push_back(png);
  }

  res.summary.push_back(fmt::format("snr ({} trials per set size, backend {}, step {}):", trials,
                                    res.backend, run.step));
  for (const SnrResult& s : res.results)
    res.summary.push_back(fmt::format(
        "  set size {:>2}: signal {:.4g}, noise {:.4g} -> SNR {:.2f} dB (time-averaged {:.2f} dB)",
        s.set_size, s.signal_power, s.noise_power, s.snr_db, s.snr_avg_db));
  res.summary.push_back("  wrote " + json_path + (opt.figures ? " and snr_vs_set_size.png" : ""));
  return res;
}

}  // namespace rnnjit::vwm
