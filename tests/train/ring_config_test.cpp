#include <gtest/gtest.h>

#include "runtime/ring/ring_config.hpp"

namespace rnnjit::train::ring {
namespace {

ModelSpec with_train(const std::string& yaml) {
  ModelSpec s;
  s.path = "ring.yaml";
  s.train = YAML::Load(yaml);
  return s;
}

TEST(RingConfig, ReadsTheTrainSection) {
  const RingTrainConfig c = parse_ring_train_config(
      with_train("steps: 12\nbatch: 8\nseq_len: 30\nlr: 0.002\ninit: perfect\ngates: linspace\n"
                 "angles: uniform\nzero_ratios: [0.5]\nneurons: 48\n"));
  EXPECT_EQ(c.steps, 12);
  EXPECT_EQ(c.batch, 8);
  EXPECT_EQ(c.task.seq_len, 30);
  EXPECT_DOUBLE_EQ(c.lr, 0.002);
  EXPECT_EQ(c.init, InitMode::Perfect);
  EXPECT_EQ(c.gates, GateMode::Linspace);
  EXPECT_FALSE(c.seed_angles);
  EXPECT_EQ(c.task.zero_ratios, std::vector<double>{0.5});
  EXPECT_EQ(c.neurons, 48);
  const RingTrainConfig back = config_from_json(to_json(c));
  EXPECT_EQ(to_json(back), to_json(c));
  EXPECT_EQ(parse_ring_train_config(ModelSpec{}).steps, RingTrainConfig{}.steps);
}

void expect_error(const std::string& yaml, const std::string& where, const std::string& what) {
  try {
    parse_ring_train_config(with_train(yaml));
    FAIL() << "accepted: " << yaml;
  } catch (const SpecError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(where, 0), 0u) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

TEST(RingConfig, ErrorsNameFileLineColumnAndField) {
  expect_error("steps: 10\nbatchh: 4\n", "ring.yaml:2:1:", "did you mean 'batch'");
  expect_error("steps: ten\n", "ring.yaml:1:8:", "train.steps must be an integer");
  expect_error("steps: 5\nbatch: 0\n", "ring.yaml:2:8:", "train.batch must be >= 1");
  expect_error("init: perfekt\n", "ring.yaml:1:7:", "did you mean 'perfect'");
  expect_error("zero_ratios: 0.5\n", "ring.yaml:1:14:", "list");
  expect_error("[1, 2]\n", "ring.yaml:1:1:", "train must be a map");
}

}  // namespace
}  // namespace rnnjit::train::ring
