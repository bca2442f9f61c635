// vwm_rnn config.yaml reading: defaults, ignored keys, errors with locations, the model name and
// the cell spec it builds.
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/lower.hpp"
#include "runtime/vwm/vwm_config.hpp"

namespace rnnjit::vwm {
namespace {

bool has_ignored(const VwmConfig& c, const std::string& path) {
  return std::any_of(c.ignored.begin(), c.ignored.end(),
                     [&](const IgnoredKey& k) { return k.path == path; });
}

TEST(VwmConfig, EmptyDocumentGivesTheSeedDefaults) {
  const VwmConfig c = parse_vwm_config_string("");
  EXPECT_EQ(c.max_item_num, 10);
  EXPECT_EQ(c.item_num, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(c.num_neurons, 256);
  EXPECT_EQ(c.dt, 10);
  EXPECT_EQ(c.tau_min, 50);
  EXPECT_EQ(c.tau_max, 300);
  EXPECT_EQ(c.spike_noise_factor, 0.05);
  EXPECT_EQ(c.spike_noise_type, "gamma");
  EXPECT_TRUE(c.positive_input);
  EXPECT_EQ(c.input_strength, 120);
  EXPECT_EQ(c.saturation_firing_rate, 60);
  EXPECT_TRUE(c.dales_law);
  EXPECT_EQ(c.ILC_noise, 0.01);
  EXPECT_EQ(c.T_init, 20);
  EXPECT_EQ(c.T_stimi, 500);
  EXPECT_EQ(c.T_delay, 1000);
  EXPECT_EQ(c.T_decode, 500);
  EXPECT_EQ(c.num_iterations, 50000);
  EXPECT_EQ(c.error_def, ErrorDef::Rad);
  EXPECT_EQ(c.eta, 1e-4);
  EXPECT_EQ(c.lambda_reg, 1e-5);
  EXPECT_EQ(c.lambda_err, 1.0);
  EXPECT_EQ(c.num_trials, 512);
  EXPECT_EQ(c.logging_period, 50);
  EXPECT_EQ(c.early_stop_patience, 600);
  EXPECT_EQ(c.adaptive_lr_patience, 400);
  EXPECT_EQ(c.rnn_name, "EasyTask1");
  EXPECT_FALSE(c.fpf_bool);
  EXPECT_TRUE(c.fpf_pca_bool);
  EXPECT_EQ(c.fpf_trials, 20);
  EXPECT_EQ(c.fpf_N_init, 20);
  EXPECT_EQ(c.fpf_hps.max_iters, 50);
  EXPECT_EQ(c.fpf_hps.lr_init, 0.01);
  EXPECT_EQ(c.fpf_hps.outlier_distance_scale, 10.0);
  EXPECT_TRUE(c.ignored.empty());
  EXPECT_EQ(c.defaulted.size(), 40u);  // every documented key
}

TEST(VwmConfig, ExampleFileReadsUnchangedAndMatchesTheDefaults) {
  const VwmConfig c = load_vwm_config(std::string(RNNJIT_SOURCE_DIR) + "/examples/vwm_config.yaml");
  EXPECT_TRUE(c.defaulted.empty()) << c.defaulted.front();
  EXPECT_EQ(model_name(c), "EasyTask1_n256item10PI1gamma0.05rad");
  EXPECT_EQ(c.num_neurons, 256);
  EXPECT_EQ(c.fpf_names, (std::vector<std::string>{"fpf_NoFps", "fpf_decode"}));
  EXPECT_TRUE(has_ignored(c, "training_params.use_scripted_model"));
  EXPECT_TRUE(has_ignored(c, "model_and_logging_params.cuda_device"));
  EXPECT_TRUE(has_ignored(c, "model_and_logging_params.mixed_selec_bool"));
}

TEST(VwmConfig, IgnoredKeysAreListedWithTheirLines) {
  const VwmConfig c = parse_vwm_config_string(
      "model_params:\n"
      "  num_neurons: 64\n"
      "  use_gpu: 0\n"
      "training_params:\n"
      "  use_scripted_model: false\n"
      "  bogus_key: 3\n"
      "model_and_logging_params:\n"
      "  cuda_device: 1\n"
      "  mixed_selec_bool: true\n"
      "extra_section: {a: 1}\n",
      "cfg.yaml");
  ASSERT_EQ(c.ignored.size(), 6u);
  EXPECT_EQ(c.ignored[0].path, "model_params.use_gpu");
  EXPECT_EQ(c.ignored[0].loc.line, 3);
  EXPECT_EQ(c.ignored[1].path, "training_params.use_scripted_model");
  EXPECT_EQ(c.ignored[2].path, "training_params.bogus_key");
  EXPECT_EQ(c.ignored[2].reason, "unknown key");
  EXPECT_EQ(c.ignored[3].path, "model_and_logging_params.cuda_device");
  EXPECT_EQ(c.ignored[4].path, "model_and_logging_params.mixed_selec_bool");
  EXPECT_EQ(c.ignored[5].path, "extra_section");
  EXPECT_EQ(c.ignored[5].reason, "unknown section");
  EXPECT_EQ(c.ignored[5].loc.line, 10);
  const auto notes = ignored_key_notes(c);
  ASSERT_EQ(notes.size(), 6u);
  EXPECT_EQ(
      notes[1].rfind("cfg.yaml:5:3: note: ignoring 'training_params.use_scripted_model' (", 0), 0u)
      << notes[1];
  EXPECT_EQ(c.num_neurons, 64);
  // Documented keys that were not written take the defaults, and are listed as such.
  EXPECT_EQ(c.num_trials, 512);
  EXPECT_NE(std::find(c.defaulted.begin(), c.defaulted.end(), "training_params.num_trials"),
            c.defaulted.end());
}

TEST(VwmConfig, BadValuesNameFileLineColumnAndField) {
  try {
    parse_vwm_config_string("model_params:\n  num_neurons: many\n", "cfg.yaml");
    FAIL() << "no error";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.loc().line, 2);
    EXPECT_EQ(e.loc().column, 16);
    EXPECT_NE(std::string(e.what()).find("cfg.yaml:2:16"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model_params.num_neurons"), std::string::npos);
  }
  try {
    parse_vwm_config_string("training_params:\n  error_def: rads\n", "cfg.yaml");
    FAIL() << "no error";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.loc().line, 2);
    EXPECT_NE(std::string(e.what()).find("l2, sqrtl2, rad, exp"), std::string::npos);
  }
  try {
    parse_vwm_config_string("model_params:\n  max_item_num: 3\n  item_num: [1, 4]\n", "c.yaml");
    FAIL() << "no error";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.loc().line, 3);
  }
  EXPECT_THROW(parse_vwm_config_string("model_params: [1, 2]\n"), SpecError);
  EXPECT_THROW(parse_vwm_config_string("model_params:\n  T_decode: 5\n"), SpecError);
  EXPECT_THROW(parse_vwm_config_string("model_params: {a: [}\n"), SpecError);
  EXPECT_THROW(load_vwm_config("/nonexistent/config.yaml"), SpecError);
}

TEST(VwmConfig, ModelNameFollowsTheSeedsFormat) {
  VwmConfig c = parse_vwm_config_string(
      "model_params: {num_neurons: 64, max_item_num: 4, item_num: [1, 4], positive_input: false,"
      " spike_noise_type: Gauss, spike_noise_factor: 0.1}\n"
      "training_params: {error_def: l2}\n"
      "model_and_logging_params: {rnn_name: Small}\n");
  EXPECT_EQ(model_name(c), "Small_n64item4PI0gauss0.1l2");
  c = parse_vwm_config_string(
      "model_params: {spike_noise_type: puregauss, spike_noise_factor: 1}\n");
  EXPECT_EQ(model_name(c), "EasyTask1_n256item10PI1pureg1rad");  // type[:5]
  c = parse_vwm_config_string("model_params: {spike_noise_factor: 1.0}\n");
  EXPECT_EQ(model_name(c), "EasyTask1_n256item10PI1gamma1.0rad");
  EXPECT_EQ(python_float_repr(0.05), "0.05");
  EXPECT_EQ(python_float_repr(1e-5), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(2.5e16), "2.5e+16");
  EXPECT_EQ(python_float_repr(123.0), "123.0");
  EXPECT_EQ(python_float_repr(0.3), "0.3");
}

TEST(VwmConfig, ToModelSpecMatchesTheExampleSpecAndLowers) {
  const VwmConfig c = parse_vwm_config_string("");
  const ModelSpec s = to_model_spec(c);
  const ModelSpec ref = parse_spec_file(std::string(RNNJIT_SOURCE_DIR) + "/examples/vwm.yaml");
  EXPECT_EQ(s.neurons, ref.neurons);
  EXPECT_EQ(s.activation.kind, ref.activation.kind);
  EXPECT_EQ(s.activation.rate, ref.activation.rate);
  EXPECT_EQ(s.leak.per_neuron, ref.leak.per_neuron);
  EXPECT_EQ(s.leak.dt, ref.leak.dt);
  EXPECT_EQ(s.leak.tau_min, ref.leak.tau_min);
  EXPECT_EQ(s.leak.tau_max, ref.leak.tau_max);
  ASSERT_EQ(s.inputs.size(), 1u);
  EXPECT_EQ(s.inputs[0].size, 30);
  ASSERT_EQ(s.recurrent.size(), 1u);
  EXPECT_TRUE(s.recurrent[0].dale);
  EXPECT_TRUE(s.recurrent[0].nonnegative);
  EXPECT_EQ(s.recurrent[0].excitatory, 0.5);
  ASSERT_EQ(s.input_terms.size(), 1u);
  EXPECT_TRUE(s.input_terms[0].nonnegative);
  EXPECT_EQ(s.noise.kind, ir::Noise::Gamma);
  EXPECT_EQ(s.noise.factor, 0.05);
  EXPECT_NO_THROW(compile_module(s));

  // Power law when S <= 0; cos/sin input without positive_input; no noise at factor 0.
  const VwmConfig c2 = parse_vwm_config_string(
      "model_params: {saturation_firing_rate: 0, positive_input: false, spike_noise_factor: 0,"
      " dales_law: false, max_item_num: 3, item_num: [1, 2, 3]}\n");
  const ModelSpec s2 = to_model_spec(c2);
  EXPECT_EQ(s2.activation.kind, ir::Activation::PowerLaw);
  EXPECT_EQ(s2.inputs[0].size, 6);
  EXPECT_FALSE(s2.input_terms[0].nonnegative);
  EXPECT_FALSE(s2.recurrent[0].dale);
  EXPECT_EQ(s2.noise.kind, ir::Noise::None);
  EXPECT_NO_THROW(compile_module(s2));

  try {
    to_model_spec(parse_vwm_config_string("model_params:\n  spike_noise_type: csnr\n", "x.yaml"));
    FAIL() << "no error";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.loc().line, 2);
    EXPECT_NE(std::string(e.what()).find("csnr"), std::string::npos);
  }
  EXPECT_THROW(to_model_spec(parse_vwm_config_string("model_params: {tau_min: 5}\n")), SpecError);
}

TEST(VwmConfig, FromTheExampleSpecEqualsTheSeedDefaults) {
  const ModelSpec spec = parse_spec_file(std::string(RNNJIT_SOURCE_DIR) + "/examples/vwm.yaml");
  const VwmConfig a = vwm_config_from_spec(spec), b = parse_vwm_config_string("");
  EXPECT_EQ(model_name(a), model_name(b));
  EXPECT_EQ(a.item_num, b.item_num);
  EXPECT_EQ(a.num_trials, b.num_trials);
  EXPECT_EQ(a.T_decode, b.T_decode);
  EXPECT_EQ(a.input_strength, b.input_strength);
  EXPECT_EQ(a.lambda_reg, b.lambda_reg);
  EXPECT_EQ(a.tau_max, b.tau_max);
  EXPECT_EQ(a.error_def, b.error_def);
  EXPECT_TRUE(a.positive_input);
  EXPECT_TRUE(a.dales_law);
  // And back: the spec built from it describes the same cell.
  const ModelSpec s2 = to_model_spec(a);
  EXPECT_EQ(s2.inputs[0].size, spec.inputs[0].size);
  EXPECT_EQ(s2.noise.factor, spec.noise.factor);

  try {
    vwm_config_from_spec(parse_spec_string(
        "version: 1\nname: v\nneurons: 4\nactivation: saturating\nleak: {dt: 10, tau: {min: 20, "
        "max: 40}}\n"
        "inputs: {u: 6}\nrecurrent: [{name: W, learn: true}]\ninput_terms: [{name: B, from: u}]\n"
        "train: {task: vwm, max_item_num: 2, num_trails: 3}\n",
        "v.yaml"));
    FAIL() << "no error";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.loc().line, 9);
    EXPECT_NE(std::string(e.what()).find("num_trails"), std::string::npos) << e.what();
  }
}

// The README's small example: the seed's cell at CPU size, consistent with itself (input width 3M,
// the trial timeline) and named as the seed would name it.
TEST(VwmConfig, SmallExampleIsTheSeedCellAtCpuSize) {
  const ModelSpec spec =
      parse_spec_file(std::string(RNNJIT_SOURCE_DIR) + "/examples/vwm_small.yaml");
  const VwmConfig c = vwm_config_from_spec(spec);
  EXPECT_EQ(c.num_neurons, 64);
  EXPECT_EQ(c.max_item_num, 4);
  EXPECT_EQ(c.item_num, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(spec.inputs[0].size, c.input_channels());
  EXPECT_TRUE(c.dales_law);
  EXPECT_TRUE(c.positive_input);
  EXPECT_EQ(c.spike_noise_type, "gamma");
  EXPECT_EQ(model_name(c), "SmallTask_n64item4PI1gamma0.05rad");
  const ModelSpec s2 = to_model_spec(c);
  EXPECT_EQ(s2.neurons, spec.neurons);
  EXPECT_EQ(s2.noise.factor, spec.noise.factor);
}

}  // namespace
}  // namespace rnnjit::vwm
