// FlushDenormals (runtime/cpu/flush_denormals.hpp): inside the scope a float32 product that would
// be subnormal is 0 and a subnormal input reads as 0; outside, the caller's floating-point mode is
// back.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "runtime/cpu/flush_denormals.hpp"

namespace {

// volatile: computed at run time under the current MXCSR, not folded by the compiler.
float product(float a, float b) {
  volatile float x = a, y = b;
  return x * y;
}

TEST(FlushDenormals, FlushesInsideTheScopeAndRestoresAfter) {
  const float tiny = std::numeric_limits<float>::min();  // 1.18e-38, the smallest normal
  const float subnormal = product(tiny, 0.25f);
  ASSERT_EQ(std::fpclassify(subnormal), FP_SUBNORMAL) << "the default mode keeps subnormals";
  {
    const rnnjit::cpu::FlushDenormals ftz;
#ifdef RNNJIT_HAVE_MXCSR
    EXPECT_EQ(product(tiny, 0.25f), 0.0f);       // flush to zero
    EXPECT_EQ(product(subnormal, 1e30f), 0.0f);  // denormal input read as zero
#endif
    EXPECT_EQ(product(tiny, 2.0f), 2.0f * tiny);  // normal numbers untouched
  }
  EXPECT_EQ(std::fpclassify(product(tiny, 0.25f)), FP_SUBNORMAL);
}

}  // namespace
