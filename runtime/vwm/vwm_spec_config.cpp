// VwmConfig from an rnnjit spec (examples/vwm.yaml): the cell fields come from the spec, the task
// and training fields from its `train:` section (flat keys named as in the seed's config.yaml).
#include <cmath>

#include "compiler/spec_parser_yaml.hpp"
#include "runtime/vwm/vwm_config.hpp"

namespace rnnjit::vwm {

using spec_yaml::Field;
using spec_yaml::MapView;

VwmConfig vwm_config_from_spec(const ModelSpec& s) {
  VwmConfig c;  // the seed's defaults for everything the spec does not say
  c.path = s.path;
  const SourceLoc top{s.path, 0, 0};
  if (s.train.IsDefined() && !s.train.IsNull()) {
    const Field tf(s.path, "train", s.train, spec_yaml::loc_of(s.path, s.train.Mark()));
    const MapView m = tf.as_map("a map of training settings");
    m.check_keys({"task", "max_item_num", "item_num", "input_strength", "ILC_noise", "T_init",
                  "T_stimi", "T_delay", "T_decode", "num_iterations", "num_trials", "error_def",
                  "eta", "lambda_reg", "lambda_err", "logging_period", "early_stop_patience",
                  "adaptive_lr_patience", "rnn_name"});
    auto num = [&](const char* k, double& v, bool positive) {
      if (!m.has(k)) return;
      const Field f = m.get(k);
      v = positive ? f.as_number("a number > 0", [](double x) { return x > 0; })
                   : f.as_number("a number >= 0", [](double x) { return x >= 0; });
      c.locs[std::string("model_params.") + k] = f.loc();
    };
    auto integer = [&](const char* k, int64_t& v) {
      if (!m.has(k)) return;
      const Field f = m.get(k);
      v = f.as_int("an integer >= 1", [](int64_t x) { return x >= 1; });
      c.locs[std::string("training_params.") + k] = f.loc();
    };
    if (m.has("task") && m.get("task").as_string() != "vwm")
      m.get("task").expected("'vwm' (this trainer's task)");
    integer("max_item_num", c.max_item_num);
    if (m.has("item_num")) {
      const Field f = m.get("item_num");
      c.item_num.clear();
      for (const Field& e : f.as_list("a list of set sizes"))
        c.item_num.push_back(e.as_int("a set size in 1..max_item_num",
                                      [&](int64_t x) { return x >= 1 && x <= c.max_item_num; }));
      if (c.item_num.empty()) f.expected("a non-empty list of set sizes");
    }
    double strength = c.input_strength;
    if (m.has("input_strength")) strength = m.get("input_strength").as_number();
    c.input_strength = strength;
    num("ILC_noise", c.ILC_noise, false);
    num("T_init", c.T_init, false);
    num("T_stimi", c.T_stimi, false);
    num("T_delay", c.T_delay, false);
    num("T_decode", c.T_decode, true);
    if (m.has("num_iterations"))
      c.num_iterations =
          m.get("num_iterations").as_int("an integer >= 0", [](int64_t x) { return x >= 0; });
    integer("num_trials", c.num_trials);
    integer("logging_period", c.logging_period);
    integer("early_stop_patience", c.early_stop_patience);
    integer("adaptive_lr_patience", c.adaptive_lr_patience);
    if (m.has("error_def")) {
      const Field f = m.get("error_def");
      const std::string t = f.as_string();
      if (t == "l2")
        c.error_def = ErrorDef::L2;
      else if (t == "sqrtl2")
        c.error_def = ErrorDef::SqrtL2;
      else if (t == "rad")
        c.error_def = ErrorDef::Rad;
      else if (t == "exp")
        c.error_def = ErrorDef::Exp;
      else
        f.expected("one of l2, sqrtl2, rad, exp");
    }
    num("eta", c.eta, true);
    num("lambda_reg", c.lambda_reg, false);
    num("lambda_err", c.lambda_err, false);
    if (m.has("rnn_name")) c.rnn_name = m.get("rnn_name").as_string();
  }

  // The cell.
  c.num_neurons = s.neurons;
  c.saturation_firing_rate =
      s.activation.kind == ir::Activation::Saturating ? s.activation.rate : 0.0;
  if (s.activation.kind != ir::Activation::Saturating &&
      s.activation.kind != ir::Activation::PowerLaw)
    throw SpecError(SourceLoc{s.path, 0, 0},
                    "the VWM task needs activation saturating or powerlaw");
  if (!s.leak.per_neuron)
    throw SpecError(s.leak.loc.line ? s.leak.loc : top,
                    "the VWM task needs a per-neuron leak (leak: {dt, tau: {min, max}})");
  c.dt = s.leak.dt;
  c.tau_min = s.leak.tau_min;
  c.tau_max = s.leak.tau_max;
  c.dales_law = !s.recurrent.empty() && s.recurrent[0].dale;
  if (s.inputs.size() != 1 || s.input_terms.size() != 1)
    throw SpecError(top, "the VWM task needs exactly one input and one input term");
  const int64_t width = s.inputs[0].size;
  if (width == 3 * c.max_item_num) {
    c.positive_input = true;
  } else if (width == 2 * c.max_item_num) {
    c.positive_input = false;
  } else {
    throw SpecError(s.inputs[0].loc,
                    "input '" + s.inputs[0].name + "' has " + std::to_string(width) +
                        " channels but max_item_num = " + std::to_string(c.max_item_num) +
                        " needs " + std::to_string(3 * c.max_item_num) + " (positive) or " +
                        std::to_string(2 * c.max_item_num) + " (cos, sin)");
  }
  c.spike_noise_factor = s.noise.kind == ir::Noise::None ? 0.0 : s.noise.factor;
  c.spike_noise_factor_text = python_float_repr(c.spike_noise_factor);
  c.spike_noise_type =
      s.noise.kind == ir::Noise::None ? "gamma" : std::string(ir::name(s.noise.kind));
  const int64_t steps =
      static_cast<int64_t>((c.T_init + c.T_stimi + c.T_delay + c.T_decode) / c.dt);
  if (steps - static_cast<int64_t>((c.T_init + c.T_stimi + c.T_delay) / c.dt) < 1)
    throw SpecError(c.loc("model_params.T_decode"),
                    "field 'train.T_decode' must cover at least one step of dt");
  return c;
}

}  // namespace rnnjit::vwm
