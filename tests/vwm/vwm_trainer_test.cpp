// The VWM training loop on a tiny task (N=16, M=2, set sizes {1,2}, 16 steps of 10 ms, B=16):
// the training loss falls over 30 iterations, the run folder has its files, and a run resumed from
// a checkpoint ends with exactly the parameters of an uninterrupted one.
#include <gtest/gtest.h>

#include <fstream>

#include <filesystem>
#include <numeric>

#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/executor.hpp"
#include "runtime/core/params.hpp"
#include "runtime/core/safetensors.hpp"
#include "runtime/train/checkpoint.hpp"
#include "runtime/vwm/vwm_trainer.hpp"

namespace rnnjit::vwm {
namespace {

namespace fs = std::filesystem;

VwmConfig tiny_config() {
  return parse_vwm_config_string(
      "model_params: {max_item_num: 2, item_num: [1, 2], num_neurons: 16, T_init: 10,"
      " T_stimi: 50, T_delay: 50, T_decode: 50}\n"
      "training_params: {num_trials: 16, num_iterations: 30, eta: 0.02, logging_period: 10,"
      " error_def: l2}\n");
}

std::string fresh_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("rnnjit_vwm_trainer_" + name);
  fs::remove_all(p);
  return p.string();
}

double mean(const std::vector<double>& v, size_t from, size_t to) {
  return std::accumulate(v.begin() + from, v.begin() + to, 0.0) / static_cast<double>(to - from);
}

// The l2 loss starts far above chance (the untrained readout is large) and its mean over the last
// 5 of 30 iterations falls below half the mean over the first 5, for two seeds. (The rad loss
// learns too slowly at B = 16 for 30 iterations to separate the trend from the batch noise; the
// long run in the report shows it falling.)
TEST(VwmTrainer, TinyTaskLossFalls) {
  for (uint64_t seed : {3u, 11u}) {
    VwmTrainOptions o;
    o.out_dir = fresh_dir("falls" + std::to_string(seed));
    o.seed = seed;
    o.backend = "reference";
    o.progress = false;
    const VwmTrainSummary s = train_vwm(tiny_config(), o);
    ASSERT_EQ(s.losses.size(), 30u);
    const double early = mean(s.losses, 0, 5), late = mean(s.losses, 25, 30);
    EXPECT_LT(late, 0.5 * early) << "seed " << seed << ": first 5: " << early
                                 << ", last 5: " << late;
    EXPECT_TRUE(fs::exists(o.out_dir + "/metrics.csv"));
    EXPECT_TRUE(fs::exists(o.out_dir + "/summary.json"));
    EXPECT_TRUE(train::latest_checkpoint(o.out_dir).has_value());
    ASSERT_EQ(s.last_groups.size(), 2u);
    for (const char* png : {"loss_lr.png", "error_vs_set_size.png", "weights.png", "rates.png"})
      EXPECT_TRUE(fs::exists(o.out_dir + "/" + png)) << png;
  }
}

TEST(VwmTrainer, ResumeRepeatsTheUninterruptedRun) {
  VwmConfig c = tiny_config();
  c.logging_period = 4;
  VwmTrainOptions whole;
  whole.out_dir = fresh_dir("whole");
  whole.iterations = 8;
  whole.seed = 17;
  whole.backend = "reference";  // the same path on every machine
  whole.progress = false;
  whole.figures = false;
  train_vwm(c, whole);

  VwmTrainOptions part = whole;
  part.out_dir = fresh_dir("part");
  part.iterations = 4;
  train_vwm(c, part);
  part.iterations = 8;
  part.resume = true;
  part.seed = 0;  // forgotten on the command line: the checkpoint's seed 17 still rules
  const VwmTrainSummary s = train_vwm(c, part);
  EXPECT_EQ(s.first_iteration, 5);

  const train::Checkpoint a = train::load_checkpoint(*train::latest_checkpoint(whole.out_dir));
  const train::Checkpoint b = train::load_checkpoint(*train::latest_checkpoint(part.out_dir));
  EXPECT_EQ(a.step, 8);
  EXPECT_EQ(b.step, 8);
  EXPECT_EQ(a.metadata.at("lr"), b.metadata.at("lr"));
  for (const char* name : {"W", "B", "F"}) {
    const Tensor &x = a.tensors.at(name), &y = b.tensors.at(name);
    ASSERT_EQ(x.shape(), y.shape());
    for (int64_t e = 0; e < x.numel(); ++e) ASSERT_EQ(x.at_f64(e), y.at_f64(e)) << name;
  }
}

// A resume that does not fit the config fails before anything in the run folder changes.
TEST(VwmTrainer, AFailedResumeLeavesTheRunFolderAlone) {
  VwmConfig c = tiny_config();
  VwmTrainOptions o;
  o.out_dir = fresh_dir("badresume");
  o.iterations = 2;
  o.backend = "reference";
  o.progress = false;
  o.figures = false;
  train_vwm(c, o);
  const std::string config_before = [&] {
    std::ifstream in(o.out_dir + "/config.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  VwmConfig bigger = c;
  bigger.num_neurons = c.num_neurons + 4;
  o.resume = true;
  o.iterations = 4;
  try {
    train_vwm(bigger, o);
    FAIL() << "a config of another size must not resume the run";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("cell.neurons"), std::string::npos) << e.what();
  }
  std::ifstream in(o.out_dir + "/config.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), config_before);
}

// Every tensor of a checkpoint is checked against the shape it must have: Adam moments of the
// wrong shape end in a ShapeError naming them (not a crash), missing ones in an error.
TEST(VwmTrainer, ACheckpointWithBadAdamMomentsIsRefused) {
  VwmConfig c = tiny_config();
  VwmTrainOptions o;
  o.out_dir = fresh_dir("badmoments");
  o.iterations = 2;
  o.backend = "reference";
  o.progress = false;
  o.figures = false;
  c.logging_period = 2;
  train_vwm(c, o);
  const std::string ck = *train::latest_checkpoint(o.out_dir);
  Metadata md;
  const TensorMap good = read_safetensors(ck, &md);
  TensorMap bad = good;
  bad["adam.v/W"] = Tensor(DType::F64, {3, 2});
  write_safetensors(ck, bad, md);
  o.resume = true;
  o.iterations = 4;
  EXPECT_THROW(train_vwm(c, o), ShapeError);
  bad = good;
  bad.erase("adam.m/F");
  write_safetensors(ck, bad, md);
  try {
    train_vwm(c, o);
    FAIL() << "a checkpoint without its moments must not resume";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("adam.m/F"), std::string::npos) << e.what();
  }
}

// An odd N splits into int(N / 2) excitatory neurons, as vwm_rnn does, for the Dale signs and for
// the tau sorting within each population.
TEST(VwmTrainer, AnOddNetworkSplitsAsVwmRnnDoes) {
  VwmConfig c = tiny_config();
  c.num_neurons = 5;
  const ModelSpec spec = to_model_spec(c);
  EXPECT_EQ(excitatory_count(spec), 2);
  const ir::Module m = compile_module(spec);
  int dale_ops = 0;
  for (const ir::Op& op : m.prologue)
    if (op.kind == ir::OpKind::DaleMask) {
      EXPECT_EQ(op.attrs.excitatory, 2);
      ++dale_ops;
    }
  EXPECT_EQ(dale_ops, 1);
  const TensorMap p = init_params(spec, m, 42);
  const Tensor& tau = p.at("tau");
  EXPECT_LE(tau.at_f64(0), tau.at_f64(1));  // sorted within the excitatory pair
  EXPECT_LE(tau.at_f64(2), tau.at_f64(3));  // and within the three inhibitory neurons
  EXPECT_LE(tau.at_f64(3), tau.at_f64(4));
}

// Early stopping: with patience 1 the first iteration that does not beat the best loss ends the
// run, which is logged and checkpointed there.
TEST(VwmTrainer, EarlyStoppingEndsTheRunAndCheckpointsIt) {
  VwmConfig c = tiny_config();
  c.early_stop_patience = 1;
  c.eta = 1e-9;  // no learning: the batch-to-batch noise alone decides
  VwmTrainOptions o;
  o.out_dir = fresh_dir("earlystop");
  o.iterations = 30;
  o.backend = "reference";
  o.progress = false;
  o.figures = false;
  const VwmTrainSummary s = train_vwm(c, o);
  EXPECT_TRUE(s.early_stopped);
  EXPECT_LT(s.iterations, 30);
  EXPECT_EQ(static_cast<int64_t>(s.losses.size()), s.iterations);
  EXPECT_EQ(train::load_checkpoint(*train::latest_checkpoint(o.out_dir)).step, s.iterations);
}

TEST(VwmTrainer, PlateauHalvesAfterPatience) {
  PlateauScheduler p(1.0, 0.5, 2);
  EXPECT_FALSE(p.step(1.0));
  EXPECT_FALSE(p.step(1.0));
  EXPECT_FALSE(p.step(1.0));
  EXPECT_TRUE(p.step(1.0));  // the third step without improvement exceeds patience 2
  EXPECT_EQ(p.lr(), 0.5);
  EXPECT_FALSE(p.step(0.5));
  EXPECT_EQ(p.bad_steps(), 0);
}

// The CPU JIT draws the same spike noise as the reference (fp32 instead of fp64): both learn the
// tiny task, and their first losses agree to float32 accuracy since parameters, batch and noise
// are the same pure functions of the seed.
TEST(VwmTrainer, CpuBackendTrainsWithSpikeNoiseLikeTheReference) {
  if (!have_llvm_backend()) GTEST_SKIP() << "built without LLVM";
  std::vector<double> losses[2];
  const char* backends[2] = {"reference", "cpu"};
  for (int i = 0; i < 2; ++i) {
    VwmTrainOptions o;
    o.out_dir = fresh_dir(std::string("backend_") + backends[i]);
    o.backend = backends[i];
    o.seed = 5;
    o.progress = false;
    o.figures = false;
    losses[i] = train_vwm(tiny_config(), o).losses;
    ASSERT_EQ(losses[i].size(), 30u);
    EXPECT_LT(mean(losses[i], 25, 30), 0.5 * mean(losses[i], 0, 5)) << backends[i];
  }
  EXPECT_NEAR(losses[1][0], losses[0][0], 1e-4 * std::abs(losses[0][0]));
}

// The CUDA backend runs spike noise (the tiny config has it): without a device, --backend cuda
// fails the way it does for any cell, naming the missing device, not the noise.
TEST(VwmTrainer, CudaWithSpikeNoiseNeedsOnlyADevice) {
  if (cuda_device_available()) GTEST_SKIP() << "a CUDA device is present; the GPU tests cover it";
  VwmTrainOptions o;
  o.out_dir = fresh_dir("cuda");
  o.backend = "cuda";
  o.progress = false;
  try {
    train_vwm(tiny_config(), o);
    FAIL() << "the cuda backend ran without a device";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find("spike noise"), std::string::npos) << what;
    EXPECT_NE(what.find(have_cuda_backend() ? "no usable CUDA device" : "not in this build"),
              std::string::npos)
        << what;
  }
}

}  // namespace
}  // namespace rnnjit::vwm
