// End-to-end tests of VWM training and analysis through the rnnjit binary: a vwm_rnn config.yaml
// read unchanged (its ignored keys reported with their line), the small example, resume, and
// rnnjit analyze on the run that was just trained.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/cli/run_cli.hpp"

namespace fs = std::filesystem;

namespace {

using Result = rnnjit::test::CliResult;

Result run(const std::string& args) {
  return rnnjit::test::run_rnnjit(args);
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream f(p);
  return nlohmann::json::parse(f);
}

class CliVwm : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("rnnjit_cli_vwm_" + std::to_string(rd()));
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  fs::path dir;
};

// A seed-style config (sections, quoted strings, a key rnnjit ignores) at a tiny size.
const char* kTinyConfig =
    "model_params:\n"
    "  max_item_num: 2\n"
    "  item_num: [1, 2]\n"
    "  num_neurons: 12\n"
    "  spike_noise_type: \"gamma\"\n"
    "  T_stimi: 60\n"
    "  T_delay: 60\n"
    "  T_decode: 40\n"
    "training_params:\n"
    "  use_scripted_model: false\n"
    "  num_iterations: 4\n"
    "  num_trials: 8\n"
    "  logging_period: 2\n"
    "  eta: 0.001\n"
    "model_and_logging_params:\n"
    "  rnn_name: \"Tiny\"\n";

TEST_F(CliVwm, SeedConfigTrainsResumesAndIsAnalysed) {
  const std::string cfg = path("config.yaml"), out = path("run");
  std::ofstream(cfg) << kTinyConfig;
  Result r = run("train --vwm-config " + cfg + " --out " + out + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  // The ignored key is named with its line (10: use_scripted_model).
  EXPECT_NE(r.output.find("config.yaml:10:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("use_scripted_model"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Tiny_n12item2PI1gamma0.05rad"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("set size 2"), std::string::npos) << r.output;
  for (const char* f : {"metrics.csv", "summary.json", "config.json"})
    EXPECT_TRUE(fs::exists(fs::path(out) / f)) << f;
  nlohmann::json s = read_json(fs::path(out) / "summary.json");
  EXPECT_EQ(s["steps"], 4);
  EXPECT_EQ(s["neurons"], 12);

  // Resume to 6 iterations: the summary says where it started.
  r = run("train --vwm-config " + cfg + " --out " + out + " --resume --steps 6 --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  s = read_json(fs::path(out) / "summary.json");
  EXPECT_EQ(s["start_step"], 4);
  EXPECT_EQ(s["steps"], 6);

  r = run("analyze " + out + " --what errors,snr --trials 20");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json e = read_json(fs::path(out) / "analysis" / "errors.json");
  ASSERT_EQ(e["set_sizes"].size(), 2u);
  EXPECT_EQ(e["step"], 6);
  EXPECT_TRUE(fs::exists(fs::path(out) / "analysis" / "snr.json"));
}

// The seed's analysis switches run the analyses after training; train_rnn: false runs only them.
TEST_F(CliVwm, SeedAnalysisSwitchesRunTheAnalyses) {
  const std::string cfg = path("config.yaml"), out = path("run");
  std::ofstream(cfg) << kTinyConfig << "  error_dist_bool: true\n  snr_analy_bool: true\n";
  Result r = run("train --vwm-config " + cfg + " --out " + out + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(fs::path(out) / "analysis" / "errors.json")) << r.output;
  EXPECT_TRUE(fs::exists(fs::path(out) / "analysis" / "snr.json")) << r.output;
  EXPECT_FALSE(fs::exists(fs::path(out) / "analysis" / "fixed_points.json"));

  fs::remove_all(fs::path(out) / "analysis");
  const std::string cfg2 = path("analyse_only.yaml");
  std::string text = std::string(kTinyConfig) + "  snr_analy_bool: true\n";
  text.replace(text.find("training_params:\n"), 17, "training_params:\n  train_rnn: false\n");
  std::ofstream(cfg2) << text;
  r = run("train --vwm-config " + cfg2 + " --out " + out + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(fs::path(out) / "analysis" / "snr.json")) << r.output;
  EXPECT_EQ(r.output.find("iterations in"), std::string::npos) << "trained: " << r.output;

  // train_rnn: false and nothing to analyse is a usage error.
  std::string none = std::string(kTinyConfig);
  none.replace(none.find("training_params:\n"), 17, "training_params:\n  train_rnn: false\n");
  std::ofstream(path("none.yaml")) << none;
  r = run("train --vwm-config " + path("none.yaml") + " --out " + out + " --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
}

TEST_F(CliVwm, SmallExampleRunsAndBadUsageExitsTwo) {
  const std::string small = std::string(RNNJIT_SOURCE_DIR) + "/examples/vwm_small.yaml";
  Result r = run("train " + small + " --steps 2 --out " + path("small") + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("SmallTask_n64item4PI1gamma0.05rad"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("set size 4"), std::string::npos) << r.output;

  r = run("train " + small + " --vwm-config " + small);
  EXPECT_EQ(r.code, 2) << r.output;
  r = run("analyze " + path("no_such_run"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no_such_run"), std::string::npos) << r.output;
}

}  // namespace
