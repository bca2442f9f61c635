#include "runtime/vwm/analysis/circular_stats.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>

namespace rnnjit::vwm {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kBesselSwitch = 500;  // above: the asymptotic series (std::cyl_bessel_i overflows)

// Nelder-Mead on a function of two variables; returns the minimiser, `iters` the steps taken.
std::array<double, 2> nelder_mead(const std::function<double(double, double)>& f,
                                  std::array<double, 2> start, double step, int* iters) {
  std::array<std::array<double, 2>, 3> p = {start, start, start};
  p[1][0] += step;
  p[2][1] += step;
  std::array<double, 3> v;
  for (int i = 0; i < 3; ++i) v[i] = f(p[i][0], p[i][1]);
  int it = 0;
  for (; it < 2000; ++it) {
    std::array<int, 3> o = {0, 1, 2};
    std::sort(o.begin(), o.end(), [&](int a, int b) { return v[a] < v[b]; });
    const int best = o[0], mid = o[1], worst = o[2];
    if (std::abs(v[worst] - v[best]) <= 1e-12 * (1 + std::abs(v[best])) &&
        std::hypot(p[worst][0] - p[best][0], p[worst][1] - p[best][1]) < 1e-9)
      break;
    const std::array<double, 2> c = {(p[best][0] + p[mid][0]) / 2, (p[best][1] + p[mid][1]) / 2};
    auto along = [&](double t) {
      return std::array<double, 2>{c[0] + t * (p[worst][0] - c[0]),
                                   c[1] + t * (p[worst][1] - c[1])};
    };
    const auto xr = along(-1);
    const double fr = f(xr[0], xr[1]);
    if (fr < v[best]) {
      const auto xe = along(-2);
      const double fe = f(xe[0], xe[1]);
      if (fe < fr) {
        p[worst] = xe;
        v[worst] = fe;
      } else {
        p[worst] = xr;
        v[worst] = fr;
      }
    } else if (fr < v[mid]) {
      p[worst] = xr;
      v[worst] = fr;
    } else {
      const auto xc = fr < v[worst] ? along(-0.5) : along(0.5);
      const double fc = f(xc[0], xc[1]);
      if (fc < std::min(fr, v[worst])) {
        p[worst] = xc;
        v[worst] = fc;
      } else {  // shrink towards the best point
        for (int i : {mid, worst}) {
          p[i] = {(p[i][0] + p[best][0]) / 2, (p[i][1] + p[best][1]) / 2};
          v[i] = f(p[i][0], p[i][1]);
        }
      }
    }
  }
  *iters = it;
  int b = 0;
  for (int i = 1; i < 3; ++i)
    if (v[i] < v[b]) b = i;
  return p[b];
}

// Into [-pi, pi), where the mixtures are normalised.
double wrap_for_fit(double x) {
  double y = std::fmod(x + kPi, 2 * kPi);
  if (y < 0) y += 2 * kPi;
  return y - kPi;
}

double logistic(double a) {
  return 1 / (1 + std::exp(-a));
}
double logit(double w) {
  return std::log(w / (1 - w));
}

// Inverse of A(kappa) = R (the von Mises MLE of kappa from a mean resultant), Best & Fisher's
// approximation refined by Newton (A'(k) = 1 - A/k - A^2).
double a_inverse(double R) {
  R = std::clamp(R, 1e-9, 1 - 1e-9);
  double k = R < 0.53 ? 2 * R + R * R * R + 5 * std::pow(R, 5) / 6
                      : (R < 0.85 ? -0.4 + 1.39 * R + 0.43 / (1 - R)
                                  : 1 / (R * R * R - 4 * R * R + 3 * R));
  for (int i = 0; i < 20; ++i) {
    const double a = bessel_ratio_a(k);
    const double d = 1 - a / k - a * a;
    if (d <= 0) break;
    const double kn = k - (a - R) / d;
    if (!(kn > 0)) break;
    if (std::abs(kn - k) < 1e-12 * k) {
      k = kn;
      break;
    }
    k = kn;
  }
  return k;
}

void finish(MixtureFit& fit, int64_t n) {
  fit.aic = 2 * 2 - 2 * fit.log_likelihood;
  fit.bic = 2 * std::log(static_cast<double>(n)) - 2 * fit.log_likelihood;
}

}  // namespace

CircularStats circular_stats(const std::vector<double>& x) {
  CircularStats s;
  s.n = static_cast<int64_t>(x.size());
  if (x.empty()) return s;
  double c1 = 0, s1 = 0, c2 = 0, s2 = 0;
  for (double v : x) {
    c1 += std::cos(v);
    s1 += std::sin(v);
    c2 += std::cos(2 * v);
    s2 += std::sin(2 * v);
  }
  const double n = static_cast<double>(x.size());
  c1 /= n, s1 /= n, c2 /= n, s2 /= n;
  const double R1 = std::hypot(c1, s1), R2 = std::hypot(c2, s2);
  const double mu1 = std::atan2(s1, c1), mu2 = std::atan2(s2, c2);
  s.mean = mu1;
  s.resultant = R1;
  s.variance = 1 - R1;
  s.sd = R1 > 0 ? std::sqrt(-2 * std::log(R1)) : std::numeric_limits<double>::infinity();
  s.kurtosis =
      R1 < 1 ? (R2 * std::cos(mu2 - 2 * mu1) - std::pow(R1, 4)) / ((1 - R1) * (1 - R1)) : 0.0;
  return s;
}

double log_bessel_i0(double k) {
  k = std::abs(k);
  if (k < kBesselSwitch) return std::log(std::cyl_bessel_i(0.0, k));
  const double ik = 1 / k;
  return k - 0.5 * std::log(2 * kPi * k) +
         std::log1p(ik / 8 + 9 * ik * ik / 128 + 225 * ik * ik * ik / 3072);
}

double bessel_ratio_a(double k) {
  if (k <= 0) return 0;
  if (k < kBesselSwitch) return std::cyl_bessel_i(1.0, k) / std::cyl_bessel_i(0.0, k);
  const double ik = 1 / k;
  return 1 - ik / 2 - ik * ik / 8 - ik * ik * ik / 8;
}

double von_mises_uniform_pdf(double x, double w, double kappa) {
  return w * std::exp(kappa * std::cos(x) - log_bessel_i0(kappa)) / (2 * kPi) + (1 - w) / (2 * kPi);
}

double gaussian_uniform_pdf(double x, double w, double sigma) {
  const double z = std::erf(kPi / (sigma * std::sqrt(2.0)));  // mass of N(0, sigma) in [-pi, pi]
  const double g = std::exp(-0.5 * x * x / (sigma * sigma)) / (sigma * std::sqrt(2 * kPi) * z);
  return w * g + (1 - w) / (2 * kPi);
}

MixtureFit fit_von_mises_uniform(const std::vector<double>& x) {
  MixtureFit fit;
  if (x.empty()) return fit;
  std::vector<double> e(x.size());
  for (size_t i = 0; i < x.size(); ++i) e[i] = wrap_for_fit(x[i]);
  auto nll = [&](double a, double lk) {
    const double w = logistic(a), k = std::exp(lk);
    const double lz = log_bessel_i0(k);  // once per evaluation, not per sample
    double s = 0;
    for (double v : e)
      s -= std::log(w * std::exp(k * std::cos(v) - lz) / (2 * kPi) + (1 - w) / (2 * kPi));
    return s;
  };
  const CircularStats st = circular_stats(e);
  const double k0 = std::max(0.1, a_inverse(std::max(st.resultant, 0.05)));
  int it = 0;
  auto best = nelder_mead(nll, {logit(0.9), std::log(k0)}, 0.5, &it);
  fit.weight = logistic(best[0]);
  fit.kappa = std::exp(best[1]);
  const double a = bessel_ratio_a(fit.kappa);
  fit.sigma = a > 0 ? std::sqrt(-2 * std::log(a)) : std::numeric_limits<double>::infinity();
  fit.log_likelihood = -nll(best[0], best[1]);
  fit.iterations = it;
  finish(fit, static_cast<int64_t>(x.size()));
  return fit;
}

MixtureFit fit_gaussian_uniform(const std::vector<double>& x) {
  MixtureFit fit;
  if (x.empty()) return fit;
  std::vector<double> e(x.size());
  for (size_t i = 0; i < x.size(); ++i) e[i] = wrap_for_fit(x[i]);
  auto nll = [&](double a, double ls) {
    const double w = logistic(a), s = std::exp(ls);
    const double z = std::erf(kPi / (s * std::sqrt(2.0))) * s * std::sqrt(2 * kPi);
    double sum = 0;
    for (double v : e)
      sum -= std::log(w * std::exp(-0.5 * v * v / (s * s)) / z + (1 - w) / (2 * kPi));
    return sum;
  };
  const CircularStats st = circular_stats(e);
  const double s0 = std::clamp(std::isfinite(st.sd) ? st.sd : 1.0, 0.01, 2.0);
  int it = 0;
  auto best = nelder_mead(nll, {logit(0.9), std::log(s0)}, 0.5, &it);
  fit.weight = logistic(best[0]);
  fit.sigma = std::exp(best[1]);
  fit.kappa = 1 / (fit.sigma * fit.sigma);  // the von Mises with the same small-angle width
  fit.log_likelihood = -nll(best[0], best[1]);
  fit.iterations = it;
  finish(fit, static_cast<int64_t>(x.size()));
  return fit;
}

}  // namespace rnnjit::vwm
