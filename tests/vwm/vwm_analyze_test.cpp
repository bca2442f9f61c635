// `rnnjit analyze` on a tiny trained VWM run (N=12, M=2, set sizes {1,2}, 16 steps, 3 iterations):
// the config round-trips through config.json, each analysis writes its files with finite numbers
// for the right set sizes, the fixed-point report is self-consistent, and the CLI checks its input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/params.hpp"
#include "runtime/vwm/analysis/analyze_run.hpp"
#include "runtime/vwm/vwm_config_io.hpp"
#include "runtime/vwm/vwm_trainer.hpp"
#include "tests/cli/run_cli.hpp"

namespace rnnjit::vwm {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  std::random_device rd;
  const fs::path p =
      fs::temp_directory_path() / ("rnnjit_vwm_analyze_" + name + "_" + std::to_string(rd()));
  fs::remove_all(p);
  return p.string();
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

VwmConfig tiny_config() {
  VwmConfig c = parse_vwm_config_string(
      "model_params: {max_item_num: 2, item_num: [1, 2], num_neurons: 12, T_init: 20,"
      " T_stimi: 40, T_delay: 60, T_decode: 40}\n"
      "training_params: {num_trials: 16, num_iterations: 3, eta: 0.01, logging_period: 3}\n");
  c.fpf_trials = 3;
  c.fpf_N_init = 4;
  c.fpf_noise_scale = 0.01;
  c.fpf_hps.max_iters = 300;
  c.fpf_hps.outlier_distance_scale = 0;  // keep every converged state
  return c;
}

class VwmAnalyze : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fresh_dir("run");
    VwmTrainOptions o;
    o.out_dir = dir;
    o.seed = std::random_device{}();  // fresh every run; printed so a failure can be repeated
    std::printf("VwmAnalyze: training seed %llu\n", static_cast<unsigned long long>(o.seed));
    o.progress = false;
    o.figures = false;
    train_vwm(tiny_config(), o);
  }
  void TearDown() override { fs::remove_all(dir); }
  AnalyzeOptions options() const {
    AnalyzeOptions a;
    a.backend = "reference";
    a.trials = 60;
    a.seed = std::random_device{}();
    std::printf("VwmAnalyze: analysis seed %llu\n", static_cast<unsigned long long>(a.seed));
    a.loss_threads = 1;
    return a;
  }
  std::string dir;
};

// The fixed-point objective q(x) = 0.5 |x - f(x)|^2 and its gradient d - J^T d (d = x - f(x)),
// built from the cell's step and hand-written VJP, against central differences in float64 on fresh
// random rates and parameters, for the saturating and the power-law activation, with Dale's law.
TEST(FixedPointObjective, GradientMatchesFiniteDifferences) {
  for (const char* rate : {"60", "0"}) {  // saturation_firing_rate <= 0 selects the power law
    VwmConfig c = parse_vwm_config_string(
        std::string("model_params: {max_item_num: 2, item_num: [1, 2], num_neurons: 9, "
                    "saturation_firing_rate: ") +
        rate + "}\n");
    ModelSpec spec = to_model_spec(c);
    spec.noise.kind = ir::Noise::None;
    spec.noise.factor = 0.0;
    const ir::Module m = compile_module(spec);
    std::mt19937_64 rng(rate[0] == '6' ? 17 : 29);
    TensorMap params = init_params(spec, m, rng());
    // Larger recurrent weights than the init so that J is far from (1 - alpha) I.
    for (double& w : params.at(kRecurrentName).span<double>()) w *= 8.0;
    ExecutorConfig cfg;
    cfg.backend = "reference";
    auto exec = make_executor(m, cfg);
    const int64_t n = c.num_neurons;
    const FixedPointCallbacks f = detail::cell_step_callbacks(*exec, params, n, c.input_channels());
    std::uniform_real_distribution<double> rates(5.0, 40.0);
    std::vector<double> x(static_cast<size_t>(n));
    for (double& v : x) v = rates(rng);
    auto q = [&](const std::vector<double>& at) {
      std::vector<double> fx;
      f.step(at, 1, fx);
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += 0.5 * std::pow(at[i] - fx[i], 2);
      return s;
    };
    std::vector<double> fx, jtd;
    f.step(x, 1, fx);
    std::vector<double> d(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) d[i] = x[i] - fx[i];
    f.vjp(x, d, 1, jtd);
    double worst = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double h = 1e-5 * std::max(1.0, std::abs(x[i]));
      std::vector<double> xp = x, xm = x;
      xp[i] += h;
      xm[i] -= h;
      const double fd = (q(xp) - q(xm)) / (2 * h), analytic = d[i] - jtd[i];
      worst = std::max(worst, std::abs(fd - analytic) / std::max(1.0, std::abs(fd)));
    }
    EXPECT_LT(worst, 1e-6) << "rate " << rate;
    EXPECT_GT(q(x), 1e-3) << "a random state is not a fixed point";
  }
}

TEST(VwmConfigJson, RoundTripsEveryNonDefaultSetting) {
  VwmConfig c;
  c.max_item_num = 7;
  c.item_num = {2, 5, 7};
  c.num_neurons = 96;
  c.dt = 5;
  c.tau_min = 25.5;
  c.tau_max = 333.25;
  c.spike_noise_factor = 0.1;
  c.spike_noise_factor_text = "0.1";
  c.spike_noise_type = "gauss";
  c.positive_input = false;
  c.input_strength = 77.125;
  c.saturation_firing_rate = 0;
  c.dales_law = false;
  c.ILC_noise = 0.1 + 0.2;  // not exactly representable: round trip must keep every bit
  c.T_init = 30;
  c.T_stimi = 410;
  c.T_delay = 990;
  c.T_decode = 220;
  c.train_rnn = false;
  c.load_history = true;
  c.num_iterations = 1234567;
  c.error_def = ErrorDef::SqrtL2;
  c.eta = 3.3e-5;
  c.lambda_reg = 2e-7;
  c.lambda_err = 0.75;
  c.num_trials = 128;
  c.logging_period = 7;
  c.early_stop_patience = 11;
  c.adaptive_lr_patience = 13;
  c.rnn_name = "Hard \"Task\" 9";
  c.plot_weights_bool = c.error_dist_bool = c.fit_mixture_bool = c.snr_analy_bool = true;
  c.fpf_bool = true;
  c.fpf_pca_bool = false;
  c.fpf_names = {"a", "b b", "c"};
  c.fpf_trials = 3;
  c.fpf_N_init = 9;
  c.fpf_noise_scale = 0.125;
  c.fpf_hps.max_iters = 777;
  c.fpf_hps.lr_init = 0.5;
  c.fpf_hps.outlier_distance_scale = 3.5;
  c.fpf_hps.verbose = c.fpf_hps.super_verbose = true;

  const std::string d = fresh_dir("cfg");
  fs::create_directories(d);
  save_vwm_config_json(d + "/config.json", c);
  const VwmConfig r = load_vwm_config_json(d + "/config.json");
  EXPECT_EQ(r.max_item_num, c.max_item_num);
  EXPECT_EQ(r.item_num, c.item_num);
  EXPECT_EQ(r.num_neurons, c.num_neurons);
  EXPECT_EQ(r.dt, c.dt);
  EXPECT_EQ(r.tau_min, c.tau_min);
  EXPECT_EQ(r.tau_max, c.tau_max);
  EXPECT_EQ(r.spike_noise_factor, c.spike_noise_factor);
  EXPECT_EQ(r.spike_noise_factor_text, c.spike_noise_factor_text);
  EXPECT_EQ(r.spike_noise_type, c.spike_noise_type);
  EXPECT_EQ(r.positive_input, c.positive_input);
  EXPECT_EQ(r.input_strength, c.input_strength);
  EXPECT_EQ(r.saturation_firing_rate, c.saturation_firing_rate);
  EXPECT_EQ(r.dales_law, c.dales_law);
  EXPECT_EQ(r.ILC_noise, c.ILC_noise);
  EXPECT_EQ(r.T_init, c.T_init);
  EXPECT_EQ(r.T_stimi, c.T_stimi);
  EXPECT_EQ(r.T_delay, c.T_delay);
  EXPECT_EQ(r.T_decode, c.T_decode);
  EXPECT_EQ(r.train_rnn, c.train_rnn);
  EXPECT_EQ(r.load_history, c.load_history);
  EXPECT_EQ(r.num_iterations, c.num_iterations);
  EXPECT_EQ(r.error_def, c.error_def);
  EXPECT_EQ(r.eta, c.eta);
  EXPECT_EQ(r.lambda_reg, c.lambda_reg);
  EXPECT_EQ(r.lambda_err, c.lambda_err);
  EXPECT_EQ(r.num_trials, c.num_trials);
  EXPECT_EQ(r.logging_period, c.logging_period);
  EXPECT_EQ(r.early_stop_patience, c.early_stop_patience);
  EXPECT_EQ(r.adaptive_lr_patience, c.adaptive_lr_patience);
  EXPECT_EQ(r.rnn_name, c.rnn_name);
  EXPECT_EQ(r.plot_weights_bool, c.plot_weights_bool);
  EXPECT_EQ(r.error_dist_bool, c.error_dist_bool);
  EXPECT_EQ(r.fit_mixture_bool, c.fit_mixture_bool);
  EXPECT_EQ(r.snr_analy_bool, c.snr_analy_bool);
  EXPECT_EQ(r.fpf_bool, c.fpf_bool);
  EXPECT_EQ(r.fpf_pca_bool, c.fpf_pca_bool);
  EXPECT_EQ(r.fpf_names, c.fpf_names);
  EXPECT_EQ(r.fpf_trials, c.fpf_trials);
  EXPECT_EQ(r.fpf_N_init, c.fpf_N_init);
  EXPECT_EQ(r.fpf_noise_scale, c.fpf_noise_scale);
  EXPECT_EQ(r.fpf_hps.max_iters, c.fpf_hps.max_iters);
  EXPECT_EQ(r.fpf_hps.lr_init, c.fpf_hps.lr_init);
  EXPECT_EQ(r.fpf_hps.outlier_distance_scale, c.fpf_hps.outlier_distance_scale);
  EXPECT_EQ(r.fpf_hps.verbose, c.fpf_hps.verbose);
  EXPECT_EQ(r.fpf_hps.super_verbose, c.fpf_hps.super_verbose);
  EXPECT_EQ(model_name(r), model_name(c));
  // Every error_def survives.
  for (ErrorDef e : {ErrorDef::L2, ErrorDef::SqrtL2, ErrorDef::Rad, ErrorDef::Exp}) {
    c.error_def = e;
    EXPECT_EQ(vwm_config_from_json(vwm_config_to_json(c)).error_def, e);
  }
  fs::remove_all(d);
}

TEST(VwmConfigJson, WrongTypeAndMissingFileAreSpecErrors) {
  nlohmann::json j = vwm_config_to_json(VwmConfig{});
  j["model_params"]["num_neurons"] = "many";
  try {
    vwm_config_from_json(j, "x.json");
    FAIL() << "no error";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("model_params.num_neurons"), std::string::npos)
        << e.what();
  }
  j = vwm_config_to_json(VwmConfig{});
  j["training_params"]["error_def"] = "l3";
  EXPECT_THROW(vwm_config_from_json(j, "x.json"), SpecError);
  EXPECT_THROW(load_vwm_config_json(fresh_dir("none") + "/config.json"), SpecError);
}

// A config.json read back passes the same value and cross-field checks as a YAML config.
TEST(VwmConfigJson, ValuesAreCheckedLikeTheYamlReaderChecksThem) {
  auto rejects = [](const char* section, const char* key, nlohmann::json value) {
    nlohmann::json j = vwm_config_to_json(VwmConfig{});
    j[section][key] = value;
    try {
      vwm_config_from_json(j, "x.json");
      ADD_FAILURE() << key << " = " << value.dump() << " was accepted";
    } catch (const SpecError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  rejects("model_params", "num_neurons", 0);
  rejects("model_params", "T_decode", 0.0);
  rejects("model_params", "tau_max", 10.0);                             // below tau_min
  rejects("model_params", "item_num", nlohmann::json::array({1, 11}));  // above max_item_num
  rejects("training_params", "num_trials", 0);
  EXPECT_NO_THROW(vwm_config_from_json(vwm_config_to_json(VwmConfig{}), "x.json"));
}

TEST_F(VwmAnalyze, TrainerWritesTheConfigAndLoadRunReadsIt) {
  ASSERT_TRUE(fs::exists(dir + "/config.json"));
  const LoadedRun run = load_run(dir);
  EXPECT_EQ(run.config.num_neurons, 12);
  EXPECT_EQ(run.config.item_num, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(run.config.fpf_N_init, 4);
  EXPECT_EQ(run.step, 3);
  ASSERT_TRUE(run.params.count("W") && run.params.count("B") && run.params.count("F"));
  EXPECT_EQ(run.params.at("F").shape(), (std::vector<int64_t>{4, 12}));
  EXPECT_THROW(load_run(dir + "/missing"), SpecError);
  EXPECT_THROW(load_run(dir, "checkpoint-99.safetensors"), std::runtime_error);
  EXPECT_EQ(load_run(dir, run.checkpoint).step, 3);                                // a path
  EXPECT_EQ(load_run(dir, fs::path(run.checkpoint).filename().string()).step, 3);  // in the run
  EXPECT_EQ(load_run(dir, "3").step, 3);                                           // a step
  EXPECT_THROW(load_run(dir, "4"), std::runtime_error);
}

// The CUDA backend runs spike noise: auto picks it for a noisy cell when there is a device, and an
// explicit cuda is passed through (make_executor reports a missing device).
TEST(VwmAnalyzeBackend, DefaultsPickCudaForNoiseWhenThereIsADevice) {
  const std::string noisy = cuda_device_available() ? "cuda"
                            : have_llvm_backend()   ? "cpu"
                                                    : "reference";
  EXPECT_EQ(analysis_backend("", false), noisy);
  EXPECT_EQ(analysis_backend("auto", false), noisy);
  EXPECT_EQ(analysis_backend("", true), "reference");
  EXPECT_EQ(analysis_backend("cpu", true), "cpu");
  EXPECT_EQ(analysis_backend("cuda", false), "cuda");
  EXPECT_THROW(analysis_backend("cuda", true), std::invalid_argument);
}

TEST_F(VwmAnalyze, ErrorsPerSetSize) {
  AnalyzeOptions a = options();
  const ErrorAnalysis e = analyze_errors(load_run(dir), a);
  ASSERT_EQ(e.groups.size(), 2u);
  for (size_t g = 0; g < 2; ++g) {
    const ErrorGroup& x = e.groups[g];
    EXPECT_EQ(x.set_size, static_cast<int64_t>(g + 1));
    // Every trial of set size k has k present items.
    EXPECT_EQ(x.errors.size(), static_cast<size_t>(a.trials * x.set_size));
    for (double v : x.errors) {
      EXPECT_GE(v, -M_PI);
      EXPECT_LT(v, M_PI);
    }
    EXPECT_TRUE(std::isfinite(x.mean_abs_error));
    EXPECT_GT(x.mean_abs_error, 0);
    EXPECT_TRUE(std::isfinite(x.stats.variance));
    EXPECT_GE(x.stats.variance, 0);
    EXPECT_LE(x.stats.variance, 1);
    for (const MixtureFit* f : {&x.von_mises, &x.gaussian}) {
      EXPECT_GE(f->weight, 0);
      EXPECT_LE(f->weight, 1);
      EXPECT_TRUE(std::isfinite(f->log_likelihood));
    }
  }
  const nlohmann::json j = read_json(dir + "/analysis/errors.json");
  ASSERT_EQ(j["set_sizes"].size(), 2u);
  EXPECT_EQ(j["set_sizes"][1]["set_size"], 2);
  EXPECT_EQ(j["set_sizes"][1]["errors"], 2 * a.trials);
  EXPECT_TRUE(j["set_sizes"][0]["von_mises_uniform"]["weight"].is_number());
  EXPECT_TRUE(j["set_sizes"][0]["circular"]["variance"].is_number());
  EXPECT_EQ(j["backend"], "reference");
  EXPECT_GT(fs::file_size(dir + "/analysis/error_hist.png"), 1000u);
  // Deterministic in the seed.
  a.out_dir = dir + "/again";
  EXPECT_EQ(analyze_errors(load_run(dir), a).groups[1].errors, e.groups[1].errors);
}

TEST_F(VwmAnalyze, SnrPerSetSize) {
  AnalyzeOptions a = options();
  a.out_dir = dir + "/elsewhere";
  const SnrAnalysis s = analyze_snr(load_run(dir), a);
  ASSERT_EQ(s.results.size(), 2u);
  for (size_t g = 0; g < 2; ++g) {
    EXPECT_EQ(s.results[g].set_size, static_cast<int64_t>(g + 1));
    EXPECT_TRUE(std::isfinite(s.results[g].snr_db)) << g;
    EXPECT_TRUE(std::isfinite(s.results[g].snr_avg_db)) << g;
    EXPECT_GT(s.results[g].noise_power, 0);
    EXPECT_NEAR(s.results[g].snr_db, 10 * std::log10(s.results[g].snr), 1e-9);
  }
  const nlohmann::json j = read_json(dir + "/elsewhere/snr.json");
  ASSERT_EQ(j["set_sizes"].size(), 2u);
  EXPECT_EQ(j["set_sizes"][0]["set_size"], 1);
  EXPECT_DOUBLE_EQ(j["set_sizes"][1]["snr"].get<double>(), s.results[1].snr);
  EXPECT_GT(fs::file_size(dir + "/elsewhere/snr_vs_set_size.png"), 1000u);
  EXPECT_FALSE(fs::exists(dir + "/analysis"));
}

TEST_F(VwmAnalyze, FixedPointsAreConsistent) {
  const LoadedRun run = load_run(dir);
  const FixedPointAnalysis f = analyze_fixed_points(run, options());
  const FixedPointReport& r = f.report;
  EXPECT_EQ(f.backend, "reference");
  EXPECT_EQ(f.initial_states, 3 * 4);
  EXPECT_EQ(f.options.max_iters, 300);
  ASSERT_EQ(r.final_q.size(), 12u);
  int64_t above = 0;
  for (double q : r.final_q) {
    EXPECT_TRUE(std::isfinite(q));
    above += q < f.options.q_tol ? 0 : 1;
  }
  EXPECT_EQ(r.unconverged, above);
  EXPECT_EQ(static_cast<int64_t>(r.points.size()) + r.duplicates + r.outliers + r.unconverged, 12);
  EXPECT_EQ(r.outliers, 0);  // the test config keeps everything (outlier_distance_scale 0)
  if (r.unconverged == 12) {
    // An untrained net can trap every state at a slow point (a local minimum of q > 0): then the
    // report must say so, and no point is returned.
    EXPECT_TRUE(r.points.empty());
  } else {
    ASSERT_GE(r.points.size(), 1u);
  }
  // Each point is a fixed point of the cell, checked here with an executor of our own: one
  // noise-free step from x with zero input returns x (q = 0.5 |x - f(x)|^2 as reported).
  ModelSpec spec = to_model_spec(run.config);
  spec.noise.kind = ir::Noise::None;
  const ir::Module m = compile_module(spec);
  ExecutorConfig ec;
  ec.backend = "reference";
  auto exec = make_executor(m, ec);
  TensorMap params;
  for (const char* name : {"W", "B", "tau"}) params[name] = run.params.at(name);
  int64_t hits = 0;
  for (const FixedPoint& p : r.points) {
    EXPECT_LT(p.q, 1e-12);
    TensorMap in;
    in["r0"] = Tensor::f64({1, 12}, p.x);
    in[kInputName] = Tensor(DType::F64, {1, 1, run.config.input_channels()});
    const Tensor fx = exec->forward(params, in, RunOptions{});
    double q = 0;
    for (int64_t i = 0; i < 12; ++i) q += 0.5 * std::pow(p.x[i] - fx.at_f64(i), 2);
    EXPECT_NEAR(q, p.q, 1e-13);
    EXPECT_EQ(p.eigenvalues.size(), 12u);
    EXPECT_EQ(p.stable, p.spectral_radius < 1);
    EXPECT_DOUBLE_EQ(p.spectral_radius, std::abs(p.eigenvalues.front()));
    hits += p.hits;
  }
  EXPECT_EQ(hits, 12 - r.unconverged - r.outliers);
  const nlohmann::json j = read_json(dir + "/analysis/fixed_points.json");
  EXPECT_EQ(j["points"].size(), r.points.size());
  EXPECT_EQ(j["unconverged"], r.unconverged);
  EXPECT_EQ(j["final_q"].size(), 12u);
  EXPECT_GT(fs::file_size(dir + "/analysis/fixed_points_pca.png"), 1000u);
  if (r.points.empty()) return;
  EXPECT_EQ(j["points"][0]["x"].size(), 12u);
  EXPECT_LE(j["points"][0]["top_eigenvalues"].size(), 10u);
  EXPECT_EQ(j["points"][0]["stable"], r.points[0].stable);
}

using Result = rnnjit::test::CliResult;

Result run_cli(const std::string& args) {
  return rnnjit::test::run_rnnjit(args);
}

TEST(VwmAnalyzeCli, MissingRunDirExitsWithTwoNamingIt) {
  const std::string missing = fresh_dir("missing");
  const Result r = run_cli("analyze " + missing);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(missing), std::string::npos) << r.output;
}

TEST_F(VwmAnalyze, CliWritesTheRequestedAnalyses) {
  Result r = run_cli("analyze " + dir + " --what errors,snr --trials 20 --backend reference");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("set size  2"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir + "/analysis/errors.json"));
  EXPECT_TRUE(fs::exists(dir + "/analysis/snr.json"));
  EXPECT_FALSE(fs::exists(dir + "/analysis/fixed_points.json"));
  r = run_cli("analyze " + dir + " --what nonsense");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("nonsense"), std::string::npos) << r.output;
  fs::remove(dir + "/config.json");
  r = run_cli("analyze " + dir + " --what snr");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("config.json"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace rnnjit::vwm
