// Shapes, random inputs and comparisons shared by the VWM loss kernels' tests: the host twin
// against the float64 vwm_loss() (vwm_loss_device_test.cpp) and the kernels on a GPU against both
// (vwm_loss_gpu_test.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "runtime/core/tensor.hpp"
#include "runtime/vwm/vwm_loss.hpp"
#include "runtime/vwm/vwm_loss_device.hpp"

namespace rnnjit::vwm::testing {

struct DeviceLossCase {
  int64_t b, t, n, m, t0;  // trials, steps, neurons, items, first decode step
  ErrorDef def;
  noise::NoiseKind kind;
  double factor;  // spike-noise k
  double lambda_reg;
  uint64_t seed;  // inputs and noise
  std::string name() const {
    return "B=" + std::to_string(b) + " T=" + std::to_string(t) + " N=" + std::to_string(n) +
           " M=" + std::to_string(m) + " t0=" + std::to_string(t0) + " " +
           std::string(vwm::name(def)) + " noise=" + std::to_string(static_cast<int>(kind)) +
           " k=" + std::to_string(factor) + " lambda_reg=" + std::to_string(lambda_reg) +
           " seed=" + std::to_string(seed);
  }
};

// Every error_def, noise kind and lambda_reg on shapes with N in {1, 7, 40}, T in {1, 6}, decode
// windows of 1 and several steps (with and without activity-only steps before them), B, M in
// {1, 3}. The gamma noise alternates the seed's k = 0.05 (shape a = 4 r) and k = 0.3 (a = r / 9,
// down to 0.06: the small shapes whose draws are steepest in u).
inline std::vector<DeviceLossCase> device_loss_cases() {
  struct Shape {
    int64_t b, t, n, m, t0;
  };
  const Shape shapes[] = {{1, 1, 1, 1, 0}, {3, 6, 7, 3, 5}, {3, 6, 40, 3, 2}, {1, 6, 40, 1, 0},
                          {3, 1, 7, 1, 0}, {3, 6, 1, 3, 3}, {3, 6, 40, 1, 1}};
  std::vector<DeviceLossCase> v;
  uint64_t seed = 1000;
  for (size_t s = 0; s < std::size(shapes); ++s)
    for (ErrorDef def : {ErrorDef::L2, ErrorDef::SqrtL2, ErrorDef::Rad, ErrorDef::Exp})
      for (noise::NoiseKind kind : {noise::NoiseKind::None, noise::NoiseKind::Gamma,
                                    noise::NoiseKind::Gauss, noise::NoiseKind::PureGauss})
        for (double lambda_reg : {0.0, 0.05}) {
          const Shape& sh = shapes[s];
          const double k = kind == noise::NoiseKind::Gamma && s % 2 == 1 ? 0.3 : 0.05;
          v.push_back({sh.b, sh.t, sh.n, sh.m, sh.t0, def, kind, k, lambda_reg, ++seed});
        }
  return v;
}

inline LossOptions options(const DeviceLossCase& c) {
  LossOptions o;
  o.error_def = c.def;
  o.lambda_err = 1.3;
  o.lambda_reg = c.lambda_reg;
  o.decode_start = c.t0;
  o.noise.kind = c.kind;
  o.noise.factor = c.factor;
  o.noise.dt = 10;
  o.noise.seed = c.seed * 7919;
  o.threads = 2;
  return o;
}

// Fresh random inputs as float (what the kernels see) and the same values as double: rates
// uniform in [0.5, 30] Hz (never 0, so sgn is unambiguous and the Gauss relu rarely bites), F ~
// N(0, 1) / sqrt(N) as the seed initialises it, angles uniform, items present with probability 0.6
// but at least one per trial, and item M-1 of trial 0 absent when M > 1.
struct DeviceLossInputs {
  std::vector<float> r, F, theta, presence;
  std::vector<double> theta_d, presence_d;
};
inline DeviceLossInputs make_inputs(const DeviceLossCase& c) {
  std::mt19937_64 g(c.seed);
  std::uniform_real_distribution<float> rate(0.5f, 30.f);
  std::uniform_real_distribution<float> ang(-std::numbers::pi_v<float>, std::numbers::pi_v<float>);
  std::normal_distribution<float> nrm(0.f, 1.f);
  std::bernoulli_distribution here(0.6);
  DeviceLossInputs in;
  for (int64_t k = 0; k < c.b * c.t * c.n; ++k) in.r.push_back(rate(g));
  const float scale = 1.f / std::sqrt(static_cast<float>(c.n));
  for (int64_t k = 0; k < 2 * c.m * c.n; ++k) in.F.push_back(nrm(g) * scale);
  for (int64_t b = 0; b < c.b; ++b) {
    float present = 0;
    for (int64_t m = 0; m < c.m; ++m) {
      in.theta.push_back(ang(g));
      const float p = (b == 0 && m == c.m - 1 && c.m > 1) ? 0.f : (here(g) ? 1.f : 0.f);
      in.presence.push_back(p);
      present += p;
    }
    if (present == 0) in.presence[b * c.m + (b == 0 ? 0 : b % c.m)] = 1.f;
  }
  in.theta_d.assign(in.theta.begin(), in.theta.end());
  in.presence_d.assign(in.presence.begin(), in.presence.end());
  return in;
}

// vwm_loss() in float64 on exactly those float values.
inline LossResult reference(const DeviceLossCase& c, const DeviceLossInputs& in) {
  return vwm_loss(Tensor::f32({c.b, c.t, c.n}, in.r), Tensor::f32({2 * c.m, c.n}, in.F), in.theta_d,
                  in.presence_d, options(c));
}

// What the kernels (or the twin) write.
struct DeviceLossOutputs {
  std::vector<float> dr, dF, trial_out, decoded;
};
inline DeviceLossOutputs empty_outputs(const DeviceLossCase& c) {
  return {std::vector<float>(c.b * c.t * c.n), std::vector<float>(2 * c.m * c.n),
          std::vector<float>(4 * c.b), std::vector<float>(c.b * c.m)};
}
inline DeviceLossOutputs run_twin(const DeviceLossCase& c, const DeviceLossInputs& in) {
  DeviceLossOutputs out = empty_outputs(c);
  vwm_loss_twin(options(c), c.b, c.t, c.n, c.m, in.r.data(), in.F.data(), in.theta.data(),
                in.presence.data(), out.dr.data(), out.dF.data(), out.trial_out.data(),
                out.decoded.data());
  return out;
}

// Tolerances of the float32 results against float64, and of the kernels against the twin (both
// tests use them). The errors are set by the float32 noise draws and by acos, not by the sums:
//  - uniform_open_f32 keeps 23 bits of the Philox word where the float64 draw keeps 52, so u
//    differs by up to 2^-24, and a gamma draw X = P^-1(a, u) in its lower tail moves by
//    dX / X = du / (a u): single dz'/dr values of the k = 0.3 cases (a down to 0.06) are off by
//    ~1e-4 of their row;
//  - rad / exp: acos' slope 1 / sqrt(1 - dot^2) turns the float rounding of dot = c . nbar (a few
//    ulp of 1, kDotRound) into a relative error kDotRound / (2 (1 - |dot|)) of the gradient and an
//    absolute one kDotRound / sqrt(2 (1 - |dot|)) of the error. A decode within 3 mrad of the
//    target or of its opposite already costs 1e-3, so the tolerances of a trial's dr rows, of dF
//    and of the scalars widen with kappa = 1 / (1 - |dot|) of its worst present item (from a
//    float64 replay of the readout; 1 for l2 / sqrtl2): tol (1 + kDotRound kappa / tol), resp.
//    kDotRound sqrt(kappa) for the scalars.
// The fixed part leaves a margin of 3 (dr) to 6 (scalars) over the worst observed on
// device_loss_cases() (the test prints it). The inputs come from fixed seeds because the float32
// errors are heavy-tailed: a wider sweep of seeds during development (not kept as a test) met
// larger outliers than these tolerances allow, each from one rare event float32 cannot resolve:
// a gamma draw with u within a few 2^-24 of 1 (float u stops there, so the far upper tail is cut
// short by up to a few %), or a step whose |y_t| is small beside the terms of F z' that cancel in
// it (its normalisation then amplifies their rounding). A dropped or sign-flipped term moves its
// measure by 0.3 to 2.
inline constexpr double kScalarTol = 3e-5;  // |a - b| / max(1, |b|)
inline constexpr double kAngleTol = 3e-5;   // rad, decoded and angular_error
inline constexpr double kDrTol = 2e-3;      // relative to the row's largest |dr| (or its floor)
inline constexpr double kDfTol = 2e-3;      // relative to the output row's largest |dF|
inline constexpr double kDotRound = 6e-8;

// kappa per trial as above: the readout replayed in float64 as vwm_loss() runs it.
inline std::vector<double> acos_condition(const DeviceLossCase& c, const DeviceLossInputs& in) {
  std::vector<double> kappa(static_cast<size_t>(c.b), 1.0);
  if (c.def != ErrorDef::Rad && c.def != ErrorDef::Exp) return kappa;
  const LossOptions o = options(c);
  const int64_t K = c.t - c.t0;
  std::vector<double> z(static_cast<size_t>(c.n)), nbar(static_cast<size_t>(2 * c.m));
  for (int64_t b = 0; b < c.b; ++b) {
    std::fill(nbar.begin(), nbar.end(), 0.0);
    for (int64_t t = c.t0; t < c.t; ++t) {
      for (int64_t i = 0; i < c.n; ++i)
        noise::spike_noise<double>(o.noise.kind, in.r[(b * c.t + t) * c.n + i], o.noise.factor,
                                   o.noise.dt, o.noise.seed, noise::kStreamReadout,
                                   static_cast<unsigned>(t), static_cast<unsigned>(b),
                                   static_cast<unsigned>(i), &z[i], nullptr);
      for (int64_t m = 0; m < c.m; ++m) {
        double y0 = 0, y1 = 0;
        for (int64_t i = 0; i < c.n; ++i) {
          y0 += double(in.F[2 * m * c.n + i]) * z[i];
          y1 += double(in.F[(2 * m + 1) * c.n + i]) * z[i];
        }
        const double s = std::sqrt(y0 * y0 + y1 * y1 + 1e-24);
        nbar[2 * m] += y0 / s / K;
        nbar[2 * m + 1] += y1 / s / K;
      }
    }
    for (int64_t m = 0; m < c.m; ++m) {
      if (in.presence_d[b * c.m + m] == 0) continue;
      const double th = in.theta_d[b * c.m + m];
      const double dot = std::cos(th) * nbar[2 * m] + std::sin(th) * nbar[2 * m + 1];
      kappa[b] = std::max(kappa[b], 1.0 / std::max(1e-7, 1.0 - std::abs(dot)));
    }
  }
  return kappa;
}

// The largest discrepancies of one result against another, each in its own measure and divided by
// its widening (so the fixed tolerance above applies; NaN counts as infinitely wrong):
//   scalar  every loss scalar and per-trial value, |a - b| / max(1, |b|)
//   angle   decoded and angular_error, |wrap(a - b)| in rad
//   dr      per element, relative to the largest |dr| of its (trial, step) row: rows outside the
//           window hold the activity term alone, so a dropped one cannot hide behind the readout's
//   dF      per element, relative to the largest |dF| of its output row o
// A row whose exact gradient vanishes (N = 1 under rad / exp: y's direction, all those errors see,
// is then F's alone) holds float64 rounding (1e-17) against float32 rounding (1e-8 of the terms
// that cancel): its scale is floored at 1e-2 of the gradient's natural unit, lambda_err max|F| /
// (B K) for dr (dL/dy = O(1) per step) and lambda_err max|r| for dF (the same with z' ~ r summed
// over the B K pairs). With the tolerance 2e-3 that still resolves 2e-5 of the unit, below the
// activity term lambda_reg / (B T N) on the cases here.
struct Discrepancy {
  double scalar = 0, angle = 0, dr = 0, dF = 0;
  double kappa = 1;  // the worst conditioning met
  void worst_of(const Discrepancy& d) {
    scalar = std::max(scalar, d.scalar), angle = std::max(angle, d.angle);
    dr = std::max(dr, d.dr), dF = std::max(dF, d.dF), kappa = std::max(kappa, d.kappa);
  }
};
inline double nan_inf(double e) {
  return std::isnan(e) ? INFINITY : e;
}
inline double rel_scalar(double a, double b) {
  return nan_inf(std::abs(a - b) / std::max(1.0, std::abs(b)));
}
// Row `row` of `len` elements relative to the largest |ref| of the row or `floor`.
template <class A, class B>
double row_error(const A& got, const B& ref, size_t row, int64_t len, double floor) {
  double scale = floor, worst = 0;
  for (int64_t i = 0; i < len; ++i) scale = std::max(scale, std::abs(double(ref[row * len + i])));
  for (int64_t i = 0; i < len; ++i) {
    const double d = std::abs(double(got[row * len + i]) - double(ref[row * len + i]));
    worst = std::max(worst, d == 0 ? 0.0 : nan_inf(scale > 0 ? d / scale : INFINITY));
  }
  return worst;
}
inline double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, std::abs(double(x)));
  return m;
}
inline Discrepancy compare(const DeviceLossCase& c, const DeviceLossInputs& in,
                           const LossResult& got, const DeviceLossOutputs& raw,
                           const LossResult& ref, const std::vector<double>& ref_dr,
                           const std::vector<double>& ref_dF) {
  Discrepancy d;
  const std::vector<double> kappa = acos_condition(c, in);
  d.kappa = *std::max_element(kappa.begin(), kappa.end());
  const auto widen = [](double tol, double allowance) { return 1 + allowance / tol; };
  const double ws = widen(kScalarTol, kDotRound * std::sqrt(d.kappa));
  for (auto [a, b] : {std::pair{got.total, ref.total},
                      {got.error_term, ref.error_term},
                      {got.activity, ref.activity},
                      {got.eval_error, ref.eval_error},
                      {got.eval_error_std, ref.eval_error_std}})
    d.scalar = std::max(d.scalar, rel_scalar(a, b) / ws);
  for (int64_t b = 0; b < c.b; ++b) {
    d.scalar = std::max(d.scalar, rel_scalar(got.trial_error[b], ref.trial_error[b]) / ws);
    d.scalar = std::max(d.scalar, rel_scalar(got.trial_activity[b], ref.trial_activity[b]) / ws);
  }
  for (size_t j = 0; j < ref.decoded.size(); ++j) {
    for (double e : {std::abs(wrap_angle(got.decoded[j] - ref.decoded[j])),
                     std::abs(wrap_angle(got.angular_error[j] - ref.angular_error[j]))})
      d.angle = std::max(d.angle, nan_inf(e));
  }
  const double lambda_err = options(c).lambda_err;
  const double dr_floor =
      1e-2 * lambda_err * max_abs(in.F) / static_cast<double>(c.b * (c.t - c.t0));
  for (int64_t b = 0; b < c.b; ++b) {
    const double w = widen(kDrTol, kDotRound * kappa[b]);
    for (int64_t t = 0; t < c.t; ++t)
      d.dr = std::max(d.dr, row_error(raw.dr, ref_dr, b * c.t + t, c.n, dr_floor) / w);
  }
  const double df_floor = 1e-2 * lambda_err * max_abs(in.r);
  const double wf = widen(kDfTol, kDotRound * d.kappa);
  for (int64_t o = 0; o < 2 * c.m; ++o)
    d.dF = std::max(d.dF, row_error(raw.dF, ref_dF, o, c.n, df_floor) / wf);
  return d;
}
// |got - ref| / |ref| in the L2 norm over a whole tensor: robust to the rare single-element
// events above, for the seed-sized batch (6.5M draws).
template <class A, class B>
double rel_l2(const A& got, const B& ref) {
  double num = 0, den = 0;
  for (size_t j = 0; j < ref.size(); ++j) {
    const double d = double(got[j]) - double(ref[j]);
    num += d * d;
    den += double(ref[j]) * double(ref[j]);
  }
  return nan_inf(std::sqrt(num / std::max(den, 1e-300)));
}
inline std::vector<double> as_f64(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (size_t j = 0; j < v.size(); ++j) v[j] = t.at_f64(static_cast<int64_t>(j));
  return v;
}

}  // namespace rnnjit::vwm::testing
