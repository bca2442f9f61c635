// The fixed-point finder on maps whose fixed points, Jacobians and stability are known.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "runtime/vwm/analysis/fixed_point_finder.hpp"

namespace rnnjit::vwm {
namespace {

// f(x) = A x + b, A upper triangular (its eigenvalues are its diagonal).
FixedPointCallbacks linear_map(const std::vector<double>& A, const std::vector<double>& b) {
  const int64_t n = static_cast<int64_t>(b.size());
  FixedPointCallbacks f;
  f.n = n;
  f.step = [=](const std::vector<double>& X, int64_t K, std::vector<double>& FX) {
    FX.assign(K * n, 0.0);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t i = 0; i < n; ++i) {
        double s = b[i];
        for (int64_t j = 0; j < n; ++j) s += A[i * n + j] * X[k * n + j];
        FX[k * n + i] = s;
      }
  };
  f.vjp = [=](const std::vector<double>&, const std::vector<double>& V, int64_t K,
              std::vector<double>& out) {
    out.assign(K * n, 0.0);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t i = 0; i < n; ++i) out[k * n + j] += V[k * n + i] * A[i * n + j];
  };
  return f;
}

std::vector<double> random_states(int64_t K, int64_t n, double lo, double hi, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> X(K * n);
  for (auto& v : X) v = u(g);
  return X;
}

void check_linear(const std::vector<double>& diag, bool stable) {
  const int64_t n = static_cast<int64_t>(diag.size());
  std::mt19937_64 g(4);
  std::normal_distribution<double> nrm(0.0, 0.3);
  std::vector<double> A(n * n, 0.0), b(n);
  for (int64_t i = 0; i < n; ++i) {
    A[i * n + i] = diag[i];
    for (int64_t j = i + 1; j < n; ++j) A[i * n + j] = nrm(g);
    b[i] = nrm(g) * 3;
  }
  // x* = (I - A)^{-1} b by back substitution.
  std::vector<double> xs(n);
  for (int64_t i = n - 1; i >= 0; --i) {
    double s = b[i];
    for (int64_t j = i + 1; j < n; ++j) s += A[i * n + j] * xs[j];
    xs[i] = s / (1 - A[i * n + i]);
  }
  const auto f = linear_map(A, b);
  FixedPointOptions opt;
  opt.q_tol = 1e-16;
  opt.lr_init = 0.05;
  const FixedPointReport rep = find_fixed_points(f, random_states(16, n, -5, 5, 9), 16, opt);
  ASSERT_EQ(rep.points.size(), 1u) << "unconverged " << rep.unconverged;
  EXPECT_EQ(rep.unconverged, 0);
  EXPECT_EQ(rep.points[0].hits, 16);
  for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(rep.points[0].x[i], xs[i], 1e-6);
  for (int64_t i = 0; i < n * n; ++i) EXPECT_NEAR(rep.points[0].jacobian[i], A[i], 1e-14);
  std::vector<double> want(diag);
  std::sort(want.begin(), want.end(), [](double a, double b) { return std::abs(a) > std::abs(b); });
  ASSERT_EQ(rep.points[0].eigenvalues.size(), diag.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(rep.points[0].eigenvalues[i].real(), want[i], 1e-10);
    EXPECT_NEAR(rep.points[0].eigenvalues[i].imag(), 0, 1e-10);
  }
  EXPECT_EQ(rep.points[0].stable, stable);
}

TEST(FixedPoints, LinearMapStable) {
  check_linear({0.5, -0.3, 0.9, 0.1}, true);
}
TEST(FixedPoints, LinearMapUnstable) {
  check_linear({0.5, 1.5, -0.2}, false);
}

// f_i(x) = 2 tanh(x_i) in 2-D: nine fixed points {-a, 0, a}^2 with a = 2 tanh(a); J = diag(2
// sech^2 x_i), so only the four corners (+-a, +-a) are stable.
TEST(FixedPoints, SeparableTanhMapHasNineFixedPoints) {
  FixedPointCallbacks f;
  f.n = 2;
  f.step = [](const std::vector<double>& X, int64_t K, std::vector<double>& FX) {
    FX.resize(K * 2);
    for (int64_t j = 0; j < K * 2; ++j) FX[j] = 2 * std::tanh(X[j]);
  };
  f.vjp = [](const std::vector<double>& X, const std::vector<double>& V, int64_t K,
             std::vector<double>& out) {
    out.resize(K * 2);
    for (int64_t j = 0; j < K * 2; ++j) {
      const double t = std::tanh(X[j]);
      out[j] = V[j] * 2 * (1 - t * t);
    }
  };
  double a = 2;
  for (int i = 0; i < 100; ++i) a = 2 * std::tanh(a);
  FixedPointOptions opt;
  opt.q_tol = 1e-18;
  opt.dedup_tol = 1e-4;
  opt.max_iters = 4000;
  const FixedPointReport rep = find_fixed_points(f, random_states(300, 2, -3, 3, 5), 300, opt);
  EXPECT_EQ(rep.unconverged, 0);
  ASSERT_EQ(rep.points.size(), 9u);
  int stable = 0;
  for (const auto& p : rep.points) {
    for (double v : p.x) {
      const double snapped = std::abs(v) < a / 2 ? 0.0 : (v > 0 ? a : -a);
      EXPECT_NEAR(v, snapped, 1e-7);
    }
    const bool corner = std::abs(p.x[0]) > 1 && std::abs(p.x[1]) > 1;
    EXPECT_EQ(p.stable, corner);
    stable += p.stable;
    EXPECT_NEAR(p.jacobian[1], 0, 1e-15);
    EXPECT_NEAR(p.jacobian[0], 2 * (1 - std::tanh(p.x[0]) * std::tanh(p.x[0])), 1e-12);
  }
  EXPECT_EQ(stable, 4);
  EXPECT_EQ(rep.duplicates, 300 - 9);
}

TEST(FixedPoints, OutliersAndUnconvergedStatesAreReportedNotReturned) {
  // f(x) = x + 1 has no fixed point: nothing converges.
  FixedPointCallbacks f;
  f.n = 1;
  f.step = [](const std::vector<double>& X, int64_t K, std::vector<double>& FX) {
    FX.resize(K);
    for (int64_t k = 0; k < K; ++k) FX[k] = X[k] + 1;
  };
  f.vjp = [](const std::vector<double>&, const std::vector<double>& V, int64_t K,
             std::vector<double>& out) { out.assign(V.begin(), V.begin() + K); };
  FixedPointOptions opt;
  opt.max_iters = 50;
  auto rep = find_fixed_points(f, {0.0, 1.0, 2.0}, 3, opt);
  EXPECT_TRUE(rep.points.empty());
  EXPECT_EQ(rep.unconverged, 3);

  // f(x) = 0.5 x + 50: the fixed point 100 is far from initial states spread around 0 by 1.
  const auto g = linear_map({0.5}, {50.0});
  opt.max_iters = 20000;
  opt.lr_init = 1.0;
  opt.outlier_distance_scale = 10;
  rep = find_fixed_points(g, {-1.0, 1.0}, 2, opt);
  EXPECT_TRUE(rep.points.empty());
  EXPECT_EQ(rep.outliers, 2);
  opt.outlier_distance_scale = 0;  // off
  rep = find_fixed_points(g, {-1.0, 1.0}, 2, opt);
  ASSERT_EQ(rep.points.size(), 1u);
  EXPECT_NEAR(rep.points[0].x[0], 100, 1e-5);
}

TEST(FixedPoints, EigenvaluesOfARotationAreAComplexPair) {
  const double c = std::cos(0.3) * 0.9, s = std::sin(0.3) * 0.9;
  const auto ev = real_eigenvalues({c, -s, s, c}, 2);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_NEAR(std::abs(ev[0]), 0.9, 1e-14);
  EXPECT_NEAR(std::abs(ev[0].imag()), s, 1e-14);
  EXPECT_NEAR(ev[0].imag(), -ev[1].imag(), 1e-14);
}

TEST(Pca, FindsTheLineThePointsLieOn) {
  std::vector<double> X;
  for (int i = 0; i < 50; ++i) {
    const double t = i - 25.0;
    X.insert(X.end(), {1 + 0.6 * t, 2 + 0.8 * t, 3.0});
  }
  const Pca p = pca(X, 50, 3, 2);
  EXPECT_NEAR(std::abs(p.components[0]), 0.6, 1e-12);
  EXPECT_NEAR(std::abs(p.components[1]), 0.8, 1e-12);
  EXPECT_NEAR(p.variance[1], 0, 1e-10);
  EXPECT_NEAR(std::abs(p.projected[0]), 24.5, 1e-10);  // t = -25 minus the mean -0.5
}

}  // namespace
}  // namespace rnnjit::vwm
