#include "runtime/vwm/vwm_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "compiler/spec_parser_yaml.hpp"

namespace rnnjit::vwm {

using spec_yaml::Field;
using spec_yaml::MapView;

std::string_view name(ErrorDef e) {
  switch (e) {
    case ErrorDef::L2:
      return "l2";
    case ErrorDef::SqrtL2:
      return "sqrtl2";
    case ErrorDef::Rad:
      return "rad";
    case ErrorDef::Exp:
      return "exp";
  }
  return "rad";
}

std::optional<ErrorDef> parse_error_def(std::string_view s) {
  for (ErrorDef e : {ErrorDef::L2, ErrorDef::SqrtL2, ErrorDef::Rad, ErrorDef::Exp})
    if (name(e) == s) return e;
  return std::nullopt;
}

SourceLoc VwmConfig::loc(const std::string& key_path) const {
  auto it = locs.find(key_path);
  if (it != locs.end()) return it->second;
  return SourceLoc{path.empty() ? std::string("<defaults>") : path, 0, 0};
}

std::string python_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return std::signbit(x) ? "-0.0" : "0.0";
  // Shortest round-trip digits, in scientific form "d.ddde+XX".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  const size_t epos = s.find('e');
  const int exp10 = std::stoi(s.substr(epos + 1));
  std::string digits;
  for (size_t i = 0; i < epos; ++i)
    if (s[i] != '.') digits += s[i];
  if (exp10 >= -4 && exp10 < 16) {
    std::string out;
    if (exp10 >= 0) {
      std::string int_part = digits.substr(0, std::min<size_t>(digits.size(), exp10 + 1));
      while (static_cast<int>(int_part.size()) < exp10 + 1) int_part += '0';
      std::string frac =
          static_cast<int>(digits.size()) > exp10 + 1 ? digits.substr(exp10 + 1) : "0";
      out = int_part + "." + frac;
    } else {
      out = "0." + std::string(-exp10 - 1, '0') + digits;
    }
    return sign + out;
  }
  std::string mant = digits.substr(0, 1);
  if (digits.size() > 1) mant += "." + digits.substr(1);
  const int ae = std::abs(exp10);
  std::string e = std::to_string(ae);
  if (e.size() < 2) e = "0" + e;
  return sign + mant + "e" + (exp10 < 0 ? "-" : "+") + e;
}

namespace {

bool read_bool(const Field& f) {
  // The seed only tests truthiness; accept the integers 0 and 1 as well as true / false.
  const std::string t = f.text();
  if (t == "0") return false;
  if (t == "1") return true;
  return f.as_bool();
}

// Keys of older vwm_rnn configs that change the model or the schedule in ways rnnjit cannot
// reproduce: a config that has one is refused (naming them all) rather than trained as a
// different model.
// clang-format off
const std::map<std::string, std::string> kOlderModelKeys = {
    {"tau", "a single time constant; the current vwm_rnn samples tau_min..tau_max per neuron"},
    {"process_noise", "the earlier noise model; the current one is spike_noise_type / _factor"},
    {"decode_noise", "the earlier readout noise; the current readout uses spike noise"}};
const std::map<std::string, std::string> kOlderTrainingKeys = {
    {"num_epochs", "the earlier schedule; the current one counts num_iterations"}};
// clang-format on

// Reads one section: a handler per documented key; keys with a reason in `unused` and unknown
// keys are recorded as ignored, keys of `older` as refused.
void read_section(
    VwmConfig& c, const Field& section,
    const std::vector<std::pair<std::string, std::function<void(const Field&)>>>& keys,
    const std::map<std::string, std::string>& unused,
    const std::map<std::string, std::string>& aliases = {},
    const std::map<std::string, std::string>& older = {}) {
  const MapView m = section.as_map("a map of settings");
  std::set<std::string> seen;
  for (const Field& f : m.fields()) {
    std::string key = f.path().substr(m.path().size() + 1);
    auto alias = aliases.find(key);
    if (alias != aliases.end()) key = alias->second;
    const std::string path = m.path() + "." + key;
    bool handled = false;
    for (auto& [k, fn] : keys) {
      if (k != key) continue;
      if (seen.count(k)) f.fail("field '" + f.path() + "' repeats '" + m.path() + "." + k + "'");
      fn(f);
      seen.insert(k);
      c.locs[path] = f.loc();
      handled = true;
    }
    if (handled) continue;
    if (auto o = older.find(key); o != older.end()) {
      c.refused.push_back({f.path(), f.key_loc(), o->second});
      continue;
    }
    auto u = unused.find(key);
    c.ignored.push_back(
        {f.path(), f.key_loc(), u != unused.end() ? u->second : std::string("unknown key")});
  }
  for (auto& [k, fn] : keys)
    if (!seen.count(k)) c.defaulted.push_back(m.path() + "." + k);
}

void all_defaulted(VwmConfig& c, const std::string& section, const std::vector<std::string>& keys) {
  for (auto& k : keys) c.defaulted.push_back(section + "." + k);
}

void validate_timeline(const VwmConfig& c) {
  const double total = c.T_init + c.T_stimi + c.T_delay + c.T_decode;
  const int64_t steps = static_cast<int64_t>(total / c.dt);
  const int64_t start = static_cast<int64_t>((c.T_init + c.T_stimi + c.T_delay) / c.dt);
  if (steps - start < 1)
    throw SpecError(c.loc("model_params.T_decode"),
                    "field 'model_params.T_decode' must cover at least one step of dt = " +
                        python_float_repr(c.dt) + " ms (the decode window would be empty)");
}

void refuse_older_keys(const VwmConfig& c) {
  if (c.refused.empty()) return;
  std::string list;
  for (const IgnoredKey& k : c.refused)
    list += (list.empty() ? "" : "; ") + ("'" + k.path + "' (" + k.reason + ")");
  throw SpecError(c.refused.front().loc,
                  "this is an older vwm_rnn config whose model rnnjit cannot reproduce: " + list +
                      ". Update it to the current keys (tau_min/tau_max, spike_noise_type, "
                      "spike_noise_factor, num_iterations)");
}

VwmConfig parse_root(const YAML::Node& root, const std::string& file) {
  VwmConfig c;
  c.path = file;
  const std::vector<std::string> model_keys = {"max_item_num",
                                               "item_num",
                                               "num_neurons",
                                               "dt",
                                               "tau_min",
                                               "tau_max",
                                               "spike_noise_factor",
                                               "spike_noise_type",
                                               "positive_input",
                                               "input_strength",
                                               "saturation_firing_rate",
                                               "dales_law",
                                               "ILC_noise",
                                               "T_init",
                                               "T_stimi",
                                               "T_delay",
                                               "T_decode"};
  const std::vector<std::string> train_keys = {"train_rnn",
                                               "load_history",
                                               "num_iterations",
                                               "error_def",
                                               "eta",
                                               "lambda_reg",
                                               "lambda_err",
                                               "num_trials",
                                               "logging_period",
                                               "early_stop_patience",
                                               "adaptive_lr_patience"};
  const std::vector<std::string> log_keys = {"rnn_name", "plot_weights_bool", "error_dist_bool",
                                             "fit_mixture_bool", "snr_analy_bool"};
  const std::vector<std::string> fpf_keys = {"fpf_bool",   "fpf_pca_bool", "fpf_names",
                                             "fpf_trials", "fpf_N_init",   "fpf_noise_scale",
                                             "fpf_hps"};
  if (!root.IsDefined() || root.IsNull()) {
    all_defaulted(c, "model_params", model_keys);
    all_defaulted(c, "training_params", train_keys);
    all_defaulted(c, "model_and_logging_params", log_keys);
    all_defaulted(c, "fpf_params", fpf_keys);
    return c;
  }
  const Field doc(file, "", root, spec_yaml::loc_of(file, root.Mark()));
  if (!root.IsMap()) doc.expected("a map with sections model_params, training_params, ...");
  const MapView top(file, "", root, doc.loc());

  auto pos_int = [](const Field& f) {
    return f.as_int("an integer >= 1", [](int64_t v) { return v >= 1; });
  };
  auto nonneg_int = [](const Field& f) {
    return f.as_int("an integer >= 0", [](int64_t v) { return v >= 0; });
  };
  auto pos_num = [](const Field& f) {
    return f.as_number("a number > 0", [](double v) { return v > 0; });
  };
  auto nonneg_num = [](const Field& f) {
    return f.as_number("a number >= 0", [](double v) { return v >= 0; });
  };
  auto num = [](const Field& f) { return f.as_number("a number"); };

  std::set<std::string> sections_seen;
  const Field* item_num_field = nullptr;
  std::vector<Field> keep;  // item_num's field outlives the section reader
  keep.reserve(1);
  for (const Field& sec : top.fields()) {
    const std::string s = sec.path();
    sections_seen.insert(s);
    if (s == "model_params") {
      read_section(
          c, sec,
          {{"max_item_num", [&](const Field& f) { c.max_item_num = pos_int(f); }},
           {"item_num",
            [&](const Field& f) {
              c.item_num.clear();
              for (const Field& e : f.as_list("a list of set sizes"))
                c.item_num.push_back(pos_int(e));
              if (c.item_num.empty()) f.expected("a non-empty list of set sizes");
              keep.push_back(f);
              item_num_field = &keep.back();
            }},
           {"num_neurons", [&](const Field& f) { c.num_neurons = pos_int(f); }},
           {"dt", [&](const Field& f) { c.dt = pos_num(f); }},
           {"tau_min", [&](const Field& f) { c.tau_min = pos_num(f); }},
           {"tau_max", [&](const Field& f) { c.tau_max = pos_num(f); }},
           {"spike_noise_factor",
            [&](const Field& f) {
              c.spike_noise_factor = nonneg_num(f);
              // Python prints a YAML integer as an integer and a float by repr().
              const std::string t = f.text();
              int64_t iv = 0;
              const char* b = t.data() + (!t.empty() && t[0] == '+' ? 1 : 0);
              auto [end, ec] = std::from_chars(b, t.data() + t.size(), iv);
              c.spike_noise_factor_text = (ec == std::errc() && end == t.data() + t.size())
                                              ? std::to_string(iv)
                                              : python_float_repr(c.spike_noise_factor);
            }},
           {"spike_noise_type",
            [&](const Field& f) {
              std::string t = f.as_string("a noise name (gamma, gauss, puregauss)");
              for (char& ch : t)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
              c.spike_noise_type = t;
            }},
           {"positive_input", [&](const Field& f) { c.positive_input = read_bool(f); }},
           {"input_strength", [&](const Field& f) { c.input_strength = num(f); }},
           {"saturation_firing_rate", [&](const Field& f) { c.saturation_firing_rate = num(f); }},
           {"dales_law", [&](const Field& f) { c.dales_law = read_bool(f); }},
           {"ILC_noise", [&](const Field& f) { c.ILC_noise = nonneg_num(f); }},
           {"T_init", [&](const Field& f) { c.T_init = nonneg_num(f); }},
           {"T_stimi", [&](const Field& f) { c.T_stimi = nonneg_num(f); }},
           {"T_delay", [&](const Field& f) { c.T_delay = nonneg_num(f); }},
           {"T_decode", [&](const Field& f) { c.T_decode = nonneg_num(f); }}},
          {}, {{"final_spike_noise_factor", "spike_noise_factor"}}, kOlderModelKeys);
    } else if (s == "training_params") {
      read_section(
          c, sec,
          {{"train_rnn", [&](const Field& f) { c.train_rnn = read_bool(f); }},
           {"load_history", [&](const Field& f) { c.load_history = read_bool(f); }},
           {"num_iterations", [&](const Field& f) { c.num_iterations = nonneg_int(f); }},
           {"error_def",
            [&](const Field& f) {
              const auto e = parse_error_def(f.as_string("one of l2, sqrtl2, rad, exp"));
              if (!e) f.expected("one of l2, sqrtl2, rad, exp");
              c.error_def = *e;
            }},
           {"eta", [&](const Field& f) { c.eta = pos_num(f); }},
           {"lambda_reg", [&](const Field& f) { c.lambda_reg = nonneg_num(f); }},
           {"lambda_err", [&](const Field& f) { c.lambda_err = nonneg_num(f); }},
           {"num_trials", [&](const Field& f) { c.num_trials = pos_int(f); }},
           {"logging_period", [&](const Field& f) { c.logging_period = pos_int(f); }},
           {"early_stop_patience", [&](const Field& f) { c.early_stop_patience = pos_int(f); }},
           {"adaptive_lr_patience", [&](const Field& f) { c.adaptive_lr_patience = pos_int(f); }}},
          {{"use_scripted_model", "TorchScript switch; rnnjit always runs its compiled kernels"},
           {"multi_stage_training",
            "vwm_rnn's later noise curriculum is not supported; training uses the final factor"},
           {"from_scratch", "vwm_rnn's earlier name; use load_history"}},
          {}, kOlderTrainingKeys);
    } else if (s == "model_and_logging_params") {
      read_section(
          c, sec,
          {{"rnn_name", [&](const Field& f) { c.rnn_name = f.as_string("a name"); }},
           {"plot_weights_bool", [&](const Field& f) { c.plot_weights_bool = read_bool(f); }},
           {"error_dist_bool", [&](const Field& f) { c.error_dist_bool = read_bool(f); }},
           {"fit_mixture_bool", [&](const Field& f) { c.fit_mixture_bool = read_bool(f); }},
           {"snr_analy_bool", [&](const Field& f) { c.snr_analy_bool = read_bool(f); }}},
          {{"cuda_device", "choose the device with --backend / CUDA_VISIBLE_DEVICES"},
           {"mixed_selec_bool", "mixed-selectivity analysis is not part of rnnjit"},
           {"divis_norma_bool", "divisive-normalisation analysis is not part of rnnjit"}},
          {{"SNR_analy_bool", "snr_analy_bool"}});
    } else if (s == "fpf_params") {
      read_section(
          c, sec,
          {{"fpf_bool", [&](const Field& f) { c.fpf_bool = read_bool(f); }},
           {"fpf_pca_bool", [&](const Field& f) { c.fpf_pca_bool = read_bool(f); }},
           {"fpf_names",
            [&](const Field& f) {
              c.fpf_names.clear();
              for (const Field& e : f.as_list("a list of names"))
                c.fpf_names.push_back(e.as_string());
            }},
           {"fpf_trials", [&](const Field& f) { c.fpf_trials = pos_int(f); }},
           {"fpf_N_init", [&](const Field& f) { c.fpf_N_init = pos_int(f); }},
           {"fpf_noise_scale", [&](const Field& f) { c.fpf_noise_scale = nonneg_num(f); }},
           {"fpf_hps",
            [&](const Field& f) {
              read_section(
                  c, f,
                  {{"max_iters", [&](const Field& g) { c.fpf_hps.max_iters = pos_int(g); }},
                   {"lr_init", [&](const Field& g) { c.fpf_hps.lr_init = pos_num(g); }},
                   {"outlier_distance_scale",
                    [&](const Field& g) { c.fpf_hps.outlier_distance_scale = pos_num(g); }},
                   {"verbose", [&](const Field& g) { c.fpf_hps.verbose = read_bool(g); }},
                   {"super_verbose",
                    [&](const Field& g) { c.fpf_hps.super_verbose = read_bool(g); }}},
                  {});
            }}},
          {});
    } else {
      c.ignored.push_back({s, sec.key_loc(), "unknown section"});
    }
  }
  if (!sections_seen.count("model_params")) all_defaulted(c, "model_params", model_keys);
  if (!sections_seen.count("training_params")) all_defaulted(c, "training_params", train_keys);
  if (!sections_seen.count("model_and_logging_params"))
    all_defaulted(c, "model_and_logging_params", log_keys);
  if (!sections_seen.count("fpf_params")) all_defaulted(c, "fpf_params", fpf_keys);

  if (item_num_field) c.locs["model_params.item_num"] = item_num_field->loc();
  refuse_older_keys(c);
  validate_config(c);
  return c;
}

}  // namespace

void validate_config(const VwmConfig& c) {
  // Values each key must have (the YAML reader checks these as it reads, with the key's position;
  // a config.json read back is checked here).
  auto need = [&](bool ok, const std::string& key, const std::string& what) {
    if (!ok) throw SpecError(c.loc(key), "field '" + key + "' must be " + what);
  };
  need(c.num_neurons >= 1, "model_params.num_neurons", "a positive integer");
  need(c.max_item_num >= 1, "model_params.max_item_num", "a positive integer");
  need(!c.item_num.empty(), "model_params.item_num", "a non-empty list of set sizes");
  for (int64_t s : c.item_num) need(s >= 1, "model_params.item_num", "positive set sizes");
  need(c.dt > 0, "model_params.dt", "positive");
  need(c.tau_min > 0, "model_params.tau_min", "positive");
  need(c.T_init >= 0 && c.T_stimi >= 0 && c.T_delay >= 0 && c.T_decode >= 0,
       "model_params.T_decode", "non-negative, as T_init, T_stimi and T_delay");
  need(c.num_trials >= 1, "training_params.num_trials", "a positive integer");
  need(c.eta > 0, "training_params.eta", "positive");
  // Checks across keys, reported at the later-read key.
  for (int64_t s : c.item_num)
    if (s > c.max_item_num)
      throw SpecError(c.loc("model_params.item_num"),
                      "field 'model_params.item_num' has set size " + std::to_string(s) +
                          " but max_item_num is " + std::to_string(c.max_item_num));
  if (c.tau_max <= c.tau_min)
    throw SpecError(c.loc("model_params.tau_max"),
                    "field 'model_params.tau_max' (" + python_float_repr(c.tau_max) +
                        ") must be greater than tau_min (" + python_float_repr(c.tau_min) + ")");
  validate_timeline(c);
}

VwmConfig parse_vwm_config_string(const std::string& yaml, const std::string& path_for_messages) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw SpecError(spec_yaml::loc_of(path_for_messages, e.mark), e.msg);
  }
  return parse_root(root, path_for_messages);
}

VwmConfig load_vwm_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw SpecError(SourceLoc{path, 0, 0}, "cannot open the vwm_rnn config file");
  std::stringstream ss;
  ss << in.rdbuf();
  VwmConfig c = parse_vwm_config_string(ss.str(), path);
  // A file that sets no model key would train the default network for 50,000 iterations: far more
  // likely the wrong file (a spec, an empty file) than a wish for the defaults.
  const bool any_model_key = std::any_of(c.locs.begin(), c.locs.end(), [](const auto& kv) {
    return kv.first.rfind("model_params.", 0) == 0;
  });
  if (!any_model_key)
    throw SpecError(SourceLoc{path, 0, 0},
                    std::string(ss.str().find_first_not_of(" \t\r\n") == std::string::npos
                                    ? "the vwm_rnn config is empty"
                                    : "no vwm_rnn model setting here (model_params with "
                                      "num_neurons, max_item_num, ...)") +
                        ": is this a vwm_rnn config.yaml? (an rnnjit spec is given without "
                        "--vwm-config)");
  return c;
}

std::vector<std::string> ignored_key_notes(const VwmConfig& c) {
  std::vector<std::string> out;
  for (const IgnoredKey& k : c.ignored)
    out.push_back(k.loc.str() + ": note: ignoring '" + k.path + "' (" + k.reason + ")");
  return out;
}

std::string model_name(const VwmConfig& c) {
  return c.rnn_name + "_n" + std::to_string(c.num_neurons) + "item" +
         std::to_string(c.max_item_num) + "PI" + (c.positive_input ? "1" : "0") +
         c.spike_noise_type.substr(0, 5) + c.spike_noise_factor_text +
         std::string(name(c.error_def));
}

ModelSpec to_model_spec(const VwmConfig& c) {
  ModelSpec s;
  s.version = 1;
  s.name = "vwm";
  s.path = c.path;
  s.neurons = c.num_neurons;
  if (c.saturation_firing_rate > 0) {
    s.activation.kind = ir::Activation::Saturating;
    s.activation.rate = c.saturation_firing_rate;
  } else {
    s.activation.kind = ir::Activation::PowerLaw;
  }
  s.leak.per_neuron = true;
  s.leak.dt = c.dt;
  s.leak.tau_min = c.tau_min;
  s.leak.tau_max = c.tau_max;
  s.leak.learn_tau = false;
  s.leak.loc = c.loc("model_params.tau_min");
  if (c.tau_min < c.dt)
    throw SpecError(c.loc("model_params.tau_min"),
                    "field 'model_params.tau_min' (" + python_float_repr(c.tau_min) +
                        " ms) must be at least dt (" + python_float_repr(c.dt) +
                        " ms) so that alpha = dt / tau <= 1");

  s.inputs.push_back({kInputName, c.input_channels(), c.loc("model_params.positive_input")});

  RecurrentTerm w;
  w.kind = TermKind::Dense;
  w.name = kRecurrentName;
  w.learn = true;
  w.dale = c.dales_law;
  w.excitatory = 0.5;
  w.nonnegative = c.dales_law;
  w.init = "normal";
  w.init_scale = -1;  // 1/sqrt(N), |.| when non-negative: the seed's init
  w.loc = c.loc("model_params.dales_law");
  s.recurrent.push_back(w);

  InputTerm b;
  b.name = kInputWeightName;
  b.from = kInputName;
  b.learn = true;
  b.nonnegative = c.positive_input;
  b.init = "normal";
  b.init_scale = c.positive_input ? 2.0 : 10.0;
  b.loc = c.loc("model_params.positive_input");
  s.input_terms.push_back(b);

  const SourceLoc nl = c.loc("model_params.spike_noise_type");
  if (c.spike_noise_factor == 0) {
    s.noise.kind = ir::Noise::None;
  } else if (c.spike_noise_type == "gamma") {
    s.noise.kind = ir::Noise::Gamma;
  } else if (c.spike_noise_type == "gauss" || c.spike_noise_type == "gaussian" ||
             c.spike_noise_type == "normal") {
    s.noise.kind = ir::Noise::Gauss;
  } else if (c.spike_noise_type == "puregauss") {
    s.noise.kind = ir::Noise::PureGauss;
  } else {
    throw SpecError(
        nl,
        "field 'model_params.spike_noise_type' must be gamma, gauss or puregauss "
        "for rnnjit, got '" +
            c.spike_noise_type + "'" +
            (c.spike_noise_type == "csnr" ? " (the seed's csnr noise is not supported)" : ""));
  }
  s.noise.factor = s.noise.kind == ir::Noise::None ? 0.0 : c.spike_noise_factor;
  s.noise.loc = nl;
  s.precision = "fp32";
  return s;
}

}  // namespace rnnjit::vwm
