// `rnnjit train` through its entry point, in-process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/train_ring.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit::cli {
namespace {

namespace fs = std::filesystem;

int call(std::vector<std::string> args) {
  args.insert(args.begin(), "rnnjit train");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return run_train_command(static_cast<int>(argv.size()), argv.data());
}

std::string write_spec(const std::string& dir, const std::string& train) {
  std::ifstream in(std::string(RNNJIT_SOURCE_DIR) + "/examples/ring.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  // The model part only: the example's own train: section (and its comment) is replaced.
  for (const char* cut : {"\ntrain:"})
    if (auto at = text.find(cut); at != std::string::npos) text.resize(at + 1);
  std::ofstream(dir + "/ring.yaml") << text << "train:\n" << train;
  return dir + "/ring.yaml";
}

TEST(TrainCommand, TrainsWritesSummaryAndResumes) {
  const std::string dir = train::testing::temp_dir("cli");
  const std::string spec =
      write_spec(dir, "  neurons: 16\n  batch: 4\n  seq_len: 12\n  eval_trials: 8\n");
  ASSERT_EQ(call({spec, "--backend", "reference", "--steps", "3", "--out", dir + "/run",
                  "--no-figures", "--progress", "plain"}),
            0);
  std::ifstream in(dir + "/run/summary.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["steps"], 3);
  EXPECT_EQ(j["backend"], "reference");
  EXPECT_EQ(j["neurons"], 16);
  EXPECT_TRUE(j["held_out"]["circular_error_rad"].is_number());
  EXPECT_EQ(call({spec, "--backend", "reference", "--resume", dir + "/run", "--steps", "5",
                  "--no-figures", "--progress", "plain"}),
            0);
  std::ifstream in2(dir + "/run/summary.json");
  const auto j2 = nlohmann::json::parse(in2);
  EXPECT_EQ(j2["steps"], 5);
  EXPECT_EQ(j2["start_step"], 3);
  fs::remove_all(dir);
}

TEST(TrainCommand, BadInputExitsWithTwo) {
  const std::string dir = train::testing::temp_dir("cli-bad");
  const std::string spec = write_spec(dir, "  stepz: 3\n");
  EXPECT_EQ(call({spec, "--backend", "reference"}), 2);
  const std::string good = write_spec(dir, "  steps: 1\n");
  EXPECT_EQ(call({good, "--backend", "reference", "--batch", "0"}), 2);
  EXPECT_EQ(call({good, "--backend", "reference", "--init", "perfekt"}), 2);
  EXPECT_EQ(call({}), 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnjit::cli
