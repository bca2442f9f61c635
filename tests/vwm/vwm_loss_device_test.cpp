// The VWM loss kernels without a GPU: their host twin (the kernels' float32 arithmetic, sharing
// math/vwm_loss_math.hpp) against the float64 vwm_loss() on random inputs, mutations
// the comparison must catch, the shape checks, and the kernel source through NVRTC for sm_80 and
// sm_90.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#ifdef RNNJIT_HAVE_CUDA
#include "runtime/cuda/nvrtc_api.hpp"
#include "runtime/cuda/nvrtc_compile.hpp"
#endif
#include "tests/vwm/vwm_loss_device_cases.hpp"

namespace rnnjit::vwm {
namespace {

using testing::DeviceLossCase;
using testing::Discrepancy;

using testing::kAngleTol;
using testing::kDfTol;
using testing::kDrTol;
using testing::kScalarTol;

struct TwinCheck {
  DeviceLossCase c;
  testing::DeviceLossInputs in;
  LossResult ref;
  std::vector<double> ref_dr, ref_dF;
  testing::DeviceLossOutputs raw;
  LossResult got;
};
TwinCheck run_case(const DeviceLossCase& c) {
  TwinCheck k{c, testing::make_inputs(c), {}, {}, {}, {}, {}};
  k.ref = testing::reference(c, k.in);
  k.ref_dr = testing::as_f64(k.ref.dr);
  k.ref_dF = testing::as_f64(k.ref.dF);
  k.raw = testing::run_twin(c, k.in);
  k.got = loss_result_from_parts(testing::options(c), c.b, c.m, k.raw.trial_out, k.raw.decoded,
                                 k.in.theta_d, k.in.presence_d);
  return k;
}
Discrepancy discrepancy(const TwinCheck& k) {
  return testing::compare(k.c, k.in, k.got, k.raw, k.ref, k.ref_dr, k.ref_dF);
}

TEST(VwmLossTwin, MatchesFloat64Loss) {
  Discrepancy worst;
  const std::vector<DeviceLossCase> cases = testing::device_loss_cases();
  for (const DeviceLossCase& c : cases) {
    SCOPED_TRACE(c.name());
    const TwinCheck k = run_case(c);
    const Discrepancy d = discrepancy(k);
    EXPECT_LE(d.scalar, kScalarTol);
    EXPECT_LE(d.angle, kAngleTol);
    EXPECT_LE(d.dr, kDrTol);
    EXPECT_LE(d.dF, kDfTol);
    // The present-item count is exact.
    for (int64_t b = 0; b < c.b; ++b) {
      double present = 0;
      for (int64_t m = 0; m < c.m; ++m) present += k.in.presence_d[b * c.m + m];
      EXPECT_EQ(k.raw.trial_out[4 * b + 3], present);
    }
    worst.worst_of(d);
  }
  std::printf(
      "%zu cases; worst (after widening): scalar %.3g, angle %.3g rad, dr %.3g, dF %.3g; "
      "worst acos conditioning 1 / (1 - |dot|) = %.3g\n",
      cases.size(), worst.scalar, worst.angle, worst.dr, worst.dF, worst.kappa);
}

// The noise kinds really differ from the noiseless readout (the draws are exercised), and an
// absent item contributes nothing: its angular error is 0 in both results.
TEST(VwmLossTwin, InputsExerciseTheCases) {
  DeviceLossCase c{3, 6, 40, 3, 2, ErrorDef::Rad, noise::NoiseKind::Gamma, 0.05, 0.05, 4242};
  const TwinCheck noisy = run_case(c);
  c.kind = noise::NoiseKind::None;
  const TwinCheck clean = run_case(c);
  EXPECT_NE(noisy.raw.decoded, clean.raw.decoded);
  EXPECT_EQ(noisy.in.presence_d[c.m - 1], 0.0);
  EXPECT_EQ(noisy.got.angular_error[c.m - 1], 0.0);
  EXPECT_GT(noisy.ref.total, 0.0);
}

// Mutations of the twin's outputs that stand for kernel bugs: each must push the comparison far
// past its tolerance.
TEST(VwmLossTwin, CatchesMutations) {
  const DeviceLossCase c{3, 6, 7, 3, 2, ErrorDef::Rad, noise::NoiseKind::Gamma, 0.05, 0.05, 77};
  const TwinCheck base = run_case(c);
  ASSERT_LE(discrepancy(base).dr, kDrTol);
  ASSERT_LE(discrepancy(base).dF, kDfTol);

  // 1. The activity term dropped on the steps before the window (only the readout's written).
  TwinCheck k = base;
  for (int64_t b = 0; b < c.b; ++b)
    for (int64_t t = 0; t < c.t0; ++t)
      for (int64_t i = 0; i < c.n; ++i) k.raw.dr[(b * c.t + t) * c.n + i] = 0.f;
  const double dropped = discrepancy(k).dr;
  // 2. A sign flip of the readout gradient dF.
  k = base;
  for (float& v : k.raw.dF) v = -v;
  const double flipped = discrepancy(k).dF;
  // 3. The activity term's sign flipped inside the window (sgn(r) read as -sgn(r)).
  k = base;
  const float reg = vwm_reg_scale(testing::options(c), c.b, c.t, c.n);
  for (int64_t b = 0; b < c.b; ++b)
    for (int64_t t = c.t0; t < c.t; ++t)
      for (int64_t i = 0; i < c.n; ++i) k.raw.dr[(b * c.t + t) * c.n + i] -= 2 * reg;
  const double reg_flipped = discrepancy(k).dr;
  // 4. The biased std (divided by B) instead of the unbiased one.
  k = base;
  k.got.eval_error_std *= std::sqrt(static_cast<double>(c.b - 1) / c.b);
  const double biased = discrepancy(k).scalar;
  std::printf(
      "mutations: dropped activity term dr %.3g (tol %.3g), flipped dF %.3g (tol %.3g), flipped "
      "activity sign in window dr %.3g, biased std %.3g (tol %.3g)\n",
      dropped, kDrTol, flipped, kDfTol, reg_flipped, biased, kScalarTol);
  EXPECT_GT(dropped, 100 * kDrTol);
  EXPECT_GT(flipped, 100 * kDfTol);
  EXPECT_GT(reg_flipped, 100 * kDrTol);
  EXPECT_GT(biased, 100 * kScalarTol);
}

TEST(VwmLossTwin, RejectsShapesTheKernelsCannotRun) {
  const LossOptions opt;
  std::vector<float> buf(4096, 1.f);
  float* p = buf.data();
  auto twin = [&](int64_t B, int64_t T, int64_t N, int64_t M, int64_t t0) {
    LossOptions o = opt;
    o.decode_start = t0;
    vwm_loss_twin(o, B, T, N, M, p, p, p, p, p, p, p, p);
  };
  EXPECT_THROW(twin(1, 2, 3, 11, 0), std::invalid_argument);  // M past kVwmLossMaxItems
  EXPECT_THROW(twin(1, 2, 3, 1, 2), std::invalid_argument);   // empty decode window
  EXPECT_THROW(twin(1, 2, 3, 1, -1), std::invalid_argument);
  EXPECT_THROW(twin(0, 2, 3, 1, 0), std::invalid_argument);
  EXPECT_THROW(check_vwm_loss_shape("t", 1 << 20, 1 << 12, 1, 1, 0), std::invalid_argument);
  EXPECT_NO_THROW(twin(1, 2, 3, 10, 1));
}

// loss_result_from_parts keeps vwm_loss()'s conventions on hand-made parts.
TEST(VwmLossTwin, AssemblesTheResult) {
  LossOptions opt;
  opt.lambda_err = 2;
  opt.lambda_reg = 0.5;
  // Two trials, two items; trial 1 lacks item 1.
  const std::vector<float> trial_out = {0.5f, 10.f, 0.25f, 2.f, 1.5f, 20.f, 0.75f, 1.f};
  const std::vector<float> decoded = {0.f, 3.f, 1.f, 2.f};
  const std::vector<double> theta = {0.5, -3.0, 0.0, 0.0}, presence = {1, 1, 1, 0};
  const LossResult res = loss_result_from_parts(opt, 2, 2, trial_out, decoded, theta, presence);
  EXPECT_DOUBLE_EQ(res.error_term, 1.0);
  EXPECT_DOUBLE_EQ(res.activity, 15.0);
  EXPECT_DOUBLE_EQ(res.eval_error, 0.5);
  EXPECT_DOUBLE_EQ(res.eval_error_std, std::sqrt(0.125));  // unbiased over 2 trials
  EXPECT_DOUBLE_EQ(res.total, 2 * 1.0 + 0.5 * 15.0);
  EXPECT_DOUBLE_EQ(res.angular_error[0], 0.5);
  EXPECT_DOUBLE_EQ(res.angular_error[1], wrap_angle(-6.0));
  EXPECT_DOUBLE_EQ(res.angular_error[2], -1.0);
  EXPECT_EQ(res.angular_error[3], 0.0);  // absent
  EXPECT_DOUBLE_EQ(res.decoded[1], 3.0);
  EXPECT_DOUBLE_EQ(res.trial_error[1], 0.75);
  EXPECT_DOUBLE_EQ(res.trial_activity[0], 10.0);
  EXPECT_TRUE(res.dr.empty());
}

#ifdef RNNJIT_HAVE_CUDA
TEST(VwmLossKernel, CompilesWithNvrtc) {
  std::string why;
  if (!cuda::nvrtc_available(&why)) {
    std::printf("SKIPPED: NVRTC not available (%s)\n", why.c_str());
    GTEST_SKIP() << "NVRTC not available: " << why;
  }
  const std::string source = vwm_loss_kernel_source();
  for (const char* arch : {"sm_80", "sm_90"}) {
    SCOPED_TRACE(arch);
    std::string log;
    const std::string ptx = nvrtc_compile(source, arch, /*cubin=*/false, &log);
    for (const char* entry : kVwmLossEntries)
      EXPECT_NE(ptx.find(std::string(".entry ") + entry), std::string::npos) << entry;
    EXPECT_EQ(log.find("warning"), std::string::npos) << log;
    // And to SASS, as the launcher loads it.
    EXPECT_FALSE(nvrtc_compile(source, arch, /*cubin=*/true).empty());
  }
}
#endif  // RNNJIT_HAVE_CUDA

}  // namespace
}  // namespace rnnjit::vwm
