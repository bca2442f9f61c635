// SNR as the seed defines it: known signal and noise, and the SNR batch.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "runtime/vwm/analysis/snr_stats.hpp"

namespace rnnjit::vwm {
namespace {

TEST(Snr, GaussianPointsAroundAKnownSignal) {
  // p = s + noise_trial + noise_step: per-sample variance 2 (0.5 + 0.5) per axis... here
  // trial sd 0.6 and step sd 0.8 per axis, so tr Cov(samples) = 2 (0.36 + 0.64) = 2 and
  // tr Cov(time averages over K steps) = 2 (0.36 + 0.64 / K).
  const int64_t B = 3000, K = 10;
  std::mt19937_64 g(1);
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<double> pts(2 * B * K);
  for (int64_t b = 0; b < B; ++b) {
    const double tx = 0.6 * n(g), ty = 0.6 * n(g);
    for (int64_t k = 0; k < K; ++k) {
      pts[2 * (b * K + k)] = 3 + tx + 0.8 * n(g);
      pts[2 * (b * K + k) + 1] = -4 + ty + 0.8 * n(g);
    }
  }
  const SnrResult r = snr_from_points(pts, B, K);
  EXPECT_NEAR(r.signal_power, 25, 0.2);
  EXPECT_NEAR(r.noise_power, 2.0, 0.08);
  EXPECT_NEAR(r.noise_power_avg, 2 * (0.36 + 0.064), 0.03);
  EXPECT_NEAR(r.snr, 12.5, 0.6);
  EXPECT_NEAR(r.snr_db, 10 * std::log10(r.snr), 1e-12);
}

TEST(Snr, RatesWithoutNoiseThroughTheReadout) {
  // Constant rates and no readout noise: zero noise power, infinite SNR; a trial-dependent rate
  // gives the variance of F's first row times it.
  Tensor r(DType::F64, {4, 5, 2});
  for (int64_t b = 0; b < 4; ++b)
    for (int64_t t = 0; t < 5; ++t) {
      r.data<double>()[(b * 5 + t) * 2] = 1.0 + b;
      r.data<double>()[(b * 5 + t) * 2 + 1] = 2.0;
    }
  const Tensor F = Tensor::f64({2, 2}, {1, 0, 0, 1});
  const SnrResult s = snr_from_rates(r, F, 3, ReadoutNoise{});
  EXPECT_NEAR(s.signal_power, 2.5 * 2.5 + 4, 1e-12);
  // x = 1 + b over 4 trials x 2 steps: unbiased variance of {1,1,2,2,3,3,4,4} = 10/7.
  EXPECT_NEAR(s.noise_power, 10.0 / 7.0, 1e-12);
  EXPECT_NEAR(s.noise_power_avg, 5.0 / 3.0, 1e-12);
}

TEST(Snr, BatchRepeatsOneStimulusWithItemZeroPresent) {
  const VwmConfig c = parse_vwm_config_string("");
  const VwmBatch b = make_snr_batch(c, 3, 6, 42);
  ASSERT_EQ(b.trials, 6);
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(b.set_size[i], 3);
    EXPECT_EQ(b.presence[i * 10], 1.0);
    for (int64_t m = 0; m < 10; ++m) {
      EXPECT_EQ(b.theta[i * 10 + m], b.theta[m]);
      EXPECT_EQ(b.presence[i * 10 + m], b.presence[m]);
    }
  }
  // No ILC noise: every trial's input is identical.
  const auto u = b.input.span<float>();
  const int64_t per = b.steps * b.channels;
  for (int64_t i = 1; i < 6; ++i)
    for (int64_t j = 0; j < per; ++j) ASSERT_EQ(u[i * per + j], u[j]);
}

}  // namespace
}  // namespace rnnjit::vwm
