#include "runtime/vwm/analysis/snr_stats.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "math/noise_math.hpp"

namespace rnnjit::vwm {

namespace {

// tr of the unbiased covariance of n 2-D points = sum of the two unbiased variances.
double trace_cov(const std::vector<double>& xy, int64_t n) {
  if (n < 2) return 0;
  double mx = 0, my = 0;
  for (int64_t j = 0; j < n; ++j) {
    mx += xy[2 * j];
    my += xy[2 * j + 1];
  }
  mx /= n;
  my /= n;
  double v = 0;
  for (int64_t j = 0; j < n; ++j)
    v += (xy[2 * j] - mx) * (xy[2 * j] - mx) + (xy[2 * j + 1] - my) * (xy[2 * j + 1] - my);
  return v / (n - 1);
}

double ratio(double s, double n) {
  return n > 0 ? s / n : std::numeric_limits<double>::infinity();
}
double db(double x) {
  return 10 * std::log10(x);
}

}  // namespace

SnrResult snr_from_points(const std::vector<double>& points, int64_t trials, int64_t steps) {
  SnrResult r;
  const int64_t n = trials * steps;
  double sx = 0, sy = 0;
  for (int64_t j = 0; j < n; ++j) {
    sx += points[2 * j];
    sy += points[2 * j + 1];
  }
  sx /= n;
  sy /= n;
  r.signal_power = sx * sx + sy * sy;
  r.noise_power = trace_cov(points, n);
  std::vector<double> avg(2 * trials, 0.0);
  for (int64_t b = 0; b < trials; ++b)
    for (int64_t k = 0; k < steps; ++k) {
      avg[2 * b] += points[2 * (b * steps + k)] / steps;
      avg[2 * b + 1] += points[2 * (b * steps + k) + 1] / steps;
    }
  r.noise_power_avg = trace_cov(avg, trials);
  r.snr = ratio(r.signal_power, r.noise_power);
  r.snr_avg = ratio(r.signal_power, r.noise_power_avg);
  r.snr_db = db(r.snr);
  r.snr_avg_db = db(r.snr_avg);
  return r;
}

VwmBatch make_snr_batch(const VwmConfig& c, int64_t set_size, int64_t trials, uint64_t seed) {
  const int64_t M = c.max_item_num;
  std::vector<double> th(M), pr(M, 0.0);
  pr[0] = 1;
  // set_size - 1 further slots among 1..M-1 (a partial Fisher-Yates shuffle).
  std::vector<int64_t> rest;
  for (int64_t m = 1; m < M; ++m) rest.push_back(m);
  for (int64_t j = 0; j + 1 < set_size && j < static_cast<int64_t>(rest.size()); ++j) {
    const double u = noise::uniform_open<double>(noise::noise_bits(seed, 40u, 0u, 0u, j), 0);
    const int64_t n = static_cast<int64_t>(rest.size()) - j;
    const int64_t k = j + std::min<int64_t>(n - 1, static_cast<int64_t>(u * n));
    std::swap(rest[j], rest[k]);
    pr[rest[j]] = 1;
  }
  for (int64_t m = 0; m < M; ++m)
    th[m] = -std::numbers::pi +
            2 * std::numbers::pi *
                noise::uniform_open<double>(noise::noise_bits(seed, 41u, 0u, 0u, m), 0);
  std::vector<double> theta, presence;
  for (int64_t b = 0; b < trials; ++b) {
    theta.insert(theta.end(), th.begin(), th.end());
    presence.insert(presence.end(), pr.begin(), pr.end());
  }
  return make_batch_from(c, std::move(theta), std::move(presence), 0.0, seed);
}

SnrResult snr_from_rates(const Tensor& r, const Tensor& F, int64_t decode_start,
                         const ReadoutNoise& nz) {
  if (r.rank() != 3 || F.rank() != 2 || F.dim(1) != r.dim(2) || F.dim(0) < 2)
    throw ShapeError("snr_from_rates: r " + r.shape_str() + " and F " + F.shape_str() +
                     " must be [B,T,N] and [2M,N]");
  const int64_t B = r.dim(0), T = r.dim(1), N = r.dim(2), K = T - decode_start;
  if (decode_start < 0 || K < 1)
    throw ShapeError("snr_from_rates: decode window starts at " + std::to_string(decode_start) +
                     " of " + std::to_string(T) + " steps");
  std::vector<double> pts(2 * B * K, 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t t = decode_start + k;
      double p0 = 0, p1 = 0;
      for (int64_t i = 0; i < N; ++i) {
        double z = 0;
        noise::spike_noise<double>(nz.kind, r.at_f64((b * T + t) * N + i), nz.factor, nz.dt,
                                   nz.seed, noise::kStreamReadout, static_cast<unsigned>(t),
                                   static_cast<unsigned>(b), static_cast<unsigned>(i), &z, nullptr);
        p0 += F.at_f64(i) * z;
        p1 += F.at_f64(N + i) * z;
      }
      pts[2 * (b * K + k)] = p0;
      pts[2 * (b * K + k) + 1] = p1;
    }
  return snr_from_points(pts, B, K);
}

}  // namespace rnnjit::vwm
