#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "runtime/ring/ring_loss.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit::train::ring {
namespace {

using testing::finite_difference;
using testing::rel_error;
using testing::values;

// A batch of noisy bumps (so the readout's max is well separated and no rate sits at 0) and random
// target angles.
struct LossCase {
  Tensor r;
  std::vector<double> angle;
};

LossCase make_case(int64_t B, int64_t T, int64_t N, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(0, 1);
  LossCase c{Tensor(DType::F64, {B, T, N}), {}};
  double* r = c.r.data<double>();
  for (int64_t bt = 0; bt < B * T; ++bt) {
    const double centre = u(g) * 2 * std::numbers::pi;
    for (int64_t j = 0; j < N; ++j) {
      const double q = 2 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(N);
      r[bt * N + j] = std::exp(std::cos(q - centre)) * (0.5 + u(g)) + (u(g) - 0.5) * 0.3;
    }
    c.angle.push_back(u(g) * 2 * std::numbers::pi);
  }
  return c;
}

TEST(RingLoss, GradientMatchesFiniteDifferences) {
  for (bool seed_angles : {true, false}) {
    const RingReadout ro = make_readout(7, seed_angles);
    LossCase c = make_case(3, 5, 7, seed_angles ? 11 : 12);
    Tensor dr;
    const RingLossValue v = ring_loss(ro, c.r, c.angle, 0.2, &dr);
    EXPECT_GT(v.heading, 0);
    EXPECT_GT(v.bump, 0);
    EXPECT_NEAR(v.total, v.heading + 0.2 * v.bump, 1e-15);
    std::vector<double> x = values(c.r);
    auto f = [&] {
      Tensor r = Tensor::f64(c.r.shape(), x);
      return ring_loss(ro, r, c.angle, 0.2, nullptr).total;
    };
    const std::vector<double> fd = finite_difference(x, f, 1e-6);
    EXPECT_LT(rel_error(values(dr), fd), 1e-7) << "seed_angles " << seed_angles;
  }
}

TEST(RingLoss, BumpGradientFlowsIntoTheFirstStep) {
  const RingReadout ro = make_readout(7);
  LossCase c = make_case(2, 4, 7, 5);
  Tensor with, without;
  ring_loss(ro, c.r, c.angle, 0.2, &with);
  ring_loss(ro, c.r, c.angle, 0.0, &without);
  double diff = 0;
  for (int64_t j = 0; j < 7; ++j) diff += std::abs(with.at_f64(j) - without.at_f64(j));
  EXPECT_GT(diff, 1e-6) << "dL_bump/dr_1 must not be zero (the target A_1 is not detached)";
}

TEST(RingLoss, PerfectBumpsDecodeToTheirCentre) {
  const int64_t N = 64;
  const RingReadout ro = make_readout(N, false);
  std::vector<double> r(N), y(N);
  for (double centre : {0.3, 2.0, 5.9}) {
    for (int64_t j = 0; j < N; ++j)
      r[static_cast<size_t>(j)] =
          std::exp(-std::pow(circular_distance(ro.p[static_cast<size_t>(j)], centre), 2) / 0.2);
    readout(ro, r.data(), y.data());
    EXPECT_NEAR(*std::max_element(y.begin(), y.end()), 1.0, 1e-12);
    EXPECT_NEAR(decode_population(ro, y.data()), centre, 1e-3);
    EXPECT_LT(circular_distance(decode_argmax(ro, y.data()), centre), 2 * std::numbers::pi / N);
  }
  EXPECT_NEAR(circular_distance(0.1, 2 * std::numbers::pi - 0.1), 0.2, 1e-12);
}

TEST(RingLoss, ShapeMismatchNamesBothShapes) {
  const RingReadout ro = make_readout(7);
  try {
    ring_loss(ro, Tensor(DType::F64, {2, 3, 8}), std::vector<double>(6), 0.2, nullptr);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[2,3,8]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("7]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rnnjit::train::ring
