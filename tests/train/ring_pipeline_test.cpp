// The whole gradient pipeline against float64 finite differences: parameters (cell and gain
// networks) -> gates -> cell (reference backend) -> readout -> losses.
#include <gtest/gtest.h>

#include "runtime/ring/ring_model.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit::train::ring {
namespace {

RingTrainConfig tiny_config() {
  RingTrainConfig c;
  c.batch = 3;
  c.task.seq_len = 5;
  c.task.start_zero_ratio = 0.0;
  c.task.zero_ratios = {0.2};
  c.task.max_av = 0.8;  // large turns, so the gates matter
  c.gain_hidden = 3;
  c.seed = 9;
  return c;
}

void check_pipeline(const RingTrainConfig& cfg, int64_t k) {
  ExecutorConfig ec;
  ec.backend = "reference";
  RingModel model(testing::ring_spec(7, k), cfg, ec);
  const AvBatch d = generate_av_batch(cfg.task, cfg.batch, cfg.seed, 1);
  const RingStepResult res = model.run(d, true);
  EXPECT_GT(res.loss.total, 0);
  std::vector<double> analytic, numeric;
  for (auto& [name, t] : model.params()) {
    if (!res.grads.count(name)) continue;
    std::vector<double> x = testing::values(t);
    auto f = [&] {
      std::copy(x.begin(), x.end(), t.data<double>());
      return model.run(d, false).loss.total;
    };
    const auto fd = testing::finite_difference(x, f, 1e-6);
    std::copy(x.begin(), x.end(), t.data<double>());
    const auto an = testing::values(res.grads.at(name));
    EXPECT_LT(testing::rel_error(an, fd), 1e-6) << name;
    analytic.insert(analytic.end(), an.begin(), an.end());
    numeric.insert(numeric.end(), fd.begin(), fd.end());
  }
  // Every learned tensor has a gradient: Wo, Wa and 4 per gain network.
  EXPECT_EQ(res.grads.size(), 2u + 4u * static_cast<size_t>(k));
  EXPECT_LT(testing::rel_error(analytic, numeric), 1e-7);
}

TEST(RingPipeline, GradientOfLossWrtAllParamsMatchesFiniteDifferences) {
  check_pipeline(tiny_config(), 2);
}

TEST(RingPipeline, LinspaceGatesWithThreeChannels) {
  RingTrainConfig c = tiny_config();
  c.gates = GateMode::Linspace;
  check_pipeline(c, 3);
}

TEST(RingPipeline, PerfectInitSetsTheSeedWeights) {
  RingTrainConfig c = tiny_config();
  c.init = InitMode::Perfect;
  ExecutorConfig ec;
  ec.backend = "reference";
  RingModel m(testing::ring_spec(8, 2), c, ec);
  const Tensor& wo = m.params().at("Wo");
  const Tensor& wa = m.params().at("Wa");
  EXPECT_NEAR(wo.at_f64(0 * 8 + 2), std::cos(2 * std::numbers::pi * -2 / 8), 1e-15);
  // Wl = cos(d + pi/4), Wr = cos(d - pi/4)
  EXPECT_NEAR(wa.at_f64(0 * 64 + 1 * 8 + 0),
              std::cos(2 * std::numbers::pi / 8 + std::numbers::pi / 4), 1e-15);
  EXPECT_NEAR(wa.at_f64(1 * 64 + 1 * 8 + 0),
              std::cos(2 * std::numbers::pi / 8 - std::numbers::pi / 4), 1e-15);
  EXPECT_TRUE(m.trainable());
  c.init = InitMode::DebugPerfect;
  RingModel frozen(testing::ring_spec(8, 2), c, ec);
  EXPECT_FALSE(frozen.trainable());
  EXPECT_FALSE(frozen.uses_gain_nets());
}

}  // namespace
}  // namespace rnnjit::train::ring
