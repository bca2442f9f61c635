// Losses of the ring attractor and their gradient with respect to the rates r_t.
//
// Per trial b and step t (dropping b, t), with q_i = 2 pi i / N and p_j the decoder's angles:
//   u_k = sum_i r_i Wd[i][k] = cos(q_k) C + sin(q_k) S,   C = sum_i r_i cos q_i, S = sum_i r_i sin
//   q_i
//         (Wd[i][k] = cos(q_i - q_k) = cos q_i cos q_k + sin q_i sin q_k: an exact rank-2 product,
//         so
//          the readout costs O(N) instead of O(N^2))
//   m   = u_{j*},  j* = argmax_k u_k,      y = u / m
//   X   = sum_j y_j cos p_j,  Y = sum_j y_j sin p_j,   th_hat = atan2(Y, X)
//   l   = (cos th_hat - cos th)^2 + (sin th_hat - sin th)^2 = 2 - 2 cos(th_hat - th)
// Heading loss L_h = (1 / BT) sum_{b,t} l.
//   dl/dth_hat = 2 sin(th_hat - th)
//   dth_hat/dy_j = (X sin p_j - Y cos p_j) / (X^2 + Y^2)          =: gy_j / (dl/dth_hat)
//   dl/du_k = gy_k / m - [k = j*] (sum_j gy_j u_j) / m^2
// The max: we treat the argmax j* as fixed (the subgradient of max, which is piecewise linear; ties
// and the measure-zero switch points are ignored). The second term is in fact zero: th_hat does not
// change when y is scaled, so sum_j gy_j y_j = dl/dth_hat (X Y - Y X)/(X^2+Y^2) = 0 (Euler). We
// keep it anyway, computed, so the code says exactly what the formula says.
//   dl/dr_i = sum_k Wd[i][k] dl/du_k = cos q_i (sum_k gu_k cos q_k) + sin q_i (sum_k gu_k sin q_k)
//
// Bump-amplitude loss, with A_t = sum_j |r_t,j| and the first step's amplitude A_1 as the target
// (and, as in the seed, not detached: gradients flow into r_1 too):
//   L_b = (1 / BT) sum_{b,t} (A_t - A_1)^2
//   dL_b/dr_t,j = (2 / BT) (A_t - A_1) sgn(r_t,j)                       for t > 1
//   dL_b/dr_1,j = -(2 / BT) sum_{t'} (A_t' - A_1) sgn(r_1,j)             (its own term is 0)
// with sgn(0) = 0 (a subgradient of |x|). Total L = L_h + bump_weight * L_b.
#include "runtime/ring/ring_loss.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <thread>
#include <vector>

namespace rnnjit::train::ring {

namespace {
constexpr double kTwoPi = 2.0 * std::numbers::pi;
double sgn(double x) {
  return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
}
}  // namespace

RingReadout make_readout(int64_t n, bool seed_linspace_angles) {
  if (n < 1) throw std::invalid_argument("ring readout: N must be >= 1");
  RingReadout ro;
  ro.n = n;
  for (int64_t i = 0; i < n; ++i) {
    const double q = kTwoPi * static_cast<double>(i) / static_cast<double>(n);
    ro.cos_q.push_back(std::cos(q));
    ro.sin_q.push_back(std::sin(q));
    double p;
    if (seed_linspace_angles)
      p = n > 1 ? kTwoPi * static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
    else
      p = q;
    ro.p.push_back(p);
    ro.cos_p.push_back(std::cos(p));
    ro.sin_p.push_back(std::sin(p));
  }
  return ro;
}

static void project(const RingReadout& ro, const double* r, double* u) {
  double c = 0, s = 0;
  for (int64_t i = 0; i < ro.n; ++i) {
    c += r[i] * ro.cos_q[i];
    s += r[i] * ro.sin_q[i];
  }
  for (int64_t k = 0; k < ro.n; ++k) u[k] = ro.cos_q[k] * c + ro.sin_q[k] * s;
}

static int64_t argmax(const double* u, int64_t n) {
  int64_t j = 0;
  for (int64_t k = 1; k < n; ++k)
    if (u[k] > u[j]) j = k;
  return j;
}

void readout(const RingReadout& ro, const double* r, double* y) {
  project(ro, r, y);
  const double m = y[argmax(y, ro.n)];
  for (int64_t k = 0; k < ro.n; ++k) y[k] /= m;
}

double decode_population(const RingReadout& ro, const double* y) {
  double x = 0, s = 0;
  for (int64_t j = 0; j < ro.n; ++j) {
    x += y[j] * ro.cos_p[j];
    s += y[j] * ro.sin_p[j];
  }
  double th = std::atan2(s, x);
  if (th < 0) th += kTwoPi;
  return th;
}

double decode_argmax(const RingReadout& ro, const double* y) {
  return ro.p[argmax(y, ro.n)];
}

double circular_distance(double a, double b) {
  double d = std::fmod(std::abs(a - b), kTwoPi);
  return d > std::numbers::pi ? kTwoPi - d : d;
}

RingLossValue ring_loss(const RingReadout& ro, const Tensor& r_in, const std::vector<double>& angle,
                        double bump_weight, Tensor* dr) {
  if (r_in.rank() != 3 || r_in.dim(2) != ro.n)
    throw ShapeError("ring loss: r has shape " + r_in.shape_str() + " but needs [B,T," +
                     std::to_string(ro.n) + "]");
  const int64_t B = r_in.dim(0), T = r_in.dim(1), N = ro.n;
  if (static_cast<int64_t>(angle.size()) != B * T)
    throw ShapeError("ring loss: " + std::to_string(angle.size()) +
                     " target angles for r of shape " + r_in.shape_str());
  const Tensor r64 = r_in.to(DType::F64);
  const double* r = r64.data<double>();
  double* g = nullptr;
  if (dr) {
    *dr = Tensor(DType::F64, {B, T, N});
    g = dr->data<double>();
  }
  const double inv_bt = 1.0 / static_cast<double>(B * T);
  // Trials are independent: split them over threads, keep per-trial sums and add those in trial
  // order, so the value does not depend on the thread count.
  std::vector<double> heading_b(static_cast<size_t>(B), 0.0), bump_b(static_cast<size_t>(B), 0.0);
  auto trials = [&](int64_t b_begin, int64_t b_end) {
    std::vector<double> u(static_cast<size_t>(N)), gu(static_cast<size_t>(N)),
        amp(static_cast<size_t>(T));
    for (int64_t b = b_begin; b < b_end; ++b) {
      double& heading = heading_b[static_cast<size_t>(b)];
      double& bump = bump_b[static_cast<size_t>(b)];
      for (int64_t t = 0; t < T; ++t) {
        const double* rt = r + (b * T + t) * N;
        project(ro, rt, u.data());
        const int64_t js = argmax(u.data(), N);
        const double m = u[js];
        double X = 0, Y = 0;
        for (int64_t j = 0; j < N; ++j) {
          X += u[j] / m * ro.cos_p[j];
          Y += u[j] / m * ro.sin_p[j];
        }
        const double th_hat = std::atan2(Y, X), th = angle[b * T + t];
        const double dc = std::cos(th_hat) - std::cos(th), ds = std::sin(th_hat) - std::sin(th);
        heading += (dc * dc + ds * ds) * inv_bt;
        double a = 0;
        for (int64_t j = 0; j < N; ++j) a += std::abs(rt[j]);
        amp[t] = a;
        if (!g) continue;
        const double rho2 = X * X + Y * Y;
        if (rho2 <= 0 || m == 0 || !std::isfinite(m)) continue;  // decode undefined: no gradient
        const double dth = 2.0 * std::sin(th_hat - th) * inv_bt;
        double sum_gu = 0;
        for (int64_t j = 0; j < N; ++j) {
          const double gy = dth * (X * ro.sin_p[j] - Y * ro.cos_p[j]) / rho2;
          gu[j] = gy / m;
          sum_gu += gy * u[j];
        }
        gu[js] -= sum_gu / (m * m);
        double gc = 0, gs = 0;
        for (int64_t k = 0; k < N; ++k) {
          gc += gu[k] * ro.cos_q[k];
          gs += gu[k] * ro.sin_q[k];
        }
        double* gt = g + (b * T + t) * N;
        for (int64_t i = 0; i < N; ++i) gt[i] = ro.cos_q[i] * gc + ro.sin_q[i] * gs;
      }
      // Bump amplitude against the first step of this trial.
      double sum_dev = 0;
      for (int64_t t = 0; t < T; ++t) {
        const double dev = amp[t] - amp[0];
        bump += dev * dev * inv_bt;
        sum_dev += dev;
        if (g && t > 0 && bump_weight != 0) {
          const double c = bump_weight * 2.0 * inv_bt * dev;
          const double* rt = r + (b * T + t) * N;
          double* gt = g + (b * T + t) * N;
          for (int64_t j = 0; j < N; ++j) gt[j] += c * sgn(rt[j]);
        }
      }
      if (g && bump_weight != 0) {
        const double c = -bump_weight * 2.0 * inv_bt * sum_dev;
        const double* r1 = r + b * T * N;
        double* g1 = g + b * T * N;
        for (int64_t j = 0; j < N; ++j) g1[j] += c * sgn(r1[j]);
      }
    }
  };
  const int64_t threads = std::clamp<int64_t>(
      static_cast<int64_t>(std::thread::hardware_concurrency()), 1, std::max<int64_t>(1, B / 8));
  if (threads <= 1) {
    trials(0, B);
  } else {
    std::vector<std::thread> pool;
    for (int64_t w = 0; w < threads; ++w)
      pool.emplace_back(trials, B * w / threads, B * (w + 1) / threads);
    for (auto& th : pool) th.join();
  }
  RingLossValue out;
  for (int64_t b = 0; b < B; ++b) {
    out.heading += heading_b[static_cast<size_t>(b)];
    out.bump += bump_b[static_cast<size_t>(b)];
  }
  out.total = out.heading + bump_weight * out.bump;
  return out;
}

}  // namespace rnnjit::train::ring
