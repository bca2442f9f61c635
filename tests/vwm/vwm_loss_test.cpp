// The VWM readout loss: values on hand-made readouts, and float64 central finite differences of
// dL/dr (the cotangent e_t) and dL/dF for every error_def, through each readout-noise kind.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "runtime/vwm/vwm_loss.hpp"

namespace rnnjit::vwm {
namespace {

constexpr double kPi = std::numbers::pi;

struct Problem {
  Tensor r, F;
  std::vector<double> theta, presence;
};

// B = 3 trials, T = 6 steps, N = 5 neurons, M = 2 items; rates in [0.5, 30] (away from the relu
// kinks of the Gauss noise), presence {both}, {item 0}, {item 1}.
Problem random_problem(uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> rate(0.5, 30.0), ang(-kPi, kPi);
  std::normal_distribution<double> nrm(0.0, 1.0);
  Problem p;
  p.r = Tensor(DType::F64, {3, 6, 5});
  for (auto& v : p.r.span<double>()) v = rate(g);
  p.F = Tensor(DType::F64, {4, 5});
  for (auto& v : p.F.span<double>()) v = nrm(g) * 0.3;
  for (int i = 0; i < 6; ++i) p.theta.push_back(ang(g));
  p.presence = {1, 1, 1, 0, 0, 1};
  return p;
}

LossOptions options(ErrorDef def, noise::NoiseKind kind) {
  LossOptions o;
  o.error_def = def;
  o.lambda_err = 1.3;
  o.lambda_reg = 0.05;
  o.decode_start = 3;
  o.noise.kind = kind;
  o.noise.factor = kind == noise::NoiseKind::Gamma ? 0.3 : 0.05;
  o.noise.dt = 10;
  o.noise.seed = 99;
  o.threads = 2;
  return o;
}

void check_gradients(ErrorDef def, noise::NoiseKind kind) {
  SCOPED_TRACE(std::string(name(def)) + " noise " + std::to_string(static_cast<int>(kind)));
  Problem p = random_problem(17 + static_cast<int>(def) * 7 + static_cast<int>(kind));
  const LossOptions opt = options(def, kind);
  const LossResult res = vwm_loss(p.r, p.F, p.theta, p.presence, opt);
  LossOptions vopt = opt;
  vopt.gradients = false;
  auto value = [&]() { return vwm_loss(p.r, p.F, p.theta, p.presence, vopt).total; };
  EXPECT_NEAR(res.total, value(), 1e-14 * (1 + std::abs(res.total)));

  double max_err = 0, max_grad = 0;
  auto fd_check = [&](double& x, double analytic, const char* what, int64_t i) {
    const double h = 1e-6 * std::max(1.0, std::abs(x));
    const double x0 = x;
    x = x0 + h;
    const double fp = value();
    x = x0 - h;
    const double fm = value();
    x = x0;
    const double fd = (fp - fm) / (2 * h);
    max_err = std::max(max_err, std::abs(fd - analytic));
    max_grad = std::max(max_grad, std::abs(analytic));
    EXPECT_NEAR(analytic, fd, 1e-7 + 2e-6 * std::abs(fd)) << what << "[" << i << "]";
  };
  auto r = p.r.span<double>();
  for (size_t i = 0; i < r.size(); ++i) fd_check(r[i], res.dr.data<double>()[i], "dL/dr", i);
  auto F = p.F.span<double>();
  for (size_t i = 0; i < F.size(); ++i) fd_check(F[i], res.dF.data<double>()[i], "dL/dF", i);
  EXPECT_GT(max_grad, 1e-3);  // the check compared something non-trivial
}

TEST(VwmLoss, GradientsMatchFiniteDifferencesWithoutNoise) {
  for (ErrorDef d : {ErrorDef::L2, ErrorDef::SqrtL2, ErrorDef::Rad, ErrorDef::Exp})
    check_gradients(d, noise::NoiseKind::None);
}

TEST(VwmLoss, GradientsMatchFiniteDifferencesThroughGammaReadoutNoise) {
  for (ErrorDef d : {ErrorDef::L2, ErrorDef::SqrtL2, ErrorDef::Rad, ErrorDef::Exp})
    check_gradients(d, noise::NoiseKind::Gamma);
}

TEST(VwmLoss, GradientsMatchFiniteDifferencesThroughGaussReadoutNoise) {
  for (ErrorDef d : {ErrorDef::L2, ErrorDef::Rad}) check_gradients(d, noise::NoiseKind::Gauss);
  check_gradients(ErrorDef::Exp, noise::NoiseKind::PureGauss);
}

// Readouts made by hand: N = 2, F = I, no noise, the window holds 3 (cos a, sin a).
TEST(VwmLoss, ValuesOnKnownReadouts) {
  const double a = 0.4, th = 1.5;
  Tensor r(DType::F64, {1, 4, 2});
  for (int t = 0; t < 4; ++t) {
    r.data<double>()[t * 2] = 3 * std::cos(a);
    r.data<double>()[t * 2 + 1] = 3 * std::sin(a);
  }
  Tensor F = Tensor::f64({2, 2}, {1, 0, 0, 1});
  LossOptions o;
  o.decode_start = 2;
  o.lambda_reg = 0;
  o.gradients = false;
  auto val = [&](ErrorDef d) {
    o.error_def = d;
    return vwm_loss(r, F, {th}, {1}, o);
  };
  const double dx = std::cos(th) - 3 * std::cos(a), dy = std::sin(th) - 3 * std::sin(a);
  EXPECT_NEAR(val(ErrorDef::L2).total, dx * dx + dy * dy, 1e-12);
  EXPECT_NEAR(val(ErrorDef::SqrtL2).total, 10 * std::sqrt(std::hypot(dx, dy)), 1e-9);
  EXPECT_NEAR(val(ErrorDef::Rad).total, th - a, 1e-12);
  EXPECT_NEAR(val(ErrorDef::Exp).total, -10 * std::exp(-3 * (th - a) / kPi), 1e-11);
  const LossResult res = val(ErrorDef::Rad);
  EXPECT_NEAR(res.decoded[0], a, 1e-14);
  EXPECT_NEAR(res.eval_error, th - a, 1e-14);
  EXPECT_NEAR(res.angular_error[0], th - a, 1e-14);
  EXPECT_NEAR(res.activity, 3 * (std::cos(a) + std::sin(a)) / 2, 1e-14);
  // Wrapping: a decoded angle across the branch cut is a small error.
  EXPECT_NEAR(wrap_angle(3.1 - (-3.1)), 6.2 - 2 * kPi, 1e-14);
  EXPECT_NEAR(wrap_angle(-kPi), -kPi, 0);
}

TEST(VwmLoss, Float32RatesGiveTheSameLossAndCotangentDtype) {
  Problem p = random_problem(5);
  const LossOptions opt = options(ErrorDef::Rad, noise::NoiseKind::Gamma);
  const Tensor r32 = p.r.to(DType::F32);
  const Tensor r64 = r32.to(DType::F64);
  const LossResult a = vwm_loss(r32, p.F, p.theta, p.presence, opt);
  const LossResult b = vwm_loss(r64, p.F, p.theta, p.presence, opt);
  EXPECT_NEAR(a.total, b.total, 1e-12);
  EXPECT_EQ(a.dr.dtype(), DType::F32);
  for (int64_t i = 0; i < a.dr.numel(); ++i)
    EXPECT_NEAR(a.dr.data<float>()[i], b.dr.data<double>()[i],
                1e-5 * (1 + std::abs(b.dr.data<double>()[i])));
}

TEST(VwmLoss, ShapeMismatchesNameBothShapes) {
  Problem p = random_problem(1);
  Tensor badF(DType::F64, {4, 7});
  try {
    vwm_loss(p.r, badF, p.theta, p.presence, options(ErrorDef::L2, noise::NoiseKind::None));
    FAIL() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[4,7]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[3,6,5]"), std::string::npos) << e.what();
  }
}

TEST(VwmLoss, GroupMetricsSplitBySetSize) {
  const VwmConfig c = parse_vwm_config_string(
      "model_params: {max_item_num: 2, item_num: [1, 2], num_neurons: 5, T_init: 0, T_stimi: 20,"
      " T_delay: 10, T_decode: 30}\n"
      "training_params: {num_trials: 4}\n");
  const VwmBatch batch = make_batch(c, 3);
  Tensor r(DType::F64, {4, batch.steps, 5});
  std::mt19937_64 g(2);
  std::uniform_real_distribution<double> u(0.1, 5);
  for (auto& v : r.span<double>()) v = u(g);
  const Tensor F = init_readout(2, 5, 8);
  LossOptions o = loss_options(c, 4);
  const LossResult res = vwm_loss(r, F, batch.theta, batch.presence, o);
  const auto gm = group_metrics(res, batch, c);
  ASSERT_EQ(gm.size(), 2u);
  EXPECT_EQ(gm[0].trials, 2);
  EXPECT_EQ(gm[1].trials, 2);
  EXPECT_NEAR(gm[0].error, (res.trial_error[0] + res.trial_error[1]) / 2, 1e-15);
  EXPECT_NEAR(gm[1].activity, (res.trial_activity[2] + res.trial_activity[3]) / 2, 1e-15);
  EXPECT_NEAR(gm[1].error_std, std::abs(res.trial_error[2] - res.trial_error[3]) / std::sqrt(2.0),
              1e-14);
}

}  // namespace
}  // namespace rnnjit::vwm
