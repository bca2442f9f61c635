#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/backends/backends.hpp"
#include "runtime/ring/ring_figures.hpp"
#include "runtime/ring/ring_trainer.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit::train::ring {
namespace {

namespace fs = std::filesystem;

RingTrainOptions small_run(const std::string& dir, const std::string& backend) {
  RingTrainOptions o;
  o.cfg.batch = 16;
  o.cfg.task.seq_len = 30;
  o.cfg.steps = 40;
  o.cfg.lr = 3e-2;  // large, so 40 steps show a clear fall
  o.cfg.eval_trials = 32;
  o.cfg.eval_every = 20;
  o.cfg.checkpoint_every = 20;
  o.cfg.log_every = 1;
  o.exec.backend = backend;
  o.out_dir = dir;
  o.quiet = true;
  o.figures = false;
  return o;
}

std::vector<std::string> backends() {
  std::vector<std::string> b{"reference"};
  if (have_llvm_backend()) b.push_back("cpu");
  return b;
}

TEST(RingTrainer, ShortRunLowersTheLossAndWritesItsOutputs) {
  const std::string dir = testing::temp_dir("train");
  RingTrainOptions o = small_run(dir, have_llvm_backend() ? "cpu" : "reference");
  o.figures = true;
  o.movie = true;
  o.cfg.movie_every = 20;
  const RingTrainResult r = train_ring(testing::ring_spec(32, 2), o);
  EXPECT_EQ(r.steps, 40);
  const RingHistory h = read_ring_history(dir + "/metrics.csv");
  ASSERT_GE(h.loss.size(), 40u);
  double first = 0, last = 0;
  for (int i = 0; i < 5; ++i) first += h.loss[static_cast<size_t>(i)] / 5;
  for (int i = 35; i < 40; ++i) last += h.loss[static_cast<size_t>(i)] / 5;
  EXPECT_LT(last, 0.6 * first) << "training loss must fall: first steps " << first << ", last "
                               << last;
  EXPECT_EQ(h.eval_step.size(), 2u);  // step 20 and the final evaluation
  EXPECT_TRUE(fs::exists(dir + "/summary.json"));
  EXPECT_TRUE(fs::exists(dir + "/checkpoint-00000040.safetensors"));
  EXPECT_TRUE(fs::exists(dir + "/checkpoint-00000020.safetensors"));
  if (figures_available()) {
    for (const char* f :
         {"weights_initial.png", "weights_trained.png", "loss.png", "activity.png",
          "bump_profiles.png", "angle.png", "weights_evolution.gif", "movie/frame-000020.png"})
      EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  }
  EXPECT_GT(r.eval.pv_error, 0.0);
  EXPECT_LT(r.eval.pv_error, 3.2);
  fs::remove_all(dir);
}

TEST(RingTrainer, ResumeContinuesBitForBit) {
  for (const std::string& backend : backends()) {
    const std::string a = testing::temp_dir("full"), b = testing::temp_dir("half");
    RingTrainOptions full = small_run(a, backend);
    full.cfg.steps = 10;
    full.cfg.checkpoint_every = 5;
    full.cfg.eval_every = 0;
    const RingTrainResult ra = train_ring(testing::ring_spec(12, 2), full);

    RingTrainOptions half = full;
    half.out_dir = b;
    half.steps = 5;
    train_ring(testing::ring_spec(12, 2), half);
    RingTrainOptions rest;
    rest.out_dir = b;
    rest.resume = true;
    rest.steps = 10;
    rest.exec.backend = backend;
    rest.quiet = true;
    rest.figures = false;
    const RingTrainResult rb = train_ring(testing::ring_spec(12, 2), rest);
    EXPECT_EQ(rb.start_step, 5);
    ASSERT_EQ(ra.params.size(), rb.params.size());
    for (auto& [name, t] : ra.params) {
      const Tensor& u = rb.params.at(name);
      ASSERT_EQ(t.numel(), u.numel());
      for (int64_t i = 0; i < t.numel(); ++i)
        ASSERT_EQ(t.at_f64(i), u.at_f64(i)) << backend << " " << name << "[" << i << "]";
    }
    EXPECT_EQ(read_ring_history(a + "/metrics.csv").loss,
              read_ring_history(b + "/metrics.csv").loss);
    fs::remove_all(a);
    fs::remove_all(b);
  }
}

TEST(RingTrainer, ResumeWithoutACheckpointSaysSo) {
  const std::string dir = testing::temp_dir("empty");
  RingTrainOptions o;
  o.out_dir = dir;
  o.resume = true;
  o.exec.backend = "reference";
  o.quiet = true;
  try {
    train_ring(testing::ring_spec(8, 2), o);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no checkpoint"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(RingTrainer, DebugPerfectOnlyEvaluatesAndPassesTheSanityCheck) {
  const std::string dir = testing::temp_dir("perfect");
  RingTrainOptions o = small_run(dir, "reference");
  o.cfg.init = InitMode::DebugPerfect;
  o.cfg.task.seq_len = 60;
  o.cfg.eval_trials = 64;
  const RingTrainResult r = train_ring(testing::ring_spec(60, 2), o);
  EXPECT_EQ(r.steps, 0);
  EXPECT_LT(r.perfect.heading, 0.5) << "rnn_train_ring_attractor's sanity check";
  EXPECT_NEAR(r.eval.heading_loss, r.perfect.heading, 0.2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnjit::train::ring
