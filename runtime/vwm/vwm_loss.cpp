#include "runtime/vwm/vwm_loss.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <thread>

#include "compiler/noise_kind.hpp"

namespace rnnjit::vwm {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kNormEps2 = 1e-24;  // |y| = sqrt(|y|^2 + 1e-24)
constexpr double kAcosEdge = 1e-7;   // c . nbar clamped to [-1 + 1e-7, 1 - 1e-7]
constexpr double kSqrtEps = 1e-16;   // sqrtl2: (|d|^2 + 1e-16)^(1/4)

double get(const Tensor& t, int64_t i) {
  return t.dtype() == DType::F32 ? static_cast<double>(t.data<float>()[i]) : t.data<double>()[i];
}

// Per-item error and its gradient with respect to the quantity it is a function of: ybar for
// l2 / sqrtl2, nbar for rad / exp. Returns e; writes de/d(ybar or nbar) to g[0..1].
double item_error(ErrorDef def, double ct, double st, const double* ybar, const double* nbar,
                  double* g) {
  switch (def) {
    case ErrorDef::L2: {
      const double dx = ct - ybar[0], dy = st - ybar[1];
      g[0] = -2 * dx;
      g[1] = -2 * dy;
      return dx * dx + dy * dy;
    }
    case ErrorDef::SqrtL2: {
      const double dx = ct - ybar[0], dy = st - ybar[1];
      const double q = dx * dx + dy * dy + kSqrtEps;
      const double e = 10 * std::pow(q, 0.25);
      // de/dd = 10 * (1/4) q^(-3/4) * 2 d; d = c - ybar
      const double s = 5 * std::pow(q, -0.75);
      g[0] = -s * dx;
      g[1] = -s * dy;
      return e;
    }
    case ErrorDef::Rad:
    case ErrorDef::Exp: {
      double dot = ct * nbar[0] + st * nbar[1];
      double slope = 0;  // d acos / d dot
      if (dot > 1 - kAcosEdge) {
        dot = 1 - kAcosEdge;
      } else if (dot < -1 + kAcosEdge) {
        dot = -1 + kAcosEdge;
      } else {
        slope = -1 / std::sqrt(1 - dot * dot);
      }
      const double delta = std::acos(dot);
      double e = delta, de_ddelta = 1;
      if (def == ErrorDef::Exp) {
        const double ex = std::exp(-3 * delta / kPi);
        e = -10 * ex;
        de_ddelta = 30 / kPi * ex;
      }
      g[0] = de_ddelta * slope * ct;
      g[1] = de_ddelta * slope * st;
      return e;
    }
  }
  return 0;
}

struct Partial {  // one worker's sums over its trials
  std::vector<double> dF;
};

}  // namespace

double wrap_angle(double x) {
  double y = std::fmod(x + kPi, 2 * kPi);
  if (y < 0) y += 2 * kPi;
  return y - kPi;
}

LossOptions loss_options(const VwmConfig& c, uint64_t noise_seed) {
  LossOptions o;
  o.error_def = c.error_def;
  o.lambda_err = c.lambda_err;
  o.lambda_reg = c.lambda_reg;
  o.decode_start = make_timeline(c).decode_start;
  const ModelSpec spec = to_model_spec(c);
  o.noise.kind = noise::to_noise_kind(spec.noise.kind);
  o.noise.factor = spec.noise.factor;
  o.noise.dt = c.dt;
  o.noise.seed = noise_seed;
  return o;
}

LossResult vwm_loss(const Tensor& r, const Tensor& F, const std::vector<double>& theta,
                    const std::vector<double>& presence, const LossOptions& opt) {
  if (r.rank() != 3) throw ShapeError("vwm_loss: rates r must be [B,T,N], got " + r.shape_str());
  const int64_t B = r.dim(0), T = r.dim(1), N = r.dim(2);
  if (F.rank() != 2 || F.dim(1) != N || F.dim(0) % 2 != 0)
    throw ShapeError("vwm_loss: readout F has shape " + F.shape_str() + " but r " + r.shape_str() +
                     " needs [2M," + std::to_string(N) + "]");
  const int64_t O = F.dim(0), M = O / 2;
  if (static_cast<int64_t>(theta.size()) != B * M || presence.size() != theta.size())
    throw ShapeError("vwm_loss: theta / presence have " + std::to_string(theta.size()) + " / " +
                     std::to_string(presence.size()) + " values but need [B,M] = [" +
                     std::to_string(B) + "," + std::to_string(M) + "]");
  const int64_t t0 = opt.decode_start, K = T - t0;
  if (t0 < 0 || K < 1)
    throw ShapeError("vwm_loss: decode window starts at step " + std::to_string(t0) +
                     " but r has " + std::to_string(T) + " steps");

  std::vector<double> Fd(O * N);
  for (int64_t i = 0; i < O * N; ++i) Fd[i] = get(F, i);

  LossResult res;
  res.decoded.assign(B * M, 0.0);
  res.angular_error.assign(B * M, 0.0);
  res.trial_error.assign(B, 0.0);
  res.trial_activity.assign(B, 0.0);
  std::vector<double> trial_loss(B, 0.0);
  if (opt.gradients) res.dr = Tensor(r.dtype(), {B, T, N});
  const double reg_scale = opt.lambda_reg / static_cast<double>(B * T * N);

  int threads =
      opt.threads > 0 ? opt.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = static_cast<int>(std::clamp<int64_t>(threads, 1, B));
  std::vector<Partial> parts(threads);

  auto work = [&](int w) {
    Partial& part = parts[w];
    if (opt.gradients) part.dF.assign(O * N, 0.0);
    std::vector<double> z(K * N), slope(K * N), y(K * O), ybar(O), nbar(O), gbar(O), gy(O), dz(N);
    for (int64_t b = w; b < B; b += threads) {
      // Forward: noisy rates, readouts and their window means.
      std::fill(ybar.begin(), ybar.end(), 0.0);
      std::fill(nbar.begin(), nbar.end(), 0.0);
      for (int64_t k = 0; k < K; ++k) {
        const int64_t t = t0 + k;
        for (int64_t i = 0; i < N; ++i) {
          noise::spike_noise<double>(opt.noise.kind, get(r, (b * T + t) * N + i), opt.noise.factor,
                                     opt.noise.dt, opt.noise.seed, noise::kStreamReadout,
                                     static_cast<unsigned>(t), static_cast<unsigned>(b),
                                     static_cast<unsigned>(i), &z[k * N + i], &slope[k * N + i]);
        }
        double* yk = &y[k * O];
        for (int64_t o = 0; o < O; ++o) {
          double acc = 0;
          const double* Fo = &Fd[o * N];
          const double* zk = &z[k * N];
          for (int64_t i = 0; i < N; ++i) acc += Fo[i] * zk[i];
          yk[o] = acc;
          ybar[o] += acc / K;
        }
        for (int64_t m = 0; m < M; ++m) {
          const double n =
              std::sqrt(yk[2 * m] * yk[2 * m] + yk[2 * m + 1] * yk[2 * m + 1] + kNormEps2);
          nbar[2 * m] += yk[2 * m] / n / K;
          nbar[2 * m + 1] += yk[2 * m + 1] / n / K;
        }
      }
      // Errors per item, the trial's share of the loss, and evaluation.
      double present = 0;
      for (int64_t m = 0; m < M; ++m) present += presence[b * M + m];
      double err_sum = 0, eval_sum = 0;
      for (int64_t m = 0; m < M; ++m) {
        const double th = theta[b * M + m], p = presence[b * M + m];
        const double dec = std::atan2(ybar[2 * m + 1], ybar[2 * m]);
        res.decoded[b * M + m] = dec;
        double g[2] = {0, 0};
        const double e =
            item_error(opt.error_def, std::cos(th), std::sin(th), &ybar[2 * m], &nbar[2 * m], g);
        const double wgt = present > 0 ? p / present : 0.0;
        err_sum += wgt * e;
        // dL/d(ybar or nbar) of this item, including the means over items and trials.
        const double scale = opt.lambda_err * wgt / static_cast<double>(B);
        gbar[2 * m] = scale * g[0];
        gbar[2 * m + 1] = scale * g[1];
        if (p != 0) {
          const double ae = wrap_angle(th - dec);
          res.angular_error[b * M + m] = ae;
          eval_sum += wgt * std::abs(ae);
        }
      }
      trial_loss[b] = err_sum;
      res.trial_error[b] = eval_sum;

      double act = 0;
      for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < N; ++i) act += std::abs(get(r, (b * T + t) * N + i));
      res.trial_activity[b] = act / static_cast<double>(T * N);
      if (!opt.gradients) continue;

      // Backward: e_t from the activity penalty on every step ...
      for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < N; ++i) {
          const int64_t idx = (b * T + t) * N + i;
          const double v = get(r, idx);
          const double e = v > 0 ? reg_scale : (v < 0 ? -reg_scale : 0.0);
          if (r.dtype() == DType::F32)
            res.dr.data<float>()[idx] = static_cast<float>(e);
          else
            res.dr.data<double>()[idx] = e;
        }
      // ... and from the readout on the decode steps.
      for (int64_t k = 0; k < K; ++k) {
        const int64_t t = t0 + k;
        const double* yk = &y[k * O];
        if (opt.error_def == ErrorDef::L2 || opt.error_def == ErrorDef::SqrtL2) {
          for (int64_t o = 0; o < O; ++o) gy[o] = gbar[o] / K;
        } else {
          // n = y / s, s = sqrt(|y|^2 + eps): dn/dy = I / s - y y^T / s^3 (symmetric)
          for (int64_t m = 0; m < M; ++m) {
            const double a = yk[2 * m], c = yk[2 * m + 1];
            const double s = std::sqrt(a * a + c * c + kNormEps2);
            const double ga = gbar[2 * m] / K, gc = gbar[2 * m + 1] / K;
            const double proj = (a * ga + c * gc) / (s * s * s);
            gy[2 * m] = ga / s - a * proj;
            gy[2 * m + 1] = gc / s - c * proj;
          }
        }
        std::fill(dz.begin(), dz.end(), 0.0);
        const double* zk = &z[k * N];
        for (int64_t o = 0; o < O; ++o) {
          const double go = gy[o];
          if (go == 0) continue;
          const double* Fo = &Fd[o * N];
          double* dFo = &part.dF[o * N];
          for (int64_t i = 0; i < N; ++i) {
            dFo[i] += go * zk[i];
            dz[i] += go * Fo[i];
          }
        }
        for (int64_t i = 0; i < N; ++i) {
          const int64_t idx = (b * T + t) * N + i;
          const double e = dz[i] * slope[k * N + i];
          if (r.dtype() == DType::F32)
            res.dr.data<float>()[idx] += static_cast<float>(e);
          else
            res.dr.data<double>()[idx] += e;
        }
      }
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int w = 0; w < threads; ++w) pool.emplace_back(work, w);
    for (auto& th : pool) th.join();
  }

  finish_loss_result(res, opt, trial_loss);
  if (opt.gradients) {
    res.dF = Tensor(DType::F64, {O, N});
    double* dF = res.dF.data<double>();
    for (auto& p : parts)
      for (int64_t i = 0; i < O * N; ++i) dF[i] += p.dF[i];
  }
  return res;
}

void finish_loss_result(LossResult& res, const LossOptions& opt,
                        const std::vector<double>& trial_loss) {
  const int64_t B = static_cast<int64_t>(trial_loss.size());
  double err = 0, act = 0, ev = 0;
  for (int64_t b = 0; b < B; ++b) {
    err += trial_loss[b];
    act += res.trial_activity[b];
    ev += res.trial_error[b];
  }
  res.error_term = B > 0 ? err / B : 0.0;
  res.activity = B > 0 ? act / B : 0.0;
  res.eval_error = B > 0 ? ev / B : 0.0;
  res.eval_error_std = 0.0;
  if (B > 1) {
    double v = 0;
    for (int64_t b = 0; b < B; ++b)
      v += (res.trial_error[b] - res.eval_error) * (res.trial_error[b] - res.eval_error);
    res.eval_error_std = std::sqrt(v / static_cast<double>(B - 1));
  }
  res.total = opt.lambda_err * res.error_term + opt.lambda_reg * res.activity;
}

std::vector<GroupMetrics> group_metrics(const LossResult& res, const VwmBatch& batch,
                                        const VwmConfig& c) {
  std::vector<GroupMetrics> out(c.item_num.size());
  for (size_t g = 0; g < out.size(); ++g) out[g].set_size = c.item_num[g];
  for (int64_t b = 0; b < batch.trials; ++b) {
    const int64_t g = batch.group[b];
    if (g < 0) continue;
    out[g].trials++;
    out[g].error += res.trial_error[b];
    out[g].activity += res.trial_activity[b];
  }
  for (auto& m : out)
    if (m.trials > 0) {
      m.error /= m.trials;
      m.activity /= m.trials;
    }
  std::vector<double> var(out.size(), 0.0);
  for (int64_t b = 0; b < batch.trials; ++b) {
    const int64_t g = batch.group[b];
    if (g < 0) continue;
    const double d = res.trial_error[b] - out[g].error;
    var[g] += d * d;
  }
  for (size_t g = 0; g < out.size(); ++g)
    if (out[g].trials > 1) out[g].error_std = std::sqrt(var[g] / (out[g].trials - 1));
  return out;
}

Tensor init_readout(int64_t max_item_num, int64_t neurons, uint64_t seed) {
  const int64_t O = 2 * max_item_num;
  Tensor F(DType::F64, {O, neurons});
  const double s = 1.0 / std::sqrt(static_cast<double>(neurons));
  for (int64_t o = 0; o < O; ++o)
    for (int64_t i = 0; i < neurons; ++i)
      F.data<double>()[o * neurons + i] =
          s * noise::standard_normal<double>(noise::noise_bits(
                  seed, 32u, 0u, static_cast<unsigned>(o), static_cast<unsigned>(i)));
  return F;
}

}  // namespace rnnjit::vwm
