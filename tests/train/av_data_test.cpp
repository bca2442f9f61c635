#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <set>

#include "runtime/ring/av_data.hpp"

namespace rnnjit::train::ring {
namespace {

TEST(AvData, IsReproducibleAndFollowsTheSeedTask) {
  AvTaskConfig cfg;
  cfg.seq_len = 100;
  const AvBatch a = generate_av_batch(cfg, 64, 7, 3), b = generate_av_batch(cfg, 64, 7, 3);
  const AvBatch c = generate_av_batch(cfg, 64, 7, 4);
  EXPECT_EQ(a.av, b.av);
  EXPECT_EQ(a.angle, b.angle);
  EXPECT_NE(a.av, c.av);
  std::set<int64_t> nonzero_counts;
  for (int64_t i = 0; i < 64; ++i) {
    const double* av = a.av.data() + i * 100;
    const double* ang = a.angle.data() + i * 100;
    for (int t = 0; t < 10; ++t) EXPECT_EQ(av[t], 0.0) << "first 10% must be zero";
    int64_t nz = 0;
    for (int t = 0; t < 100; ++t) {
      EXPECT_LE(std::abs(av[t]), cfg.max_av);
      nz += av[t] != 0.0;
    }
    nonzero_counts.insert(nz);
    EXPECT_EQ(ang[0], a.theta0[static_cast<size_t>(i)]);
    double acc = ang[0];
    for (int t = 1; t < 100; ++t) {
      acc += av[t - 1];
      const double wrapped = acc - 2 * std::numbers::pi * std::floor(acc / (2 * std::numbers::pi));
      EXPECT_NEAR(ang[t], wrapped, 1e-9);
      EXPECT_GE(ang[t], 0.0);
      EXPECT_LT(ang[t], 2 * std::numbers::pi);
    }
  }
  // 90 non-start steps with zero ratios 0.2, 0.5, 0.8: 72, 45 or 18 non-zero velocities.
  for (int64_t nz : nonzero_counts) EXPECT_TRUE(nz == 72 || nz == 45 || nz == 18 || nz == 19) << nz;
  EXPECT_GE(nonzero_counts.size(), 2u);
}

TEST(AvData, GatesFromVelocity) {
  AvBatch d;
  d.batch = 1;
  d.seq_len = 3;
  d.av = {-0.2, 0.0, 0.3};
  EXPECT_EQ(base_gates(d, 2, GateMode::LeftRight), (std::vector<double>{0.2, 0, 0, 0, 0, 0.3}));
  EXPECT_EQ(base_gates(d, 3, GateMode::LeftRight),
            (std::vector<double>{0.2, 0, 0, 0, 0, 0, 0, 0.3, 0}));
  // linspace(-1, 1, 3) = -1, 0, 1
  const auto g = base_gates(d, 3, GateMode::Linspace);
  EXPECT_EQ(g, (std::vector<double>{0.2, 0, 0, 0, 0, 0, 0, 0, 0.3}));
}

TEST(AvData, InitialBumpIsCentredAndUnitNorm) {
  const Tensor r = initial_bump({0.0, std::numbers::pi}, 40);
  const double* p = r.data<double>();
  for (int b = 0; b < 2; ++b) {
    double n2 = 0;
    int arg = 0;
    for (int j = 0; j < 40; ++j) {
      n2 += p[b * 40 + j] * p[b * 40 + j];
      if (p[b * 40 + j] > p[b * 40 + arg]) arg = j;
    }
    EXPECT_NEAR(n2, 1.0, 1e-12);
    EXPECT_EQ(arg, b == 0 ? 0 : 20);
  }
  EXPECT_NEAR(p[1], p[39], 1e-12) << "circular distance: neighbours across 0 are equal";
}

}  // namespace
}  // namespace rnnjit::train::ring
