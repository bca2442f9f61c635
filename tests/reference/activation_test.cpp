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

// The form the code generators emit (and the float64 reference evaluates, unless the activation
// keeps a form of its own), evaluated in double: its phi' against central differences of its phi,
// and both against the float64 reference's, over the region where phi bends and beyond.
TEST_P(ActivationDerivative, EmittedFormMatchesCentralDifferencesAndTheReference) {
  const ir::Activation a = GetParam();
  const double rate = 60.0;
  const act::Domain dom = act_domain(a);
  std::mt19937_64 rng(2000 + static_cast<int>(a));
  std::uniform_real_distribution<double> x_dist(dom.lo - 5.0, dom.hi + 5.0);
  const std::optional<double> kink = act_kink(a);
  auto phi = [&](double x) { return act_emitted<double>(a, x, rate).phi.v; };
  int checked = 0;
  for (int i = 0; i < 400; ++i) {
    const double x = x_dist(rng);
    if (kink && std::abs(x - *kink) < 1e-3) continue;
    const double d = act_emitted<double>(a, x, rate).dphi.v;
    const double h = 1e-6 * std::max(1.0, std::abs(x));
    const double fd = (phi(x + h) - phi(x - h)) / (2 * h);
    // The emitted forms are written for fp32 kernels and may cancel down to an absolute error of
    // about eps (1 + |x|) (1 + erf in gelu's left tail): the rounding bound allows for that.
    const double rounding =
        4e-16 * (1.0 + std::abs(x) + std::max(std::abs(phi(x + h)), std::abs(phi(x - h)))) / h;
    EXPECT_LE(std::abs(fd - d), 1e-7 * std::abs(d) + rounding) << ir::name(a) << " at x = " << x;
    // The emitted form may cancel where the reference's does not (1 + erf in gelu's left tail): an
    // absolute bound there, relative elsewhere.
    const double v = act_forward(a, x, rate), dv = act_derivative(a, x, rate);
    EXPECT_LE(std::abs(phi(x) - v), 1e-13 * (1.0 + std::abs(v))) << ir::name(a) << " at x = " << x;
    EXPECT_LE(std::abs(d - dv), 1e-13 * (1.0 + std::abs(dv))) << ir::name(a) << " at x = " << x;
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
