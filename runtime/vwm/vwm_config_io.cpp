#include "runtime/vwm/vwm_config_io.hpp"

#include <fstream>
#include <functional>
#include <sstream>

#include "runtime/train/metrics.hpp"

namespace rnnjit::vwm {

namespace {

using json = nlohmann::json;

// One direction-agnostic description of the fields: the same table writes and reads, so a field
// cannot be forgotten on one side only.
struct Io {
  bool writing = true;
  json* out = nullptr;       // writing
  const json* in = nullptr;  // reading
  std::string where;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw SpecError(SourceLoc{where, 0, 0}, "field '" + key + "' must be " + what);
  }

  template <class T>
  void field(const std::string& section, const std::string& key, T& v, const char* what) {
    if (writing) {
      (*out)[section][key] = v;
      return;
    }
    if (!in->contains(section)) return;
    const json& s = (*in)[section];
    if (!s.is_object()) fail(section, "an object");
    if (!s.contains(key)) return;
    const json& x = s[key];
    const std::string path = section + "." + key;
    if constexpr (std::is_same_v<T, bool>) {
      if (!x.is_boolean()) fail(path, what);
    } else if constexpr (std::is_integral_v<T>) {
      if (!x.is_number_integer()) fail(path, what);
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!x.is_number()) fail(path, what);
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!x.is_string()) fail(path, what);
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
      if (!x.is_array()) fail(path, what);
      for (const json& e : x)
        if (!e.is_number_integer()) fail(path, what);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      if (!x.is_array()) fail(path, what);
      for (const json& e : x)
        if (!e.is_string()) fail(path, what);
    }
    v = x.get<T>();
  }
};

void describe(Io& io, VwmConfig& c) {
  const char* i = "an integer";
  const char* d = "a number";
  const char* b = "true or false";
  const char* s = "a string";
  const std::string mp = "model_params", tp = "training_params", lp = "model_and_logging_params",
                    fp = "fpf_params";
  io.field(mp, "max_item_num", c.max_item_num, i);
  io.field(mp, "item_num", c.item_num, "a list of integers");
  io.field(mp, "num_neurons", c.num_neurons, i);
  io.field(mp, "dt", c.dt, d);
  io.field(mp, "tau_min", c.tau_min, d);
  io.field(mp, "tau_max", c.tau_max, d);
  io.field(mp, "spike_noise_factor", c.spike_noise_factor, d);
  io.field(mp, "spike_noise_factor_text", c.spike_noise_factor_text, s);
  io.field(mp, "spike_noise_type", c.spike_noise_type, s);
  io.field(mp, "positive_input", c.positive_input, b);
  io.field(mp, "input_strength", c.input_strength, d);
  io.field(mp, "saturation_firing_rate", c.saturation_firing_rate, d);
  io.field(mp, "dales_law", c.dales_law, b);
  io.field(mp, "ILC_noise", c.ILC_noise, d);
  io.field(mp, "T_init", c.T_init, d);
  io.field(mp, "T_stimi", c.T_stimi, d);
  io.field(mp, "T_delay", c.T_delay, d);
  io.field(mp, "T_decode", c.T_decode, d);

  io.field(tp, "train_rnn", c.train_rnn, b);
  io.field(tp, "load_history", c.load_history, b);
  io.field(tp, "num_iterations", c.num_iterations, i);
  std::string err(name(c.error_def));
  io.field(tp, "error_def", err, s);
  if (!io.writing) {
    if (const auto e = parse_error_def(err))
      c.error_def = *e;
    else
      io.fail(tp + ".error_def", "one of l2, sqrtl2, rad, exp");
  }
  io.field(tp, "eta", c.eta, d);
  io.field(tp, "lambda_reg", c.lambda_reg, d);
  io.field(tp, "lambda_err", c.lambda_err, d);
  io.field(tp, "num_trials", c.num_trials, i);
  io.field(tp, "logging_period", c.logging_period, i);
  io.field(tp, "early_stop_patience", c.early_stop_patience, i);
  io.field(tp, "adaptive_lr_patience", c.adaptive_lr_patience, i);

  io.field(lp, "rnn_name", c.rnn_name, s);
  io.field(lp, "plot_weights_bool", c.plot_weights_bool, b);
  io.field(lp, "error_dist_bool", c.error_dist_bool, b);
  io.field(lp, "fit_mixture_bool", c.fit_mixture_bool, b);
  io.field(lp, "snr_analy_bool", c.snr_analy_bool, b);

  io.field(fp, "fpf_bool", c.fpf_bool, b);
  io.field(fp, "fpf_pca_bool", c.fpf_pca_bool, b);
  io.field(fp, "fpf_names", c.fpf_names, "a list of strings");
  io.field(fp, "fpf_trials", c.fpf_trials, i);
  io.field(fp, "fpf_N_init", c.fpf_N_init, i);
  io.field(fp, "fpf_noise_scale", c.fpf_noise_scale, d);

  // fpf_hps is nested inside fpf_params.
  Io sub = io;
  json hps_out;
  json hps_in;
  if (io.writing) {
    sub.out = &hps_out;
  } else {
    if (io.in->contains(fp) && (*io.in)[fp].is_object() && (*io.in)[fp].contains("fpf_hps"))
      hps_in["fpf_hps"] = (*io.in)[fp]["fpf_hps"];
    sub.in = &hps_in;
  }
  const std::string hp = "fpf_hps";
  sub.field(hp, "max_iters", c.fpf_hps.max_iters, i);
  sub.field(hp, "lr_init", c.fpf_hps.lr_init, d);
  sub.field(hp, "outlier_distance_scale", c.fpf_hps.outlier_distance_scale, d);
  sub.field(hp, "verbose", c.fpf_hps.verbose, b);
  sub.field(hp, "super_verbose", c.fpf_hps.super_verbose, b);
  if (io.writing) (*io.out)[fp]["fpf_hps"] = hps_out[hp];
}

}  // namespace

nlohmann::json vwm_config_to_json(const VwmConfig& c) {
  json j;
  j["format"] = "rnnjit-vwm-config";
  j["version"] = 1;
  VwmConfig copy = c;
  Io io;
  io.writing = true;
  io.out = &j;
  describe(io, copy);
  return j;
}

VwmConfig vwm_config_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw SpecError(SourceLoc{where, 0, 0}, "expected a JSON object");
  if (j.contains("format") && j["format"] != "rnnjit-vwm-config")
    throw SpecError(SourceLoc{where, 0, 0},
                    "not an rnnjit VWM config (format " + j["format"].dump() + ")");
  VwmConfig c;
  Io io;
  io.writing = false;
  io.in = &j;
  io.where = where;
  describe(io, c);
  c.path = where;
  validate_config(c);
  return c;
}

void save_vwm_config_json(const std::string& path, const VwmConfig& c) {
  train::write_json_atomic(path, vwm_config_to_json(c));
}

VwmConfig load_vwm_config_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw SpecError(SourceLoc{path, 0, 0}, "cannot read the run's config (file missing?)");
  std::stringstream ss;
  ss << in.rdbuf();
  json j;
  try {
    j = json::parse(ss.str());
  } catch (const json::parse_error& e) {
    throw SpecError(SourceLoc{path, 0, 0}, std::string("malformed JSON: ") + e.what());
  }
  return vwm_config_from_json(j, path);
}

}  // namespace rnnjit::vwm
