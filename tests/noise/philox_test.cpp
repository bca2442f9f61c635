// Philox4x32-10 against the Random123 known-answer vectors, and the uniforms / normals built on it.
#include <cmath>
#include <unordered_set>

#include <gtest/gtest.h>

#include "math/noise_math.hpp"

namespace {

using namespace rnnjit::noise;

struct Kat {
  u32 ctr[4];
  u32 key[2];
  u32 expected[4];
};

// Random123 tests/kat_vectors, "philox4x32 10" lines: counter, key, expected output.
const Kat kKats[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

TEST(Philox, KnownAnswerVectors) {
  for (const Kat& k : kKats) {
    Philox4 ctr = {{k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3]}};
    Philox4 out = philox4x32_10(ctr, k.key[0], k.key[1]);
    for (int j = 0; j < 4; ++j) EXPECT_EQ(out.v[j], k.expected[j]) << "word " << j;
  }
}

TEST(Philox, CounterLayoutUsesSeedAsKey) {
  const u64 seed = 0x299f31d0a4093822ull;
  Philox4 direct = philox4x32_10({{7, 6, 5, (3u << 8) | 2u}}, 0xa4093822u, 0x299f31d0u);
  Philox4 via = noise_bits(seed, /*stream=*/3, /*t=*/5, /*b=*/6, /*i=*/7, /*block=*/2);
  for (int j = 0; j < 4; ++j) EXPECT_EQ(direct.v[j], via.v[j]);
}

TEST(Philox, DistinctElementsGiveDistinctWords) {
  std::unordered_set<u64> seen;
  int draws = 0;
  for (u32 stream = 0; stream < 2; ++stream)
    for (u32 t = 0; t < 20; ++t)
      for (u32 b = 0; b < 20; ++b)
        for (u32 i = 0; i < 64; ++i, ++draws) {
          Philox4 w = noise_bits(42, stream, t, b, i);
          seen.insert(((u64)w.v[0] << 32) | w.v[1]);
        }
  // 51200 draws of 64 bits: a collision would be a bug, not bad luck.
  EXPECT_EQ((int)seen.size(), draws);
  EXPECT_NE(noise_bits(42, 0, 1, 2, 3).v[0], noise_bits(43, 0, 1, 2, 3).v[0]);
}

TEST(Uniform, StrictlyInsideOpenInterval) {
  EXPECT_GT(uniform_open_f64(0, 0), 0.0);
  EXPECT_LT(uniform_open_f64(0xffffffffu, 0xffffffffu), 1.0);
  EXPECT_GT(uniform_open_f32(0), 0.0f);
  EXPECT_LT(uniform_open_f32(0xffffffffu), 1.0f);
  EXPECT_EQ(uniform_open_f64(0, 0), std::ldexp(1.0, -53));
  EXPECT_EQ(uniform_open_f64(0xffffffffu, 0xffffffffu), 1.0 - std::ldexp(1.0, -53));
  EXPECT_EQ(uniform_open_f32(0xffffffffu), 1.0f - std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isfinite(std::log(uniform_open_f64(0, 0))));
  EXPECT_TRUE(std::isfinite(std::log1p(-uniform_open_f64(0xffffffffu, 0xffffffffu))));
}

TEST(Uniform, Moments) {
  const int n = 100000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    double u = uniform_open<double>(noise_bits(7, 0, 0, 0, (u32)i), i & 1);
    s += u;
    s2 += u * u;
  }
  double mean = s / n, var = s2 / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(var, 1.0 / 12, 5 * std::sqrt(1.0 / 180 / n));  // var of (u-1/2)^2 is 1/180
}

TEST(Normal, Moments) {
  for (int use_float = 0; use_float < 2; ++use_float) {
    const int n = 100000;
    double s = 0, s2 = 0, s3 = 0, s4 = 0;
    for (int i = 0; i < n; ++i) {
      Philox4 w = noise_bits(11, 0, 3, 1, (u32)i);
      double e = use_float ? (double)standard_normal<float>(w) : standard_normal<double>(w);
      s += e, s2 += e * e, s3 += e * e * e, s4 += e * e * e * e;
    }
    // Standard errors of the raw moments 1..4 of N(0,1): sqrt(1, 2, 15, 96)/sqrt(n).
    const double se = 1 / std::sqrt((double)n);
    EXPECT_NEAR(s / n, 0.0, 5 * se) << "float=" << use_float;
    EXPECT_NEAR(s2 / n, 1.0, 5 * std::sqrt(2.0) * se);
    EXPECT_NEAR(s3 / n, 0.0, 5 * std::sqrt(15.0) * se);
    EXPECT_NEAR(s4 / n, 3.0, 5 * std::sqrt(96.0) * se);
  }
}

}  // namespace
