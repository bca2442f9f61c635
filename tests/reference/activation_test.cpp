// phi' of compiler/activation_table.hpp against central differences of phi, over a grid of points
// away from the kinks, and the closed forms at a few known points.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compiler/activation_table.hpp"

namespace rnnjit {
namespace {

class ActivationDerivative : public ::testing::TestWithParam<ir::Activation> {};

TEST_P(ActivationDerivative, MatchesCentralDifferences) {
  const ir::Activation a = GetParam();
  const double rate = 60.0;
  std::mt19937_64 rng(1000 + static_cast<int>(a));
  // The saturating function moves around 30 (0.14 x = 4.2), the power law above 10.
  std::uniform_real_distribution<double> x_dist(-8.0, 40.0);
  const std::optional<double> kink = act_kink(a);
  int checked = 0;
  for (int i = 0; i < 400; ++i) {
    const double x = x_dist(rng);
    if (kink && std::abs(x - *kink) < 1e-3) continue;
    const double h = 1e-6 * std::max(1.0, std::abs(x));
    const double fd = (act_forward(a, x + h, rate) - act_forward(a, x - h, rate)) / (2 * h);
    const double d = act_derivative(a, x, rate);
    // A central difference is exact to O(h^2) and carries a rounding error of about
    // eps |phi| / h: the bound allows the latter, so far tails are tested as well as they can be.
    const double rounding =
        4e-16 *
        std::max(std::abs(act_forward(a, x + h, rate)), std::abs(act_forward(a, x - h, rate))) / h;
    EXPECT_LE(std::abs(fd - d), 1e-7 * std::abs(d) + rounding) << ir::name(a) << " at x = " << x;
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

INSTANTIATE_TEST_SUITE_P(All, ActivationDerivative, ::testing::ValuesIn(ir::all_activations()),
                         [](const auto& info) { return std::string(ir::name(info.param)); });

TEST(ActivationValues, KnownPoints) {
  using A = ir::Activation;
  EXPECT_DOUBLE_EQ(act_forward(A::Relu, -2.0, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(act_forward(A::Relu, 2.5, 0.0), 2.5);
  EXPECT_NEAR(act_forward(A::Gelu, 1.0, 0.0), 0.8413447460685429, 1e-15);  // Phi(1)
  EXPECT_NEAR(act_forward(A::GeluTanh, 1.0, 0.0), 0.8411919906082768, 1e-15);
  EXPECT_NEAR(act_forward(A::Silu, 1.0, 0.0), 0.7310585786300049, 1e-15);
  EXPECT_NEAR(act_forward(A::Softplus, 0.0, 0.0), std::log(2.0), 1e-15);
  EXPECT_NEAR(act_forward(A::Softplus, 800.0, 0.0), 800.0, 1e-12);  // no overflow
  EXPECT_NEAR(act_forward(A::Softplus, -800.0, 0.0), 0.0, 1e-300);
  EXPECT_NEAR(act_forward(A::Saturating, 30.0, 60.0), 30.0, 1e-12);  // tanh(0) = 0: S/2
  EXPECT_NEAR(act_forward(A::PowerLaw, 11.0, 0.0), 0.18, 1e-15);
  EXPECT_NEAR(act_forward(A::PowerLaw, 5.0, 0.0), 0.18 * std::pow(1e-10, 1.7), 1e-30);
  EXPECT_DOUBLE_EQ(act_derivative(A::PowerLaw, 5.0, 0.0), 0.0);
  EXPECT_NEAR(act_derivative(A::Silu, -800.0, 0.0), 0.0, 1e-300);  // stable sigmoid
}

}  // namespace
}  // namespace rnnjit
