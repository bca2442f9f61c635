// The settings of a visual-working-memory run, read from a vwm_rnn config.yaml exactly as users of
// the seed have it (sections model_params, training_params, model_and_logging_params, fpf_params
// with fpf_hps), with the seed's documented defaults for anything missing (issue 6).
//
// Keys the seed reads but rnnjit has no use for (use_scripted_model, cuda_device,
// mixed_selec_bool, ...) and keys neither knows are not errors, as in the seed: they are listed in
// VwmConfig::ignored so the CLI can say which. A key with a value of the wrong type or out of range
// is a SpecError at file:line:column.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/spec.hpp"

namespace rnnjit::vwm {

enum class ErrorDef { L2, SqrtL2, Rad, Exp };
std::string_view name(ErrorDef e);  // "l2" | "sqrtl2" | "rad" | "exp"
// The ErrorDef of a name, if it is one.
std::optional<ErrorDef> parse_error_def(std::string_view s);

// One key that was read but has no effect, with why ("not used by rnnjit: ...", "unknown key").
struct IgnoredKey {
  std::string path;  // "training_params.use_scripted_model"
  SourceLoc loc;
  std::string reason;
};

struct FpfHps {  // fpf_params.fpf_hps
  int64_t max_iters = 50;
  double lr_init = 0.01;
  double outlier_distance_scale = 10.0;
  bool verbose = false;
  bool super_verbose = false;
};

struct VwmConfig {
  // ---- model_params
  int64_t max_item_num = 10;                                        // M
  std::vector<int64_t> item_num = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};  // set sizes
  int64_t num_neurons = 256;                                        // N
  double dt = 10;                                                   // ms
  double tau_min = 50, tau_max = 300;                               // ms
  double spike_noise_factor = 0.05;                                 // k
  std::string spike_noise_factor_text = "0.05";  // as Python prints it (model name)
  std::string spike_noise_type = "gamma";        // lower-cased as written
  bool positive_input = true;
  double input_strength = 120;
  double saturation_firing_rate = 60;  // S; <= 0 selects the power-law activation
  bool dales_law = true;
  double ILC_noise = 0.01;  // rad, item-location noise on the input angle
  double T_init = 20, T_stimi = 500, T_delay = 1000, T_decode = 500;  // ms

  // ---- training_params
  bool train_rnn = true;
  bool load_history = false;  // resume from the run directory
  int64_t num_iterations = 50000;
  ErrorDef error_def = ErrorDef::Rad;
  double eta = 1e-4;
  double lambda_reg = 1e-5;
  double lambda_err = 1.0;
  int64_t num_trials = 512;  // B
  int64_t logging_period = 50;
  int64_t early_stop_patience = 600;
  int64_t adaptive_lr_patience = 400;

  // ---- model_and_logging_params
  std::string rnn_name = "EasyTask1";
  bool plot_weights_bool = false;
  bool error_dist_bool = false;
  bool fit_mixture_bool = false;
  bool snr_analy_bool = false;

  // ---- fpf_params
  bool fpf_bool = false;
  bool fpf_pca_bool = true;
  std::vector<std::string> fpf_names = {"fpf_NoFps", "fpf_decode"};
  int64_t fpf_trials = 20;
  int64_t fpf_N_init = 20;
  double fpf_noise_scale = 0.0;
  FpfHps fpf_hps;

  // ---- bookkeeping
  std::string path;                       // file read ("" for the defaults)
  std::vector<IgnoredKey> ignored;        // in document order
  std::vector<IgnoredKey> refused;        // older vwm_rnn keys (parsing throws when any)
  std::vector<std::string> defaulted;     // "section.key" of every documented key that was missing
  std::map<std::string, SourceLoc> locs;  // "section.key" -> where its value was written

  // Where "section.key" was written, or just the file when it was not (a default).
  SourceLoc loc(const std::string& key_path) const;

  int64_t input_channels() const { return (positive_input ? 3 : 2) * max_item_num; }
  int64_t output_channels() const { return 2 * max_item_num; }  // (cos, sin) per item
};

// Reads a vwm_rnn config.yaml. Throws SpecError (file:line:column) for a malformed document, a bad
// value, or keys of an older vwm_rnn config that rnnjit cannot honour (tau, process_noise,
// decode_noise, num_epochs: all named); a missing file, an empty one or one with no model_params
// key is a SpecError at the path. parse_vwm_config_string takes an empty or partial document as
// the defaults (for programs and tests that build a config).
VwmConfig load_vwm_config(const std::string& path);
VwmConfig parse_vwm_config_string(const std::string& yaml,
                                  const std::string& path_for_messages = "<string>");

// One line per ignored key, for the CLI:
//   "config.yaml:5:3: note: ignoring 'training_params.use_scripted_model' (TorchScript switch;
//   ...)"
std::vector<std::string> ignored_key_notes(const VwmConfig& c);

// The same settings from an rnnjit spec (examples/vwm.yaml): the cell's fields from the spec
// (neurons, leak, activation, noise, Dale's law, input width 3M or 2M -> positive_input), the
// task and training fields from its `train:` section, whose keys are the seed's (flat) names;
// an unknown key there is an error, as everywhere in a spec. Logging and fpf fields keep the
// seed's defaults.
VwmConfig vwm_config_from_spec(const ModelSpec& spec);

// The seed's model name {rnn_name}_n{N}item{M}PI{0|1}{noise type[:5]}{k}{error_def}, with k
// printed as Python prints the YAML value (0.05 -> "0.05", 1 -> "1", 1.0 -> "1.0", 1e-5 ->
// "1e-05").
std::string model_name(const VwmConfig& c);

// Python's repr() of a float (shortest round-trip digits; fixed notation for 1e-4 <= |x| < 1e16,
// else d.ddde[+-]XX).
std::string python_float_repr(double x);

// The cell of DESIGN.md section 2 for this config: N neurons, saturating phi with rate S (power law
// if S <= 0), alpha_i = dt/tau_i with tau log-uniform in [tau_min, tau_max), one dense learned W
// (Dale's law with the first half excitatory and W >= 0 when dales_law), input term B from the
// input "stimulus" of width 3M (positive_input, B >= 0) or 2M, spike noise of the config's kind
// and factor (none when the factor is 0). Initial scales follow the seed: |N(0,1)|/sqrt(N) for W,
// |N(0,1)| * 2 for a positive B, N(0,1) * 10 otherwise. Throws SpecError at the offending key for
// what the cell cannot express (e.g. spike_noise_type csnr, tau_min < dt).
// The checks every config passes, whichever file it came from: positive sizes and rates, set
// sizes within max_item_num, tau_max > tau_min, a decode window of at least one step. Throws
// SpecError naming the field.
void validate_config(const VwmConfig& c);

ModelSpec to_model_spec(const VwmConfig& c);

// Names used in the spec and the executors' TensorMaps.
inline constexpr const char* kInputName = "stimulus";
inline constexpr const char* kRecurrentName = "W";
inline constexpr const char* kInputWeightName = "B";
inline constexpr const char* kReadoutName = "F";  // decoder [2M, N], owned by the VWM trainer

}  // namespace rnnjit::vwm
