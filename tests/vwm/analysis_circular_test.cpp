// Circular statistics and mixture fits on samples with known parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "runtime/vwm/analysis/circular_stats.hpp"

namespace rnnjit::vwm {
namespace {

constexpr double kPi = std::numbers::pi;

// Best & Fisher (1979) von Mises sampler, mean 0.
double sample_von_mises(double kappa, std::mt19937_64& g) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double tau = 1 + std::sqrt(1 + 4 * kappa * kappa);
  const double rho = (tau - std::sqrt(2 * tau)) / (2 * kappa);
  const double r = (1 + rho * rho) / (2 * rho);
  while (true) {
    const double z = std::cos(kPi * u(g));
    const double f = (1 + r * z) / (r + z);
    const double c = kappa * (r - f);
    const double u2 = u(g);
    if (c * (2 - c) - u2 > 0 || std::log(c / u2) + 1 - c >= 0) {
      const double th = std::acos(f);
      return u(g) < 0.5 ? -th : th;
    }
  }
}

std::vector<double> mixture_sample(double w, double kappa, int n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0), ang(-kPi, kPi);
  std::vector<double> x(n);
  for (auto& v : x) v = u(g) < w ? sample_von_mises(kappa, g) : ang(g);
  return x;
}

TEST(CircularStats, KnownSamples) {
  // Two opposite angles: no resultant.
  CircularStats s = circular_stats({0.3, 0.3 + kPi});
  EXPECT_NEAR(s.resultant, 0, 1e-15);
  EXPECT_NEAR(s.variance, 1, 1e-15);
  EXPECT_GT(s.sd, 8);  // R1 is 0 up to rounding: sqrt(-2 ln 1e-16) ~ 8.6
  // All equal: no spread.
  s = circular_stats({1.2, 1.2, 1.2});
  EXPECT_NEAR(s.mean, 1.2, 1e-15);
  EXPECT_NEAR(s.variance, 0, 1e-15);
  EXPECT_NEAR(s.sd, 0, 1e-7);
  // +-d around 0: R1 = cos d, R2 = cos 2d, mu1 = mu2 = 0.
  const double d = 0.5;
  s = circular_stats({d, -d});
  EXPECT_NEAR(s.resultant, std::cos(d), 1e-15);
  EXPECT_NEAR(s.sd, std::sqrt(-2 * std::log(std::cos(d))), 1e-14);
  const double R1 = std::cos(d);
  EXPECT_NEAR(s.kurtosis, (std::cos(2 * d) - std::pow(R1, 4)) / ((1 - R1) * (1 - R1)), 1e-12);
}

TEST(CircularStats, VonMisesSampleMatchesTheory) {
  const double kappa = 4.0;
  const auto x = mixture_sample(1.0, kappa, 20000, 3);
  const CircularStats s = circular_stats(x);
  EXPECT_NEAR(s.resultant, bessel_ratio_a(kappa), 0.01);
  EXPECT_NEAR(s.mean, 0, 0.02);
}

TEST(Bessel, RatioAndLogI0AcrossTheSwitch) {
  EXPECT_NEAR(std::exp(log_bessel_i0(1.0)), 1.2660658777520082, 1e-14);
  EXPECT_NEAR(bessel_ratio_a(1.0), 0.5651591039924850 / 1.2660658777520082, 1e-14);
  // Continuity at the switch to the asymptotic series.
  // d log I0 / dk = A(k): the step across the switch is 0.002 A(500).
  EXPECT_NEAR(log_bessel_i0(500.001) - log_bessel_i0(499.999), 0.002 * bessel_ratio_a(500), 1e-8);
  EXPECT_NEAR(bessel_ratio_a(499.999), bessel_ratio_a(500.001), 1e-8);
}

TEST(MixtureFit, VonMisesPlusUniformRecoversKappaAndWeight) {
  for (auto [w, kappa] : {std::pair{0.8, 8.0}, std::pair{0.6, 3.0}, std::pair{1.0, 15.0}}) {
    const auto x = mixture_sample(w, kappa, 6000, 7 + static_cast<uint64_t>(kappa));
    const MixtureFit f = fit_von_mises_uniform(x);
    EXPECT_NEAR(f.kappa / kappa, 1.0, 0.12) << "w " << w << " kappa " << kappa;
    EXPECT_NEAR(f.weight, w, 0.04) << "w " << w << " kappa " << kappa;
    EXPECT_LT(f.aic, 2 * 2 + 2 * 6000 * std::log(2 * kPi));  // beats the uniform alone
  }
}

TEST(MixtureFit, GaussianPlusUniformRecoversSigma) {
  std::mt19937_64 g(21);
  std::normal_distribution<double> n(0.0, 0.3);
  std::uniform_real_distribution<double> u(0.0, 1.0), ang(-kPi, kPi);
  std::vector<double> x(6000);
  for (auto& v : x) v = u(g) < 0.7 ? n(g) : ang(g);
  const MixtureFit f = fit_gaussian_uniform(x);
  EXPECT_NEAR(f.sigma, 0.3, 0.02);
  EXPECT_NEAR(f.weight, 0.7, 0.04);
  // On the same data the von Mises fit is close too (kappa ~ 1 / sigma^2).
  const MixtureFit v = fit_von_mises_uniform(x);
  EXPECT_NEAR(v.weight, 0.7, 0.05);
  EXPECT_NEAR(v.kappa, 1 / (0.3 * 0.3), 2.0);
}

TEST(MixtureFit, DensitiesIntegrateToOne) {
  const int n = 20000;
  double a = 0, b = 0;
  for (int i = 0; i < n; ++i) {
    const double x = -kPi + (i + 0.5) * 2 * kPi / n;
    a += von_mises_uniform_pdf(x, 0.7, 5.0) * 2 * kPi / n;
    b += gaussian_uniform_pdf(x, 0.7, 1.5) * 2 * kPi / n;
  }
  EXPECT_NEAR(a, 1, 1e-9);
  EXPECT_NEAR(b, 1, 1e-9);
}

}  // namespace
}  // namespace rnnjit::vwm
