#include "runtime/ring/av_data.hpp"

#include "runtime/core/seed_mix.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace rnnjit::train::ring {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// Uniform in [0, 1) from the top 53 bits: the same on every standard library (unlike
// std::uniform_real_distribution, whose algorithm is unspecified).
double uniform01(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1.0p-53;
}

}  // namespace

AvBatch generate_av_batch(const AvTaskConfig& cfg, int64_t batch, uint64_t seed, uint64_t stream) {
  if (cfg.seq_len < 1 || batch < 1)
    throw std::invalid_argument("av task: batch and seq_len must be >= 1");
  if (cfg.zero_ratios.empty())
    throw std::invalid_argument("av task: zero_ratios must not be empty");
  std::mt19937_64 g(splitmix64(splitmix64(seed) ^ stream));
  const int64_t T = cfg.seq_len;
  AvBatch d;
  d.batch = batch;
  d.seq_len = T;
  d.av.assign(static_cast<size_t>(batch * T), 0.0);
  d.angle.assign(static_cast<size_t>(batch * T), 0.0);
  d.theta0.resize(static_cast<size_t>(batch));
  const auto n_start = static_cast<int64_t>(static_cast<double>(T) * cfg.start_zero_ratio);
  const int64_t len_rest = T - n_start;
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(len_rest, 0)));
  for (int64_t b = 0; b < batch; ++b) {
    const double theta0 = uniform01(g) * kTwoPi;
    d.theta0[static_cast<size_t>(b)] = theta0;
    const double z = cfg.zero_ratios[static_cast<size_t>(g() % cfg.zero_ratios.size())];
    const int64_t n_nonzero = len_rest - static_cast<int64_t>(static_cast<double>(len_rest) * z);
    // A uniformly random set of n_nonzero positions: the first n_nonzero of a Fisher-Yates shuffle.
    for (int64_t i = 0; i < len_rest; ++i) order[static_cast<size_t>(i)] = i;
    for (int64_t i = len_rest - 1; i > 0; --i)
      std::swap(order[static_cast<size_t>(i)],
                order[static_cast<size_t>(g() % static_cast<uint64_t>(i + 1))]);
    double* av = d.av.data() + b * T;
    for (int64_t i = 0; i < n_nonzero; ++i)
      av[n_start + order[static_cast<size_t>(i)]] = (uniform01(g) * 2.0 - 1.0) * cfg.max_av;
    double* angle = d.angle.data() + b * T;
    double acc = theta0;
    angle[0] = theta0;
    for (int64_t t = 1; t < T; ++t) {
      acc += av[t - 1];
      double a = std::fmod(acc, kTwoPi);
      if (a < 0) a += kTwoPi;
      angle[t] = a;
    }
  }
  return d;
}

std::vector<double> base_gates(const AvBatch& d, int64_t k, GateMode mode) {
  if (k < 1) throw std::invalid_argument("ring gates: K must be >= 1");
  std::vector<double> a(static_cast<size_t>(d.batch * d.seq_len * k), 0.0);
  for (int64_t i = 0; i < d.batch * d.seq_len; ++i) {
    const double v = d.av[static_cast<size_t>(i)];
    double* out = a.data() + i * k;
    if (k == 1) {
      out[0] = std::abs(v);
    } else if (mode == GateMode::LeftRight || k == 2) {
      out[0] = std::max(-v, 0.0);
      out[1] = std::max(v, 0.0);
    } else {
      for (int64_t c = 0; c < k; ++c) {
        const double s = -1.0 + 2.0 * static_cast<double>(c) / static_cast<double>(k - 1);
        out[c] = std::max(v * s, 0.0);
      }
    }
  }
  return a;
}

Tensor initial_bump(const std::vector<double>& theta0, int64_t n, double width_factor) {
  const auto b = static_cast<int64_t>(theta0.size());
  Tensor r(DType::F64, {b, n});
  double* p = r.data<double>();
  const double width = static_cast<double>(n) / width_factor;
  for (int64_t i = 0; i < b; ++i) {
    const double centre = theta0[static_cast<size_t>(i)] * static_cast<double>(n) / kTwoPi;
    double norm2 = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      const double d0 = std::abs(static_cast<double>(j) - centre);
      const double dist = std::min(d0, static_cast<double>(n) - d0);
      const double v = std::exp(-dist * dist / (2.0 * width * width));
      p[i * n + j] = v;
      norm2 += v * v;
    }
    const double inv = 1.0 / std::sqrt(norm2);
    for (int64_t j = 0; j < n; ++j) p[i * n + j] *= inv;
  }
  return r;
}

AvBatch slice(const AvBatch& d, int64_t first, int64_t last) {
  if (first < 0 || last > d.batch || first > last)
    throw std::invalid_argument("av task: trials [" + std::to_string(first) + ", " +
                                std::to_string(last) + ") of a batch of " +
                                std::to_string(d.batch));
  AvBatch out;
  out.batch = last - first;
  out.seq_len = d.seq_len;
  const auto T = static_cast<ptrdiff_t>(d.seq_len);
  out.av.assign(d.av.begin() + first * T, d.av.begin() + last * T);
  out.angle.assign(d.angle.begin() + first * T, d.angle.begin() + last * T);
  out.theta0.assign(d.theta0.begin() + first, d.theta0.begin() + last);
  return out;
}

}  // namespace rnnjit::train::ring
