// The VWM task: timeline counts, batch composition, input encoding values, reproducibility.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "runtime/vwm/vwm_task.hpp"

namespace rnnjit::vwm {
namespace {

TEST(VwmTask, DefaultTimelineHas202StepsAndADecodeWindowOf50) {
  const VwmConfig c = parse_vwm_config_string("");
  const Timeline tl = make_timeline(c);
  EXPECT_EQ(tl.steps, 202);
  EXPECT_EQ(tl.decode_start, 152);
  EXPECT_EQ(tl.decode_len(), 50);
  int on = 0;
  for (int64_t k = 0; k < tl.steps; ++k) on += tl.stimulus_on(k);
  EXPECT_EQ(on, 50);
  EXPECT_FALSE(tl.stimulus_on(1));
  EXPECT_TRUE(tl.stimulus_on(2));
  EXPECT_TRUE(tl.stimulus_on(51));
  EXPECT_FALSE(tl.stimulus_on(52));
}

TEST(VwmTask, TimelineCountsTruncateLikeTheSeed) {
  const VwmConfig c = parse_vwm_config_string(
      "model_params: {dt: 7, T_init: 10, T_stimi: 100, T_delay: 200, T_decode: 100}\n");
  const Timeline tl = make_timeline(c);
  EXPECT_EQ(tl.steps, 58);          // int(410 / 7)
  EXPECT_EQ(tl.decode_start, 44);   // int(310 / 7)
  EXPECT_FALSE(tl.stimulus_on(1));  // 7 ms < 10 ms
  EXPECT_TRUE(tl.stimulus_on(2));   // 14 ms
  EXPECT_TRUE(tl.stimulus_on(15));  // 105 ms < 110 ms
  EXPECT_FALSE(tl.stimulus_on(16));
}

TEST(VwmTask, TrialsAreSplitEvenlyOverSetSizes) {
  EXPECT_EQ(trials_per_group(512, 10),
            (std::vector<int64_t>{52, 52, 51, 51, 51, 51, 51, 51, 51, 51}));
  VwmConfig c = parse_vwm_config_string(
      "model_params: {max_item_num: 4, item_num: [1, 2, 4], num_neurons: 8}\n"
      "training_params: {num_trials: 10}\n");
  const VwmBatch b = make_batch(c, 7);
  ASSERT_EQ(b.trials, 10);
  const std::vector<int64_t> want = {1, 1, 1, 1, 2, 2, 2, 4, 4, 4};
  for (int64_t i = 0; i < b.trials; ++i) {
    EXPECT_EQ(b.set_size[i], want[i]) << i;
    EXPECT_EQ(c.item_num[b.group[i]], want[i]);
    for (int64_t m = 0; m < b.items; ++m) {
      EXPECT_GE(b.theta[i * 4 + m], -std::numbers::pi);
      EXPECT_LT(b.theta[i * 4 + m], std::numbers::pi);
    }
  }
}

TEST(VwmTask, PresentSlotsAndAnglesAreSpreadOut) {
  VwmConfig c = parse_vwm_config_string(
      "model_params: {max_item_num: 5, item_num: [2], num_neurons: 8}\n"
      "training_params: {num_trials: 4000}\n");
  const VwmBatch b = make_batch(c, 11);
  std::vector<double> slot(5, 0.0);
  double mean_cos = 0, mean_sin = 0;
  for (int64_t i = 0; i < b.trials; ++i)
    for (int64_t m = 0; m < 5; ++m) {
      slot[m] += b.presence[i * 5 + m];
      mean_cos += std::cos(b.theta[i * 5 + m]) / (5.0 * b.trials);
      mean_sin += std::sin(b.theta[i * 5 + m]) / (5.0 * b.trials);
    }
  for (int m = 0; m < 5; ++m) EXPECT_NEAR(slot[m] / b.trials, 0.4, 0.03) << m;
  EXPECT_NEAR(mean_cos, 0, 0.02);
  EXPECT_NEAR(mean_sin, 0, 0.02);
}

TEST(VwmTask, PositiveEncodingValuesAndScale) {
  double v[3];
  encode_item(0.0, true, v);
  EXPECT_NEAR(v[0], 1 + 1 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(v[1], 1 - 1 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(v[2], 1.0, 1e-15);
  encode_item(std::numbers::pi / 2, true, v);
  EXPECT_NEAR(v[0], 1 + 1 / std::sqrt(6.0), 1e-15);
  EXPECT_NEAR(v[1], 1 + 1 / std::sqrt(6.0), 1e-15);
  EXPECT_NEAR(v[2], 1 - 2 / std::sqrt(6.0), 1e-15);
  encode_item(1.0, false, v);
  EXPECT_DOUBLE_EQ(v[0], std::cos(1.0));
  EXPECT_DOUBLE_EQ(v[1], std::sin(1.0));

  // In a batch: channel 3m+j of a present item during the stimulus = code * strength / M; zero
  // for absent items and outside the stimulus. No ILC noise so the values are exact.
  VwmConfig c = parse_vwm_config_string(
      "model_params: {max_item_num: 2, item_num: [1, 2], num_neurons: 8, ILC_noise: 0,"
      " input_strength: 40}\n");
  const VwmBatch b = make_batch_from(c, {0.5, -2.0, 1.0, 3.0}, {1, 0, 1, 1}, 0.0, 3, DType::F64);
  ASSERT_EQ(b.input.shape(), (std::vector<int64_t>{2, 202, 6}));
  const double* u = b.input.data<double>();
  for (int64_t t : {0, 1, 2, 30, 51, 52, 201}) {
    const bool on = t >= 2 && t <= 51;
    encode_item(0.5, true, v);
    for (int j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(u[(0 * 202 + t) * 6 + j], on ? v[j] * 20 : 0);
    for (int j = 3; j < 6; ++j) EXPECT_EQ(u[(0 * 202 + t) * 6 + j], 0.0);  // absent item
    encode_item(3.0, true, v);
    for (int j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(u[(1 * 202 + t) * 6 + 3 + j], on ? v[j] * 20 : 0);
  }
  EXPECT_EQ(b.set_size, (std::vector<int64_t>{1, 2}));
  const auto u0 = targets(b);
  ASSERT_EQ(u0.size(), 8u);
  EXPECT_DOUBLE_EQ(u0[0], std::cos(0.5));
  EXPECT_DOUBLE_EQ(u0[1], std::sin(0.5));
  EXPECT_EQ(u0[2], 0.0);  // absent
  EXPECT_DOUBLE_EQ(u0[7], std::sin(3.0));
}

TEST(VwmTask, IlcNoiseMovesTheInputAngleOnly) {
  VwmConfig c = parse_vwm_config_string(
      "model_params: {max_item_num: 1, item_num: [1], num_neurons: 8, positive_input: false,"
      " input_strength: 1}\n"
      "training_params: {num_trials: 2000}\n");
  std::vector<double> theta(2000, 0.7), presence(2000, 1.0);
  const VwmBatch b = make_batch_from(c, theta, presence, 0.1, 5, DType::F64);
  double mean = 0, var = 0;
  for (int64_t i = 0; i < 2000; ++i) {
    const double* u = b.input.data<double>() + (i * b.steps + 10) * 2;
    const double a = std::atan2(u[1], u[0]) - 0.7;
    mean += a / 2000;
    var += a * a / 2000;
  }
  EXPECT_NEAR(mean, 0, 0.01);
  EXPECT_NEAR(std::sqrt(var), 0.1, 0.01);
  EXPECT_EQ(b.theta[0], 0.7);  // the target keeps the noiseless angle
}

TEST(VwmTask, BatchesAreReproducibleAndSeedDependent) {
  const VwmConfig c = parse_vwm_config_string("training_params: {num_trials: 40}\n");
  const VwmBatch a = make_batch(c, 123), b = make_batch(c, 123), d = make_batch(c, 124);
  EXPECT_EQ(a.theta, b.theta);
  EXPECT_EQ(a.presence, b.presence);
  ASSERT_EQ(a.input.numel(), b.input.numel());
  EXPECT_TRUE(std::equal(a.input.span<float>().begin(), a.input.span<float>().end(),
                         b.input.span<float>().begin()));
  EXPECT_NE(a.theta, d.theta);
  EXPECT_EQ(a.input.dtype(), DType::F32);
}

}  // namespace
}  // namespace rnnjit::vwm
