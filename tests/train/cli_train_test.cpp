// `rnnjit train` through the binary, as a user runs it: one set of flags for both trainers, run
// folders that are never lost, resumes that check what they resume, and refusals that name the
// option, the file or the size.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "runtime/core/safetensors.hpp"
#include "tests/cli/run_cli.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit {
namespace {

namespace fs = std::filesystem;
using test::run_rnnjit;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

nlohmann::json summary(const std::string& dir) {
  std::ifstream in(dir + "/summary.json");
  return nlohmann::json::parse(in);
}

std::string ring_spec_file(const std::string& dir, const std::string& train,
                           const std::string& activation = "gelu") {
  std::string text = slurp(std::string(RNNJIT_SOURCE_DIR) + "/examples/ring.yaml");
  if (auto at = text.find("\ntrain:"); at != std::string::npos) text.resize(at + 1);
  if (auto at = text.find("activation: gelu"); at != std::string::npos)
    text.replace(at, 16, "activation: " + activation);
  std::ofstream(dir + "/ring.yaml") << text << "train:\n" << train;
  return dir + "/ring.yaml";
}

const char* kTinyRing =
    "  neurons: 12\n  batch: 4\n  seq_len: 10\n  eval_trials: 8\n  checkpoint_every: 2\n";

// The same tiny VWM network as a spec that is not named *.yaml.
std::string vwm_spec_file(const std::string& dir) {
  std::string text = slurp(std::string(RNNJIT_SOURCE_DIR) + "/examples/vwm_small.yaml");
  auto sub = [&](const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    if (at != std::string::npos) text.replace(at, from.size(), to);
  };
  sub("neurons: 64", "neurons: 9");
  sub("T_stimi: 200", "T_stimi: 40");
  sub("T_delay: 500", "T_delay: 40");
  sub("T_decode: 200", "T_decode: 30");
  sub("num_trials: 128", "num_trials: 6");
  sub("logging_period: 25", "logging_period: 2");
  std::ofstream(dir + "/vwm.spec") << text;
  return dir + "/vwm.spec";
}

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override { dir = train::testing::temp_dir("cli-train"); }
  void TearDown() override { fs::remove_all(dir); }
  std::string dir;
};

TEST_F(TrainCli, TrainsWritesASummaryWithTheRunsIdentityAndResumesAsTheReadmeSays) {
  const std::string spec = ring_spec_file(dir, kTinyRing), out = dir + "/run";
  auto r = run_rnnjit("train " + spec + " --backend reference --steps 3 --out " + out +
                      " --no-figures --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = summary(out);
  EXPECT_EQ(j["steps"], 3);
  EXPECT_EQ(j["model"], "ring");
  EXPECT_EQ(j["trial_steps"], 10);
  EXPECT_EQ(j["batch"], 4);
  for (const char* key : {"rnnjit_version", "command_line", "run_id", "spec_hash", "device"})
    EXPECT_TRUE(j.contains(key)) << key;
  const std::string id = j["run_id"];
  EXPECT_NE(slurp(out + "/metrics.csv").find("# rnnjit run " + id), std::string::npos);
  Metadata md;
  read_safetensors(out + "/checkpoint-00000003.safetensors", &md);
  EXPECT_EQ(md.at("run_id"), id);
  // `rnnjit train --resume DIR --steps N`, no spec: the checkpoint's copy is used.
  r = run_rnnjit("train --resume " + out + " --steps 5 --backend reference --no-figures --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j2 = summary(out);
  EXPECT_EQ(j2["steps"], 5);
  EXPECT_EQ(j2["start_step"], 3);
  EXPECT_EQ(j2["run_id"], id);
}

TEST_F(TrainCli, ANewRunNeverDestroysAnotherRunsFolder) {
  const std::string spec = ring_spec_file(dir, kTinyRing), out = dir + "/run";
  ASSERT_EQ(run_rnnjit("train " + spec + " --backend reference --steps 4 --seed 3 --out " + out +
                       " --no-figures --quiet")
                .code,
            0);
  const std::string metrics = slurp(out + "/metrics.csv");
  const std::string ckpt = slurp(out + "/checkpoint-00000004.safetensors");
  auto r = run_rnnjit("train " + spec + " --backend reference --steps 2 --seed 9 --out " + out +
                      " --no-figures --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("already holds a training run"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--overwrite"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(out + "/metrics.csv"), metrics);
  EXPECT_EQ(slurp(out + "/checkpoint-00000004.safetensors"), ckpt);
  // --overwrite replaces it: the old checkpoints are gone, the new run has a new id.
  r = run_rnnjit("train " + spec + " --backend reference --steps 2 --seed 9 --out " + out +
                 " --no-figures --quiet --overwrite");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(out + "/checkpoint-00000004.safetensors"));
  EXPECT_TRUE(fs::exists(out + "/checkpoint-00000002.safetensors"));
  EXPECT_EQ(summary(out)["steps"], 2);
}

TEST_F(TrainCli, AResumeChecksTheSpecTheStepsAndTheCheckpoint) {
  const std::string spec = ring_spec_file(dir, kTinyRing), out = dir + "/run";
  ASSERT_EQ(run_rnnjit("train " + spec + " --backend reference --steps 4 --out " + out +
                       " --no-figures --quiet")
                .code,
            0);
  fs::create_directories(dir + "/relu");
  const std::string relu = ring_spec_file(dir + "/relu", kTinyRing, "relu");
  auto r = run_rnnjit("train " + relu + " --resume " + out + " --steps 6 --backend reference");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("activation.kind"), std::string::npos) << r.output;
  r = run_rnnjit("train --resume " + out + " --steps 3 --backend reference");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("give --steps above 4"), std::string::npos) << r.output;
  r = run_rnnjit("train --resume " + out + " --steps 6 --lr 0.1 --backend reference");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--lr"), std::string::npos) << r.output;
  // A kill left a temporary file, then the newest checkpoint got truncated: the resume removes
  // the orphan, sets the corrupt checkpoint aside and continues from the previous one.
  std::ofstream(out + "/.checkpoint-00000006.safetensors.tmp99") << "half";
  fs::resize_file(out + "/checkpoint-00000004.safetensors", 50);
  r = run_rnnjit("train --resume " + out + " --steps 6 --backend reference --no-figures --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("checkpoint-00000004.safetensors cannot be read"), std::string::npos)
      << r.output;
  EXPECT_EQ(summary(out)["start_step"], 2);
  EXPECT_FALSE(fs::exists(out + "/.checkpoint-00000006.safetensors.tmp99"));
  EXPECT_TRUE(fs::exists(out + "/checkpoint-00000004.safetensors.corrupt"));
}

// Every tensor read back from a checkpoint is checked: missing or misshapen Adam moments end in a
// message, not in made-up moments or a crash (free(): invalid size).
TEST_F(TrainCli, ACheckpointWithBadAdamMomentsIsRefused) {
  const std::string spec = ring_spec_file(dir, kTinyRing), out = dir + "/run";
  ASSERT_EQ(run_rnnjit("train " + spec + " --backend reference --steps 2 --out " + out +
                       " --no-figures --quiet")
                .code,
            0);
  const std::string ck = out + "/checkpoint-00000002.safetensors";
  Metadata md;
  const TensorMap good = read_safetensors(ck, &md);
  TensorMap misshapen = good;
  misshapen["adam.m/Wo"] = Tensor(DType::F64, {3, 5});
  write_safetensors(ck, misshapen, md);
  auto r = run_rnnjit("train --resume " + out + " --steps 3 --backend reference --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("adam.m/Wo"), std::string::npos) << r.output;
  TensorMap missing = good;
  missing.erase("adam.v/Wa");
  write_safetensors(ck, missing, md);
  r = run_rnnjit("train --resume " + out + " --steps 3 --backend reference --quiet");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("lacks the Adam moment 'adam.v/Wa'"), std::string::npos) << r.output;
}

TEST_F(TrainCli, OneSetOfFlagsForBothTrainers) {
  auto r = run_rnnjit("train --help");
  ASSERT_EQ(r.code, 0);
  for (const char* flag : {"--seq-len", "--gain-hidden", "--vwm-config", "--resume", "--overwrite",
                           "--quiet", "--progress"})
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
  // A VWM spec not named *.yaml, after --quiet, reaches the VWM trainer; --steps -5 is refused.
  const std::string spec = vwm_spec_file(dir), out = dir + "/vwm";
  r = run_rnnjit("train --quiet " + spec + " --backend reference --steps -5 --out " + out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--steps"), std::string::npos) << r.output;
  r = run_rnnjit("train --quiet " + spec + " --backend reference --steps 2 --no-figures --out " +
                 out);
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = summary(out);
  EXPECT_EQ(j["model"], "vwm");
  EXPECT_EQ(j["steps"], 2);
  EXPECT_EQ(j["batch"], 6);
  EXPECT_TRUE(j["trial_steps"].get<int>() > 2);
  // The README's form resumes the VWM run too, and ring-only flags are refused for it.
  r = run_rnnjit("train --resume " + out + " --steps 4 --backend reference --no-figures --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(summary(out)["start_step"], 2);
  r = run_rnnjit("train " + spec + " --backend reference --gain-hidden 2 --out " + dir + "/x");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--gain-hidden does not apply"), std::string::npos) << r.output;
}

TEST_F(TrainCli, JobsLargerThanTheMachineAreRefusedWithTheirSize) {
  const std::string spec = ring_spec_file(dir, kTinyRing);
  auto r = run_rnnjit("train " + spec + " --backend reference --neurons 1e5 --out " + dir + "/big");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("GiB"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/big/metrics.csv"));
  r = run_rnnjit("train " + spec + " --backend reference --batch 1e8 --out " + dir + "/big");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("GiB"), std::string::npos) << r.output;
  r = run_rnnjit("inputs " + spec + " --batch 1e8 --steps 1e5 -o " + dir + "/in.safetensors");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("GiB"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/in.safetensors"));
  r = run_rnnjit("train " + spec + " --backend reference --batch 2.5 --out " + dir + "/big");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--batch must be a whole number"), std::string::npos) << r.output;
}

TEST_F(TrainCli, OptionsThatWouldBeIgnoredAreRefused) {
  const std::string spec = ring_spec_file(dir, kTinyRing);
  auto r = run_rnnjit("compile " + spec + " " + spec);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("unexpected argument"), std::string::npos) << r.output;
  ASSERT_EQ(run_rnnjit("init " + spec + " -o " + dir + "/p.safetensors").code, 0);
  ASSERT_EQ(run_rnnjit("inputs " + spec + " --batch 2 --steps 3 -o " + dir + "/i.safetensors").code,
            0);
  // Without --batch and --steps, inputs takes their defaults (8 trials of 20 steps).
  ASSERT_EQ(run_rnnjit("inputs " + spec + " -o " + dir + "/d.safetensors").code, 0);
  EXPECT_EQ(read_safetensors(dir + "/d.safetensors").at("actions").shape(),
            (std::vector<int64_t>{8, 20, 2}));
  const std::string files = " --params " + dir + "/p.safetensors --inputs " + dir +
                            "/i.safetensors -o " + dir + "/r.safetensors";
  r = run_rnnjit("run " + spec + files + " --backend reference --precision fp32");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--precision fp32 does not apply to the reference"), std::string::npos)
      << r.output;
  r = run_rnnjit("run " + spec + files + " --backend reference --steps 7");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--steps applies to a cell with no gate"), std::string::npos) << r.output;
  EXPECT_EQ(run_rnnjit("run " + spec + files + " --backend reference").code, 0);
}

// -o writes through a symbolic link to its target, and into a device node in place.
TEST_F(TrainCli, OutputPathsThatAreNotRegularFilesKeepWhatTheyAre) {
  const std::string spec = ring_spec_file(dir, kTinyRing);
  std::ofstream(dir + "/real.safetensors") << "old";
  fs::create_symlink(dir + "/real.safetensors", dir + "/link.safetensors");
  ASSERT_EQ(run_rnnjit("init " + spec + " -o " + dir + "/link.safetensors").code, 0);
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir + "/link.safetensors")));
  EXPECT_NO_THROW(read_safetensors(dir + "/real.safetensors"));
  auto r = run_rnnjit("init " + spec + " -o /dev/null");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
}

TEST_F(TrainCli, VwmConfigsThatWouldTrainAnotherModelAreRefused) {
  std::ofstream(dir + "/empty.yaml") << "";
  auto r = run_rnnjit("train --vwm-config " + dir + "/empty.yaml --out " + dir + "/a");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("empty"), std::string::npos) << r.output;
  r = run_rnnjit("train --vwm-config " + std::string(RNNJIT_SOURCE_DIR) + "/examples/ring.yaml" +
                 " --out " + dir + "/a");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no vwm_rnn model setting"), std::string::npos) << r.output;
  std::ofstream(dir + "/old.yaml") << "model_params:\n  num_neurons: 32\n  tau: 100\n"
                                      "  process_noise: 0.1\ntraining_params:\n  num_epochs: 10\n";
  r = run_rnnjit("train --vwm-config " + dir + "/old.yaml --out " + dir + "/a");
  EXPECT_EQ(r.code, 2) << r.output;
  for (const char* key : {"old.yaml:3:3", "model_params.tau", "model_params.process_noise",
                          "training_params.num_epochs"})
    EXPECT_NE(r.output.find(key), std::string::npos) << key << "\n" << r.output;
  EXPECT_FALSE(fs::exists(dir + "/a/metrics.csv"));
}

TEST_F(TrainCli, BadInputExitsWithTwo) {
  const std::string bad = ring_spec_file(dir, "  stepz: 3\n");
  EXPECT_EQ(run_rnnjit("train " + bad + " --backend reference").code, 2);
  fs::create_directories(dir + "/g");
  const std::string good = ring_spec_file(dir + "/g", "  steps: 1\n");
  EXPECT_EQ(run_rnnjit("train " + good + " --backend reference --batch 0").code, 2);
  EXPECT_EQ(run_rnnjit("train " + good + " --backend reference --init perfekt").code, 2);
  EXPECT_EQ(run_rnnjit("train").code, 2);
  EXPECT_EQ(run_rnnjit("train --resume " + dir + "/nothing-here").code, 2);
}

}  // namespace
}  // namespace rnnjit
