// CI (no GPU): the device optimiser's kernels (templates/optimizer.cuh over
// math/optimizer_math.hpp) compile with NVRTC for sm_80 and sm_90, both entries are in the
// PTX, and the kernel argument structs have the layout the host passes (a static_assert in the
// shared header, which NVRTC evaluates too).
#include <gtest/gtest.h>

#include "compiler/cuda/cuda_codegen.hpp"
#include "runtime/cuda/nvrtc_api.hpp"
#include "runtime/cuda/nvrtc_compile.hpp"

namespace rnnjit {
namespace {

TEST(OptimizerNvrtc, CompilesForAmpereAndHopperWithBothEntries) {
  std::string why;
  if (!cuda::nvrtc_available(&why)) GTEST_SKIP() << "SKIPPED: " << why;
  const std::string src = cuda::emit_optimizer_source();
  for (const char* arch : {"sm_80", "sm_90"}) {
    std::string log;
    const std::string ptx = nvrtc_compile(src, arch, /*cubin=*/false, &log);
    EXPECT_NE(ptx.find(std::string(".entry ") + cuda::kOptSumsqEntry), std::string::npos) << arch;
    EXPECT_NE(ptx.find(std::string(".entry ") + cuda::kOptAdamEntry), std::string::npos) << arch;
    EXPECT_EQ(log.find("warning"), std::string::npos) << arch << ":\n" << log;
  }
}

TEST(OptimizerNvrtc, SourceCarriesTheSharedHeaderWithoutHostIncludes) {
  const std::string src = cuda::emit_optimizer_source();
  EXPECT_NE(src.find("segment_adam"), std::string::npos);
  EXPECT_EQ(src.find("#include"), std::string::npos);
  EXPECT_EQ(src.find("#pragma once"), std::string::npos);
}

}  // namespace
}  // namespace rnnjit
