// Error-distribution analysis (issue 6): circular statistics of angular errors and maximum-
// likelihood fits of the two mixture models used for working-memory errors (Zhang & Luck 2008).
#pragma once

#include <cstdint>
#include <vector>

namespace rnnjit::vwm {

// Moments of angles x_j (radians): m_p = mean e^{i p x}, R_p = |m_p|, mu_p = arg m_p.
//   mean            mu_1
//   resultant       R_1
//   variance        1 - R_1
//   sd              sqrt(-2 ln R_1)                  (infinite when R_1 = 0)
//   kurtosis        (R_2 cos(mu_2 - 2 mu_1) - R_1^4) / (1 - R_1)^2   (Fisher's circular kurtosis)
struct CircularStats {
  int64_t n = 0;
  double mean = 0, resultant = 0, variance = 0, sd = 0, kurtosis = 0;
};
CircularStats circular_stats(const std::vector<double>& x);

// p(x) = w f(x) + (1 - w) / (2 pi) on [-pi, pi), f centred on 0 (errors are target-relative):
//   von Mises  f = exp(kappa cos x) / (2 pi I0(kappa))
//   Gaussian   f = N(x; 0, sigma^2) renormalised to [-pi, pi) (a truncated normal)
// Maximum likelihood by Nelder-Mead over (logit w, log kappa or log sigma) from a moment start.
struct MixtureFit {
  double weight = 0;  // w, the probability that the item is in memory
  double kappa = 0;   // von Mises concentration (von Mises fit)
  double sigma = 0;   // Gaussian fit: the sd (rad); von Mises fit: sqrt(-2 ln A(kappa))
  double log_likelihood = 0;
  double aic = 0, bic = 0;  // 2 parameters
  int iterations = 0;
};
MixtureFit fit_von_mises_uniform(const std::vector<double>& x);
MixtureFit fit_gaussian_uniform(const std::vector<double>& x);

// log I0(k) for k >= 0 without overflow, and A(k) = I1(k) / I0(k).
double log_bessel_i0(double k);
double bessel_ratio_a(double k);

// The mixtures' densities (for plotting fits over histograms).
double von_mises_uniform_pdf(double x, double w, double kappa);
double gaussian_uniform_pdf(double x, double w, double sigma);

}  // namespace rnnjit::vwm
