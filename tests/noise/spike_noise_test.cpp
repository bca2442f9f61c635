// The three vwm_rnn spike-noise models: dz/dr against float64 central finite differences at fixed
// counters, moments against closed forms, reproducibility, and the [B,N] helper.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/noise_kind.hpp"
#include "math/noise_math.hpp"

namespace {

using namespace rnnjit::noise;

constexpr double kPi = 3.14159265358979323846;
double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}
double normal_pdf(double x) {
  return std::exp(-0.5 * x * x) / std::sqrt(2 * kPi);
}

struct Draw {
  double z, dz;
};
Draw draw(NoiseKind kind, double r, double k, double dt, u64 seed, u32 t, u32 b, u32 i) {
  Draw d;
  spike_noise<double>(kind, r, k, dt, seed, kStreamRecurrent, t, b, i, &d.z, &d.dz);
  return d;
}

// Central differences of z(r) at fixed counters over log-uniform r in [r_lo, r_hi]; points where
// the relu switches inside [r - h, r + h] are skipped, points where it is off must have dz/dr = 0.
double check_gradient(NoiseKind kind, double k, double dt, double r_lo, double r_hi, int points,
                      int* checked_out) {
  std::mt19937_64 rng(1234 + (int)kind);
  std::uniform_real_distribution<double> log_r(std::log(r_lo), std::log(r_hi));
  std::uniform_int_distribution<u32> word;
  double worst = 0;
  int checked = 0;
  for (int p = 0; p < points; ++p) {
    const double r = std::exp(log_r(rng));
    const u64 seed = ((u64)word(rng) << 32) | word(rng);
    const u32 t = word(rng) % 1000, b = word(rng) % 512, i = word(rng) % 256;
    const double h = 1e-6 * r;
    Draw mid = draw(kind, r, k, dt, seed, t, b, i);
    Draw up = draw(kind, r + h, k, dt, seed, t, b, i);
    Draw dn = draw(kind, r - h, k, dt, seed, t, b, i);
    EXPECT_TRUE(std::isfinite(mid.z) && std::isfinite(mid.dz)) << "r=" << r;
    if (mid.z == 0 && up.z == 0 && dn.z == 0) {
      EXPECT_EQ(mid.dz, 0.0) << "relu off at r=" << r;
      continue;
    }
    if (mid.z == 0 || up.z == 0 || dn.z == 0) continue;  // the kink is inside the stencil
    if (mid.z < 1e-250) continue;                        // gamma draw at the underflow edge
    const double fd = (up.z - dn.z) / (2 * h);
    const double err = std::fabs(mid.dz - fd) / std::fmax(std::fabs(fd), 1e-300);
    EXPECT_LT(err, 1e-6) << "kind=" << (int)kind << " r=" << r << " z=" << mid.z
                         << " dz/dr=" << mid.dz << " fd=" << fd;
    worst = std::fmax(worst, err);
    ++checked;
  }
  *checked_out = checked;
  return worst;
}

TEST(SpikeNoiseGradient, GammaShapesFromSmallToLarge) {
  int n1, n2;
  // k = 0.05, dt = 10: lam = 4, shape r*4 from 0.02 to 1200.
  double w1 = check_gradient(NoiseKind::Gamma, 0.05, 10.0, 0.005, 300.0, 3000, &n1);
  // k = 0.5, dt = 10: lam = 0.04, shape from 0.02 to 4 (mostly below 1: the skewed regime).
  double w2 = check_gradient(NoiseKind::Gamma, 0.5, 10.0, 0.5, 100.0, 3000, &n2);
  EXPECT_GT(n1, 2500);
  EXPECT_GT(n2, 2500);
  std::printf("gamma dz/dr vs FD: worst rel err %.2e (%d pts, lam 4), %.2e (%d pts, lam 0.04)\n",
              w1, n1, w2, n2);
}

TEST(SpikeNoiseGradient, Gauss) {
  int n;
  double w = check_gradient(NoiseKind::Gauss, 0.05, 10.0, 1e-3, 60.0, 3000, &n);
  EXPECT_GT(n, 2000);
  std::printf("gauss dz/dr vs FD: worst rel err %.2e (%d pts)\n", w, n);
  w = check_gradient(NoiseKind::Gauss, 0.3, 20.0, 1e-3, 60.0, 3000, &n);
  EXPECT_GT(n, 1000);
}

TEST(SpikeNoiseGradient, PureGauss) {
  int n;
  double w = check_gradient(NoiseKind::PureGauss, 0.05, 10.0, 1e-3, 60.0, 3000, &n);
  EXPECT_GT(n, 1000);
  std::printf("puregauss dz/dr vs FD: worst rel err %.2e (%d pts)\n", w, n);
}

TEST(SpikeNoiseGradient, GammaBelowTheShapeFloorHasNoGradient) {
  // r * lam <= 1e-10: the shape is clamped, da/dr = 0.
  for (u32 i = 0; i < 100; ++i) {
    Draw d = draw(NoiseKind::Gamma, 1e-12, 0.05, 10.0, 99, 1, 2, i);
    EXPECT_EQ(d.dz, 0.0);
    EXPECT_TRUE(std::isfinite(d.z) && d.z >= 0);
  }
}

// Running mean of a statistic and its standard error estimated from the sample.
struct Moment {
  double s = 0, s2 = 0;
  void add(double v) { s += v, s2 += v * v; }
  double mean(int n) const { return s / n; }
  double se(int n) const { return std::sqrt(std::fmax(s2 / n - mean(n) * mean(n), 0.0) / n); }
};

void expect_moments(NoiseKind kind, double r, double k, double dt, double mean, double second,
                    double mean_slope) {
  const int n = 100000;
  Moment m1, m2, g;
  for (u32 j = 0; j < (u32)n; ++j) {
    Draw d = draw(kind, r, k, dt, 2024, j % 202, j / 202, j % 7);
    m1.add(d.z), m2.add(d.z * d.z), g.add(d.dz);
  }
  EXPECT_NEAR(m1.mean(n), mean, 5 * m1.se(n)) << "kind=" << (int)kind << " r=" << r;
  EXPECT_NEAR(m2.mean(n), second, 5 * m2.se(n)) << "kind=" << (int)kind << " r=" << r;
  // The reparametrisation gradient is unbiased: E[dz/dr] = d E[z] / dr. (10/n covers the case
  // where the relu is almost never off, so the sample shows no spread at all.)
  EXPECT_NEAR(g.mean(n), mean_slope, 5 * g.se(n) + 10.0 / n) << "kind=" << (int)kind << " r=" << r;
}

TEST(SpikeNoiseDistribution, GammaMeanVarianceAndMeanSlope) {
  struct Case {
    double r, k, dt;
  };
  for (Case c : {Case{10.0, 0.05, 10.0}, Case{0.3, 0.05, 10.0}, Case{5.0, 0.5, 10.0},
                 Case{60.0, 0.05, 10.0}}) {
    const double lam = (c.dt / 1000) / (c.k * c.k);
    expect_moments(NoiseKind::Gamma, c.r, c.k, c.dt, c.r, c.r / lam + c.r * c.r, 1.0);
  }
}

TEST(SpikeNoiseDistribution, GaussIsARectifiedNormal) {
  for (double r : {0.2, 3.0}) {
    const double k = 0.05, dt = 10.0, scale = 1000 / dt;
    const double s = k * std::sqrt(r * scale + 1e-10), ds = k * scale / (2 * s / k);
    const double q = r / s;
    const double mean = r * normal_cdf(q) + s * normal_pdf(q);
    const double second = (r * r + s * s) * normal_cdf(q) + r * s * normal_pdf(q);
    // d/dr of the mean through m = r and s(r): dE/dm = Phi(q), dE/ds = phi(q).
    expect_moments(NoiseKind::Gauss, r, k, dt, mean, second, normal_cdf(q) + normal_pdf(q) * ds);
  }
}

TEST(SpikeNoiseDistribution, PureGaussIsARectifiedNormal) {
  for (double r : {0.5, 4.0}) {
    const double k = 0.05, s = 15 * k, q = r / s;
    const double mean = r * normal_cdf(q) + s * normal_pdf(q);
    const double second = (r * r + s * s) * normal_cdf(q) + r * s * normal_pdf(q);
    expect_moments(NoiseKind::PureGauss, r, k, 10.0, mean, second, normal_cdf(q));
  }
}

TEST(SpikeNoise, NoneIsIdentity) {
  Draw d = draw(NoiseKind::None, 3.25, 0.05, 10.0, 1, 2, 3, 4);
  EXPECT_EQ(d.z, 3.25);
  EXPECT_EQ(d.dz, 1.0);
}

TEST(SpikeNoise, ReproducibleAndSensitiveToEveryCounterField) {
  for (NoiseKind kind : {NoiseKind::Gamma, NoiseKind::Gauss, NoiseKind::PureGauss}) {
    const double r = 7.5, k = 0.05, dt = 10.0;
    double z0, z1, g0, g1;
    spike_noise(kind, r, k, dt, 77, 0, 5, 6, 7, &z0, &g0);
    spike_noise(kind, r, k, dt, 77, 0, 5, 6, 7, &z1, &g1);
    EXPECT_EQ(z0, z1);
    EXPECT_EQ(g0, g1);
    double other[5], unused;
    spike_noise(kind, r, k, dt, 78, 0, 5, 6, 7, &other[0], &unused);  // seed
    spike_noise(kind, r, k, dt, 77, 1, 5, 6, 7, &other[1], &unused);  // stream
    spike_noise(kind, r, k, dt, 77, 0, 4, 6, 7, &other[2], &unused);  // t
    spike_noise(kind, r, k, dt, 77, 0, 5, 5, 7, &other[3], &unused);  // b
    spike_noise(kind, r, k, dt, 77, 0, 5, 6, 8, &other[4], &unused);  // i
    for (int f = 0; f < 5; ++f) EXPECT_NE(other[f], z0) << "kind=" << (int)kind << " field " << f;
  }
}

TEST(SpikeNoise, FloatFollowsDouble) {
  // Float draws use 24 of the 53 uniform bits, so compare loosely.
  for (NoiseKind kind : {NoiseKind::Gamma, NoiseKind::Gauss, NoiseKind::PureGauss}) {
    for (u32 i = 0; i < 200; ++i) {
      const double r = 0.5 + 0.25 * i;
      double zd, gd;
      float zf, gf;
      spike_noise<double>(kind, r, 0.05, 10.0, 9, 0, 1, 2, i, &zd, &gd);
      spike_noise<float>(kind, (float)r, 0.05f, 10.0f, 9, 0, 1, 2, i, &zf, &gf);
      EXPECT_NEAR(zf, zd, 1e-4 * (1 + std::fabs(zd))) << "kind=" << (int)kind << " i=" << i;
      EXPECT_NEAR(gf, gd, 1e-3 * (1 + std::fabs(gd))) << "kind=" << (int)kind << " i=" << i;
    }
  }
}

TEST(SpikeNoiseStep, MatchesElementwiseCalls) {
  const int B = 3, N = 17;
  std::vector<double> r(B * N), z(B * N), dz(B * N), z_only(B * N);
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> rate(0.01, 40.0);
  for (double& v : r) v = rate(rng);
  spike_noise_step<double>(NoiseKind::Gamma, r.data(), z.data(), dz.data(), B, N, 0.05, 10.0, 5,
                           kStreamReadout, 12);
  spike_noise_step<double>(NoiseKind::Gamma, r.data(), z_only.data(), nullptr, B, N, 0.05, 10.0, 5,
                           kStreamReadout, 12);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < N; ++i) {
      double ze, ge;
      spike_noise<double>(NoiseKind::Gamma, r[b * N + i], 0.05, 10.0, 5, kStreamReadout, 12, b, i,
                          &ze, &ge);
      EXPECT_EQ(z[b * N + i], ze);
      EXPECT_EQ(dz[b * N + i], ge);
      EXPECT_EQ(z_only[b * N + i], ze);
    }
}

TEST(NoiseKindMapping, RoundTripsWithTheIr) {
  using rnnjit::ir::Noise;
  for (Noise n : {Noise::None, Noise::Gamma, Noise::Gauss, Noise::PureGauss}) {
    EXPECT_EQ(to_ir_noise(to_noise_kind(n)), n);
    EXPECT_EQ((int)to_noise_kind(n), (int)n);
  }
}

}  // namespace
