#include "runtime/vwm/vwm_task.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "math/noise_math.hpp"

namespace rnnjit::vwm {

namespace {

constexpr double kPi = std::numbers::pi;

// A uniform in (0, 1) for (stream, counter) from the batch seed.
double uniform(uint64_t seed, unsigned stream, unsigned a, unsigned b, unsigned c = 0) {
  auto w = noise::noise_bits(seed, stream, a, b, c);
  return noise::uniform_open<double>(w, 0);
}

double normal(uint64_t seed, unsigned stream, unsigned a, unsigned b) {
  return noise::standard_normal<double>(noise::noise_bits(seed, stream, a, b, 0));
}

}  // namespace

bool Timeline::stimulus_on(int64_t k) const {
  const double t = static_cast<double>(k) * dt;
  return t >= T_init && t < T_init + T_stimi;
}

Timeline make_timeline(const VwmConfig& c) {
  Timeline tl;
  tl.dt = c.dt;
  tl.T_init = c.T_init;
  tl.T_stimi = c.T_stimi;
  tl.steps = static_cast<int64_t>((c.T_init + c.T_stimi + c.T_delay + c.T_decode) / c.dt);
  tl.decode_start = static_cast<int64_t>((c.T_init + c.T_stimi + c.T_delay) / c.dt);
  return tl;
}

std::vector<int64_t> trials_per_group(int64_t num_trials, int64_t groups) {
  std::vector<int64_t> n(groups, num_trials / groups);
  for (int64_t g = 0; g < num_trials % groups; ++g) ++n[g];
  return n;
}

void encode_item(double angle, bool positive_input, double* out) {
  const double c = std::cos(angle), s = std::sin(angle);
  if (positive_input) {
    // Three directions 120 degrees apart, offset by 1 so every channel is >= 0.
    const double r2 = std::sqrt(2.0), r6 = std::sqrt(6.0);
    out[0] = 1 + c / r2 + s / r6;
    out[1] = 1 - c / r2 + s / r6;
    out[2] = 1 - 2 * s / r6;
  } else {
    out[0] = c;
    out[1] = s;
  }
}

VwmBatch make_batch_from(const VwmConfig& c, std::vector<double> theta,
                         std::vector<double> presence, double ilc_noise, uint64_t seed,
                         DType dtype) {
  const int64_t M = c.max_item_num;
  if (theta.size() % M != 0 || theta.size() != presence.size())
    throw std::invalid_argument("make_batch_from: theta has " + std::to_string(theta.size()) +
                                " values and presence " + std::to_string(presence.size()) +
                                "; both must be [B, M] with M = " + std::to_string(M));
  const Timeline tl = make_timeline(c);
  VwmBatch b;
  b.trials = static_cast<int64_t>(theta.size()) / M;
  b.items = M;
  b.steps = tl.steps;
  b.channels = c.input_channels();
  b.theta = std::move(theta);
  b.presence = std::move(presence);
  b.group.assign(b.trials, -1);
  b.set_size.assign(b.trials, 0);
  for (int64_t i = 0; i < b.trials; ++i) {
    int64_t n = 0;
    for (int64_t m = 0; m < M; ++m) n += b.presence[i * M + m] != 0;
    b.set_size[i] = n;
    for (size_t g = 0; g < c.item_num.size(); ++g)
      if (b.group[i] < 0 && c.item_num[g] == n) b.group[i] = static_cast<int64_t>(g);
  }
  // The encoded item vector of each trial, once; then copied into the stimulus steps.
  const int64_t per = c.positive_input ? 3 : 2;
  const double scale = c.input_strength / static_cast<double>(M);
  std::vector<double> code(b.trials * b.channels);
  for (int64_t i = 0; i < b.trials; ++i)
    for (int64_t m = 0; m < M; ++m) {
      const double p = b.presence[i * M + m];
      double angle = b.theta[i * M + m];
      if (ilc_noise > 0)
        angle += ilc_noise *
                 normal(seed, kStreamTaskIlc, static_cast<unsigned>(i), static_cast<unsigned>(m));
      double v[3];
      encode_item(angle, c.positive_input, v);
      for (int64_t k = 0; k < per; ++k) code[i * b.channels + m * per + k] = v[k] * p * scale;
    }
  b.input = Tensor(dtype, {b.trials, b.steps, b.channels});
  for (int64_t i = 0; i < b.trials; ++i)
    for (int64_t t = 0; t < b.steps; ++t) {
      if (!tl.stimulus_on(t)) continue;
      const int64_t off = (i * b.steps + t) * b.channels;
      for (int64_t k = 0; k < b.channels; ++k) {
        if (dtype == DType::F32)
          b.input.data<float>()[off + k] = static_cast<float>(code[i * b.channels + k]);
        else
          b.input.data<double>()[off + k] = code[i * b.channels + k];
      }
    }
  return b;
}

std::vector<double> targets(const VwmBatch& b) {
  std::vector<double> u(b.trials * b.items * 2);
  for (int64_t i = 0; i < b.trials * b.items; ++i) {
    u[2 * i] = b.presence[i] * std::cos(b.theta[i]);
    u[2 * i + 1] = b.presence[i] * std::sin(b.theta[i]);
  }
  return u;
}

VwmBatch make_batch(const VwmConfig& c, uint64_t seed, DType dtype) {
  const int64_t M = c.max_item_num, B = c.num_trials;
  const auto counts = trials_per_group(B, static_cast<int64_t>(c.item_num.size()));
  std::vector<double> theta(B * M), presence(B * M, 0.0);
  int64_t i = 0;
  for (size_t g = 0; g < counts.size(); ++g)
    for (int64_t n = 0; n < counts[g]; ++n, ++i) {
      // A uniformly random subset of item_num[g] slots: the head of a Fisher-Yates shuffle.
      std::vector<int64_t> slots(M);
      for (int64_t m = 0; m < M; ++m) slots[m] = m;
      for (int64_t m = 0; m < c.item_num[g]; ++m) {
        const double u =
            uniform(seed, kStreamTaskSlots, static_cast<unsigned>(i), static_cast<unsigned>(m));
        const int64_t j = m + std::min<int64_t>(M - m - 1, static_cast<int64_t>(u * (M - m)));
        std::swap(slots[m], slots[j]);
        presence[i * M + slots[m]] = 1.0;
      }
      for (int64_t m = 0; m < M; ++m)
        theta[i * M + m] = -kPi + 2 * kPi *
                                      uniform(seed, kStreamTaskAngle, static_cast<unsigned>(i),
                                              static_cast<unsigned>(m));
    }
  return make_batch_from(c, std::move(theta), std::move(presence), c.ILC_noise, seed, dtype);
}

}  // namespace rnnjit::vwm
