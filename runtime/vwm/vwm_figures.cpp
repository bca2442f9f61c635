// The VWM run's figures; see vwm_figures.hpp.
#include "runtime/vwm/vwm_figures.hpp"

#include <cmath>
#include <stdexcept>

#include "runtime/core/params.hpp"
#include "runtime/plot/plot.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/vwm/vwm_task.hpp"

namespace rnnjit::vwm {

std::vector<std::string> write_vwm_figures(const std::string& run_dir, const VwmConfig& c,
                                           const TensorMap& params, const ExampleRates* example) {
  std::vector<std::string> written;
  // The cell's own E/I split (excitatory_neurons of the fraction): the figures mark the neurons
  // the Dale mask makes inhibitory, odd N included.
  const int excitatory_neurons = static_cast<int>(excitatory_count(to_model_spec(c)));
  const auto cols = train::read_csv_columns(run_dir + "/metrics.csv");
  auto col = [&](const std::string& name) {
    auto it = cols.find(name);
    return it == cols.end() ? std::vector<double>{} : it->second;
  };
  const std::vector<double> step = col("step");

  {  // loss and lr curves
    plot::Figure f;
    f.width_px = 1000;
    f.height_px = 420;
    f.cols = 2;
    plot::Axes loss;
    loss.title = "training loss";
    loss.xlabel = "iteration";
    loss.lines.push_back({step, col("loss"), "loss"});
    loss.lines.push_back({step, col("eval_error"), "mean error (rad)"});
    plot::Axes lr;
    lr.title = "learning rate";
    lr.xlabel = "iteration";
    lr.logy = true;
    lr.lines.push_back({step, col("lr")});
    f.panels = {loss, lr};
    const std::string p = run_dir + "/loss_lr.png";
    plot::save_png(f, p);
    written.push_back(p);
  }
  if (!step.empty()) {  // error per set size, last logged row
    plot::Axes a;
    a.title =
        "error vs set size (iteration " + std::to_string(static_cast<int64_t>(step.back())) + ")";
    a.xlabel = "set size";
    a.ylabel = "mean |error| (rad)";
    plot::Series s;
    s.points = true;
    for (int64_t k : c.item_num) {
      const std::vector<double> e = col("error_ss" + std::to_string(k));
      if (e.empty()) continue;
      s.x.push_back(static_cast<double>(k));
      s.y.push_back(e.back());
    }
    a.lines.push_back(s);
    a.hlines.push_back({M_PI / 2, "chance"});
    plot::Figure f;
    f.panels = {a};
    const std::string p = run_dir + "/error_vs_set_size.png";
    plot::save_png(f, p);
    written.push_back(p);
  }
  if (params.count(kRecurrentName) && params.count(kInputWeightName)) {  // weights
    const Tensor W = params.at(kRecurrentName).to(DType::F64);
    const Tensor B = params.at(kInputWeightName).to(DType::F64);
    const int n = static_cast<int>(W.dim(0)), inputs = static_cast<int>(B.dim(1));
    const int excitatory = c.dales_law ? excitatory_neurons : n;
    plot::Heatmap w;
    w.title = c.dales_law ? "W_eff (columns signed by Dale's law)" : "W";
    w.xlabel = "presynaptic";
    w.ylabel = "postsynaptic";
    w.rows = w.cols = n;
    w.equal_aspect = true;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        w.values.push_back(W.at_f64(i * n + j) * (j < excitatory ? 1.0 : -1.0));
    if (c.dales_law && n > 1) {
      w.col_separators = w.row_separators = {excitatory};
      w.col_block_labels = w.row_block_labels = {"E", "I"};
    }
    plot::Heatmap b;
    b.title = "B (input weights)";
    b.xlabel = "input channel";
    b.ylabel = "neuron";
    b.rows = n;
    b.cols = inputs;
    b.colormap = c.positive_input ? plot::Colormap::Sequential : plot::Colormap::Diverging;
    for (int64_t e = 0; e < B.numel(); ++e) b.values.push_back(B.at_f64(e));
    plot::Figure f;
    f.width_px = 1100;
    f.height_px = 560;
    f.cols = 2;
    f.panels = {w, b};
    const std::string p = run_dir + "/weights.png";
    plot::save_png(f, p);
    written.push_back(p);
  }
  if (example && example->r.rank() == 2 && example->r.numel() > 0) {  // one trial's rates
    const Tensor r = example->r.to(DType::F64);
    const int steps = static_cast<int>(r.dim(0)), n = static_cast<int>(r.dim(1));
    const int excitatory = c.dales_law ? excitatory_neurons : n;
    const Timeline tl = make_timeline(c);
    const double t_end = static_cast<double>(steps) * c.dt;
    plot::Heatmap h;
    h.title = "rates of one trial (set size " + std::to_string(example->set_size) + ")";
    h.xlabel = "time (ms)";
    h.ylabel = "neuron";
    h.rows = n;
    h.cols = steps;
    h.colormap = plot::Colormap::Sequential;
    h.colorbar_label = "rate (Hz)";
    h.x_extent = plot::Range{c.dt, t_end};
    for (int i = 0; i < n; ++i)
      for (int t = 0; t < steps; ++t) h.values.push_back(r.at_f64(static_cast<int64_t>(t) * n + i));
    if (c.dales_law && n > 1) {
      h.row_separators = {excitatory};
      h.row_block_labels = {"E", "I"};
    }
    plot::Axes m;
    m.title = "population means";
    m.xlabel = "time (ms)";
    m.ylabel = "mean rate (Hz)";
    plot::Series e{{}, {}, c.dales_law ? "excitatory" : "all neurons"}, in{{}, {}, "inhibitory"};
    for (int t = 0; t < steps; ++t) {
      double se = 0, si = 0;
      for (int i = 0; i < n; ++i)
        (i < excitatory ? se : si) += r.at_f64(static_cast<int64_t>(t) * n + i);
      const double time = (t + 1) * c.dt;
      e.x.push_back(time);
      e.y.push_back(se / std::max(1, excitatory));
      if (excitatory < n) {
        in.x.push_back(time);
        in.y.push_back(si / (n - excitatory));
      }
    }
    m.lines.push_back(e);
    if (!in.x.empty()) m.lines.push_back(in);
    m.vlines.push_back({c.T_init, "stimulus"});
    m.vlines.push_back({c.T_init + c.T_stimi, ""});
    m.vlines.push_back({static_cast<double>(tl.decode_start + 1) * c.dt, "decode"});
    plot::Figure f;
    f.width_px = 1100;
    f.height_px = 460;
    f.cols = 2;
    f.panels = {h, m};
    const std::string p = run_dir + "/rates.png";
    plot::save_png(f, p);
    written.push_back(p);
  }
  return written;
}

}  // namespace rnnjit::vwm
