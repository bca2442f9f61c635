// Gamma sampling by inversion and its implicit reparametrisation gradient, in float64 against
// references computed independently with mpmath at 40 digits, against central finite differences,
// and in float32 against float64.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "math/noise_math.hpp"

namespace {

using namespace rnnjit::noise;

double rel_err(double got, double want) {
  return std::fabs(got - want) / std::fmax(std::fabs(want), 1e-300);
}

TEST(Digamma, KnownValues) {
  const double euler = 0.57721566490153286061;
  EXPECT_NEAR(digamma(1.0), -euler, 4e-15);  // nine recurrence steps of rounding
  EXPECT_NEAR(digamma(0.5), -euler - 2 * std::log(2.0), 2e-15);
  EXPECT_NEAR(digamma(10.0), 2.2517525890667211076, 2e-15);
  EXPECT_NEAR(digamma(1e-10), -1e10 - euler + 1.6449340668482264e-10, 1e-5);
  EXPECT_NEAR(digamma(250.5), 5.5214615845270464, 1e-14);  // mpmath
}

// x = P^{-1}(a, u) and dx/da at fixed u, by mpmath: bisection + findroot on log P or log Q at 40
// digits, dP/da by mpmath.diff, divided by the density.
struct Reference {
  double a, u, x, dx_da;
};
const Reference kReferences[] = {
    {0.001, 0.99, 0.000024259428385578436781, 0.24384124492876037578},
    {0.05, 0.3, 2.0378971887326643863e-11, 9.8302749953818755368e-9},
    {0.05, 0.99, 1.0876274000918095811, 13.147954956975017783},
    {0.05, 0.999999999999, 21.697680480762633063, 22.665664761749861459},
    {0.3, 0.01, 1.5022226552360382165e-7, 7.7824952396052963291e-6},
    {0.3, 0.5, 0.073131135866951895547, 0.64206416244556742368},
    {0.3, 0.99, 2.6394091570705330059, 3.907638713881322208},
    {1, 0.3, 0.35667494393873236305, 0.66192362823646793162},
    {2.5, 1e-12, 0.00002562321748415267946, 0.00011966304834440867041},
    {2.5, 0.7, 3.032214992077452192, 1.1753336492946024112},
    {10, 0.01, 4.1301991662731991104, 0.63234660732183484553},
    {10, 0.5, 9.6687146147141311518, 0.99978790183313836082},
    {10, 0.999999999999, 50.279911306029829049, 2.0473726024399112532},
    {40, 0.3, 36.457671156938087876, 0.95833730257274832517},
    {240, 0.01, 205.43704468721543343, 0.92490612541936107684},
    {240, 0.7, 247.87605644715746194, 1.0169378379514184812},
    {3000, 0.99, 3128.8880338120279007, 1.0212368805668322723},
};

TEST(GammaInverseCdf, MatchesHighPrecisionReference) {
  double worst_x = 0, worst_d = 0;
  for (const Reference& ref : kReferences) {
    double x, d;
    gamma_inverse_cdf(ref.a, ref.u, &x, &d);
    EXPECT_LT(rel_err(x, ref.x), 1e-12) << "a=" << ref.a << " u=" << ref.u << " x=" << x;
    EXPECT_LT(rel_err(d, ref.dx_da), 1e-11) << "a=" << ref.a << " u=" << ref.u << " dx=" << d;
    worst_x = std::fmax(worst_x, rel_err(x, ref.x));
    worst_d = std::fmax(worst_d, rel_err(d, ref.dx_da));
  }
  RecordProperty("worst_rel_err_x", std::to_string(worst_x));
  RecordProperty("worst_rel_err_dx_da", std::to_string(worst_d));
  std::printf("gamma inverse vs mpmath: worst rel err x %.2e, dx/da %.2e\n", worst_x, worst_d);
}

TEST(GammaInverseCdf, ExponentialCaseIsClosedForm) {
  // a = 1: x = -log(1-u).
  for (double u : {1e-9, 0.2, 0.5, 0.9, 1 - 1e-9}) {
    double x, d;
    gamma_inverse_cdf(1.0, u, &x, &d);
    EXPECT_LT(rel_err(x, -std::log1p(-u)), 1e-14) << "u=" << u;
  }
}

TEST(GammaInverseCdf, RoundTripsThroughTheCdf) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> log_a(std::log(1e-3), std::log(5000.0)), unit(0, 1);
  for (int k = 0; k < 2000; ++k) {
    double a = std::exp(log_a(rng)), u = unit(rng);
    double x, d;
    gamma_inverse_cdf(a, u, &x, &d);
    if (x < 1e-290) continue;  // the root underflowed: nothing to round-trip
    IncGammaLogs<double> g = incomplete_gamma_logs(gamma_shape(a), x);
    double err = u <= 0.5 ? std::fabs(g.log_p - std::log(u)) : std::fabs(g.log_q - std::log1p(-u));
    // log P is a sum of terms as large as a |log x| + x: its rounding sets the floor.
    const double tol = 1e-13 + 4e-16 * (a * std::fabs(std::log(x)) + x + std::lgamma(a + 1));
    EXPECT_LT(err, tol) << "a=" << a << " u=" << u << " x=" << x;
  }
}

TEST(IncompleteGamma, SeriesAndContinuedFractionAgreeAtTheSwitch) {
  for (double a : {0.01, 0.2, 1.0, 3.7, 25.0, 300.0}) {
    for (double x : {a + 0.5, a + 1.0, a + 2.0}) {
      double S, dS, C, dC;
      gamma_series(a, x, &S, &dS);
      gamma_contfrac(a, x, &C, &dC);
      double lx = std::log(x);
      double P = std::exp(a * lx - x - std::lgamma(a + 1) + std::log(S));
      double Q = std::exp(a * lx - x - std::lgamma(a) + std::log(C));
      // The prefactor exp(a log x - x - lgamma) carries the rounding of its largest term.
      const double tol = 1e-14 + 4e-16 * (a * std::fabs(lx) + x + std::lgamma(a + 1));
      EXPECT_NEAR(P + Q, 1.0, tol) << "a=" << a << " x=" << x;
      double via_series = -(x / a) * (S * (lx - digamma(a + 1)) + dS);
      double via_contfrac = x * (C * (lx - digamma(a)) + dC);
      EXPECT_LT(rel_err(via_series, via_contfrac), 1e-11) << "a=" << a << " x=" << x;
    }
  }
}

TEST(GammaInverseCdf, GradientMatchesFiniteDifference) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> log_a(std::log(0.02), std::log(2000.0)), unit(0, 1);
  double worst = 0;
  int checked = 0;
  for (int k = 0; k < 3000; ++k) {
    double a = std::exp(log_a(rng)), u = unit(rng);
    double x, d;
    gamma_inverse_cdf(a, u, &x, &d);
    if (x < 1e-250) continue;
    const double h = 1e-6 * a;
    double xp, xm, unused;
    gamma_inverse_cdf(a + h, u, &xp, &unused);
    gamma_inverse_cdf(a - h, u, &xm, &unused);
    double fd = (xp - xm) / (2 * h);
    double err = rel_err(d, fd);
    worst = std::fmax(worst, err);
    ++checked;
    EXPECT_LT(err, 1e-6) << "a=" << a << " u=" << u << " x=" << x << " dx/da=" << d << " fd=" << fd;
  }
  EXPECT_GT(checked, 2500);
  std::printf("gamma dx/da vs central FD over %d points: worst rel err %.2e\n", checked, worst);
}

TEST(GammaInverseCdf, FloatAgreesWithDouble) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> log_a(std::log(0.1), std::log(300.0));
  std::uniform_real_distribution<float> unit(0.001f, 0.999f);
  double worst_x = 0, worst_d = 0;
  for (int k = 0; k < 2000; ++k) {
    float a = (float)std::exp(log_a(rng)), u = unit(rng);
    float xf, df;
    double xd, dd;
    gamma_inverse_cdf<float>(a, u, &xf, &df);
    gamma_inverse_cdf<double>(a, u, &xd, &dd);
    if (xd < 1e-30) continue;
    worst_x = std::fmax(worst_x, rel_err(xf, xd));
    worst_d = std::fmax(worst_d, rel_err(df, dd));
  }
  std::printf("float32 vs float64 gamma inverse: worst rel err x %.2e, dx/da %.2e\n", worst_x,
              worst_d);
  EXPECT_LT(worst_x, 1e-4);
  EXPECT_LT(worst_d, 1e-3);
}

TEST(GammaInverseCdf, TinyShapeGivesZeroOrFiniteValues) {
  for (double u : {1e-15, 0.3, 0.9, 0.999, 1 - 1e-15}) {
    double x, d;
    gamma_inverse_cdf(1e-10, u, &x, &d);
    EXPECT_TRUE(std::isfinite(x) && std::isfinite(d)) << "u=" << u;
    EXPECT_GE(x, 0.0);
  }
}

}  // namespace
