// The eager GPU reference on a GPU (label gpu; skips without one): cuBLAS and the NVRTC kernels
// against the float64 interpreter on the cases of eager_gpu_cases.hpp, its device timer, and the
// cuBLAS SGEMM peak that rnnjit bench reports fractions of.
#include <gtest/gtest.h>

#include "bench/references/eager_gpu.hpp"
#include "bench/references/eager_ops.hpp"
#include "runtime/backends/backends.hpp"
#include "tests/bench/eager_gpu_cases.hpp"

namespace rnnjit {
namespace {

using cuda_test::eager_cases;
using cuda_test::EagerCase;

// On a GPU: cuBLAS and the kernels against the interpreter, and the timers.
class EagerGpuDevice : public ::testing::TestWithParam<size_t> {};

TEST_P(EagerGpuDevice, MatchesTheFloat64Reference) {
  if (!cuda_device_available()) GTEST_SKIP() << "SKIPPED: no CUDA device";
  const EagerCase c = eager_cases().at(GetParam());
  auto eager = bench::make_eager_gpu_reference(cuda_test::make_module(c.spec));
  EXPECT_EQ(eager->backend(), "eager-gpu");
  cuda_test::check_eager_against_reference(*eager, c, 5000 + GetParam());
  EXPECT_GT(eager->time_device_ms(true, 1, 3), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Cases, EagerGpuDevice, ::testing::Range<size_t>(0, eager_cases().size()),
                         cuda_test::eager_case_name);

TEST(EagerGpuDevicePeak, SgemmPeakIsMeasured) {
  if (!cuda_device_available()) GTEST_SKIP() << "SKIPPED: no CUDA device";
  const double gflops = bench::measure_cuda_sgemm_gflops(2048);
  EXPECT_GT(gflops, 100.0);  // any CUDA GPU of this decade
}

}  // namespace
}  // namespace rnnjit
