// On a GPU (ctest label gpu): the ring loss kernel (DeviceRingLoss) against its host twin, which
// reproduces its sums in the same order and roundings (so only the device's atan2f, sinf and cosf,
// within 2 ulp, separate them), and against the float64 ring_loss() with the tolerances the twin
// meets. Outputs are poisoned with NaN before each launch, so anything the kernel fails to write
// shows up. Without a device every test prints "SKIPPED: no CUDA device" and passes.
#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>

#include "runtime/core/executor.hpp"
#include "tests/cuda/require_device.hpp"
#include "tests/train/ring_loss_cases.hpp"

#ifdef RNNJIT_HAVE_CUDA
#include "runtime/cuda/device_buffer.hpp"
#endif

namespace rnnjit::train::ring {
namespace {

using testing::RingLossCase;

// Kernel against twin: a few ulp of the decode, amplified by at most the loss's conditioning.
constexpr double kTwinTol = 1e-5;

#ifdef RNNJIT_HAVE_CUDA

// Runs the kernel on one case and checks it against the twin and the float64 loss.
void check_case(const RingLossCase& c, uint64_t seed) {
  SCOPED_TRACE(c.name());
  const RingReadout ro = make_readout(c.n, c.seed_angles);
  const testing::RingLossInputs in = testing::make_inputs(c, seed);
  DeviceRingLoss loss(ro);
  cuda::DeviceBuffer r, angle, dr, parts;
  r.upload(in.r);
  angle.upload(in.angle);
  dr.fill_nan(in.r.size(), nullptr);
  parts.fill_nan(2 * static_cast<size_t>(c.b), nullptr);
  loss.launch(r.ptr(), angle.ptr(), c.b, c.t, c.bump_weight, dr.ptr(), parts.ptr(), nullptr);
  const cuda::DriverApi& d = cuda::driver();
  d.check(d.StreamSynchronize(nullptr), "cuStreamSynchronize");
  const std::vector<float> k_dr = dr.download(in.r.size());
  const std::vector<float> k_parts = parts.download(2 * static_cast<size_t>(c.b));

  std::vector<float> t_dr(in.r.size()), t_parts(2 * static_cast<size_t>(c.b));
  ring_loss_twin(make_ring_loss_tables(ro), in.r.data(), in.angle.data(), c.b, c.t, c.bump_weight,
                 t_dr.data(), t_parts.data());
  std::vector<double> t_dr64(t_dr.begin(), t_dr.end());
  EXPECT_LE(testing::dr_error(k_dr, t_dr64), kTwinTol);
  for (size_t k = 0; k < t_parts.size(); ++k)
    EXPECT_NEAR(k_parts[k], t_parts[k], kTwinTol * std::max(1.f, std::abs(t_parts[k]))) << k;

  const testing::Reference ref = testing::reference(ro, c, in);
  const RingLossValue v = testing::from_parts(k_parts, c.bump_weight);
  EXPECT_NEAR(v.heading, ref.v.heading, testing::kLossTol * std::max(1.0, ref.v.heading));
  EXPECT_NEAR(v.bump, ref.v.bump, testing::kLossTol * std::max(1.0, ref.v.bump));
  EXPECT_LE(testing::dr_error(k_dr, ref.dr), testing::kDrTol);
}

#endif

TEST(RingLossGpu, MatchesTwinAndFloat64Loss) {
  REQUIRE_CUDA_DEVICE();
#ifdef RNNJIT_HAVE_CUDA
  uint64_t seed = 2000;
  for (const RingLossCase& c : testing::ring_loss_cases()) check_case(c, ++seed);
#endif
}

// More trials than SMs, more steps than warps, and T at the shared-memory limit.
TEST(RingLossGpu, LargeShapes) {
  REQUIRE_CUDA_DEVICE();
#ifdef RNNJIT_HAVE_CUDA
  check_case({33, 9, 300, false, true, 0.2f}, 3001);
  check_case({100, 40, 5, true, false, 0.2f}, 3002);
  check_case({7, kRingLossMaxT, 2, true, false, 0.2f}, 3003);
#endif
}

TEST(RingLossGpu, RejectsTooManySteps) {
  REQUIRE_CUDA_DEVICE();
#ifdef RNNJIT_HAVE_CUDA
  DeviceRingLoss loss(make_readout(7, true));
  EXPECT_THROW(loss.launch(0, 0, 1, kRingLossMaxT + 1, 0.2f, 0, 0, nullptr), std::invalid_argument);
  EXPECT_THROW(loss.launch(0, 0, 0, 5, 0.2f, 0, 0, nullptr), std::invalid_argument);
#endif
}

}  // namespace
}  // namespace rnnjit::train::ring
