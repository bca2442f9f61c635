// The ring loss kernel without a GPU: its host twin (the kernel's float32 arithmetic, sharing
// ring_loss_math.hpp) against the float64 ring_loss() on fresh random inputs, a mutation that the
// comparison must catch, and the kernel source through NVRTC for sm_80 and sm_90.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/train/ring_loss_cases.hpp"

#ifdef RNNJIT_HAVE_CUDA
#include "compiler/cuda/embedded_templates.hpp"
#include "runtime/cuda/nvrtc_api.hpp"
#include "runtime/cuda/nvrtc_compile.hpp"
#endif

namespace rnnjit::train::ring {
namespace {

using testing::kDrTol;
using testing::kLossTol;
using testing::RingLossCase;

struct TwinResult {
  std::vector<float> dr, parts;
};
TwinResult run_twin(const RingReadout& ro, const RingLossCase& c,
                    const testing::RingLossInputs& in) {
  TwinResult out{std::vector<float>(in.r.size()), std::vector<float>(2 * c.b)};
  ring_loss_twin(make_ring_loss_tables(ro), in.r.data(), in.angle.data(), c.b, c.t, c.bump_weight,
                 out.dr.data(), out.parts.data());
  return out;
}

TEST(RingLossTwin, MatchesFloat64Loss) {
  double worst_dr = 0, worst_h = 0, worst_b = 0;
  uint64_t seed = 1000;
  for (const RingLossCase& c : testing::ring_loss_cases()) {
    SCOPED_TRACE(c.name());
    const RingReadout ro = make_readout(c.n, c.seed_angles);
    const testing::RingLossInputs in = testing::make_inputs(c, ++seed);
    const testing::Reference ref = testing::reference(ro, c, in);
    const TwinResult tw = run_twin(ro, c, in);
    const RingLossValue v = testing::from_parts(tw.parts, c.bump_weight);
    const double eh = std::abs(v.heading - ref.v.heading) / std::max(1.0, ref.v.heading);
    const double eb = std::abs(v.bump - ref.v.bump) / std::max(1.0, ref.v.bump);
    const double ed = testing::dr_error(tw.dr, ref.dr);
    EXPECT_LE(eh, kLossTol);
    EXPECT_LE(eb, kLossTol);
    EXPECT_LE(ed, kDrTol);
    if (c.t > 1) {
      EXPECT_GT(ref.v.bump, 0);  // the bump loss is exercised, not trivially 0
    }
    worst_h = std::max(worst_h, eh), worst_b = std::max(worst_b, eb),
    worst_dr = std::max(worst_dr, ed);
  }
  std::printf("worst relative errors: heading %.3g, bump %.3g, dr %.3g\n", worst_h, worst_b,
              worst_dr);
}

// The twin keeps the gradient of step 1's bump term (r_1 is every step's target). Dropping it must
// push the comparison far past its tolerance, so a kernel with that bug cannot pass the tests.
TEST(RingLossTwin, CatchesADroppedStepOneBumpTerm) {
  const RingLossCase c{33, 5, 3, true, false, 0.2f};
  const RingReadout ro = make_readout(c.n, c.seed_angles);
  const testing::RingLossInputs in = testing::make_inputs(c, 77);
  const testing::Reference ref = testing::reference(ro, c, in);
  TwinResult tw = run_twin(ro, c, in);
  ASSERT_LE(testing::dr_error(tw.dr, ref.dr), kDrTol);
  // The mutation: remove -(2 w / BT) sum_t (A_t - A_1) sgn(r_1,j) from every trial's step 1.
  const int64_t N = c.n, T = c.t;
  for (int64_t b = 0; b < c.b; ++b) {
    std::vector<double> amp(static_cast<size_t>(T), 0.0);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < N; ++j) amp[t] += std::abs(in.r[(b * T + t) * N + j]);
    double sum_dev = 0;
    for (int64_t t = 0; t < T; ++t) sum_dev += amp[t] - amp[0];
    const double coef = -c.bump_weight * 2.0 / static_cast<double>(c.b * T) * sum_dev;
    for (int64_t j = 0; j < N; ++j) {
      const float x = in.r[b * T * N + j];
      tw.dr[b * T * N + j] -= static_cast<float>(coef * (x > 0 ? 1 : (x < 0 ? -1 : 0)));
    }
  }
  const double err = testing::dr_error(tw.dr, ref.dr);
  std::printf("dropped step-1 bump term: relative dr error %.3g (tolerance %.3g)\n", err, kDrTol);
  EXPECT_GT(err, 100 * kDrTol);
}

// A step whose rates are all 0 has m = 0: ring_loss() gives it a NaN heading term and no heading
// gradient, and sgn(0) = 0 leaves it without a bump gradient as well. The twin must agree.
TEST(RingLossTwin, ZeroStepHasNoGradient) {
  const RingLossCase c{7, 3, 1, false, true, 0.2f};
  const RingReadout ro = make_readout(c.n, c.seed_angles);
  testing::RingLossInputs in = testing::make_inputs(c, 5);
  std::fill(in.r.begin() + c.n, in.r.begin() + 2 * c.n, 0.f);  // step t = 1 (the second)
  const testing::Reference ref = testing::reference(ro, c, in);
  const TwinResult tw = run_twin(ro, c, in);
  EXPECT_TRUE(std::isnan(ref.v.heading));
  EXPECT_TRUE(std::isnan(testing::from_parts(tw.parts, c.bump_weight).heading));
  EXPECT_NEAR(testing::from_parts(tw.parts, c.bump_weight).bump, ref.v.bump, kLossTol * ref.v.bump);
  for (int64_t i = 0; i < c.n; ++i) EXPECT_EQ(tw.dr[c.n + i], 0.f) << i;
  EXPECT_LE(testing::dr_error(tw.dr, ref.dr), kDrTol);
}

TEST(RingLossTwin, TablesHoldTheReadoutConstants) {
  const RingReadout ro = make_readout(5, true);
  const RingLossTables tb = make_ring_loss_tables(ro);
  ASSERT_EQ(tb.n, 5);
  double a_cs = 0;
  for (int64_t j = 0; j < 5; ++j) a_cs += ro.cos_q[j] * ro.sin_p[j];
  EXPECT_DOUBLE_EQ(tb.a_cs, a_cs);
  EXPECT_FLOAT_EQ(tb.sin_q[2], static_cast<float>(ro.sin_q[2]));
}

#ifdef RNNJIT_HAVE_CUDA
#define REQUIRE_NVRTC()                                                   \
  do {                                                                    \
    std::string why;                                                      \
    if (!cuda::nvrtc_available(&why)) GTEST_SKIP() << "SKIPPED: " << why; \
  } while (0)

TEST(RingLossKernel, CompilesWithNvrtc) {
  REQUIRE_NVRTC();
  const std::string source = ring_loss_kernel_source();
  for (const char* arch : {"sm_80", "sm_90"}) {
    SCOPED_TRACE(arch);
    std::string log;
    const std::string ptx = nvrtc_compile(source, arch, /*cubin=*/false, &log);
    EXPECT_NE(ptx.find(".entry rnnjit_ring_loss"), std::string::npos);
    EXPECT_EQ(log.find("warning"), std::string::npos) << log;
  }
}

// The shared math header must sit in one unit with noise_math.hpp (each defines its own macro).
TEST(RingLossKernel, CompilesBesideNoiseMath) {
  REQUIRE_NVRTC();
  const std::string source =
      std::string(cuda::template_text("noise_math.hpp")) + "\n" + ring_loss_kernel_source();
  EXPECT_NE(nvrtc_compile(source, "sm_80", false).find("rnnjit_ring_loss"), std::string::npos);
}
#endif  // RNNJIT_HAVE_CUDA

}  // namespace
}  // namespace rnnjit::train::ring
