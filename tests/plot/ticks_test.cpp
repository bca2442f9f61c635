// Tick selection and labels, binning and colormaps: the numbers behind every figure.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "runtime/plot/plot.hpp"

namespace rnnjit::plot {
namespace {

void expect_ticks(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << "tick " << i;
}

TEST(NiceTicks, RoundStepsInsideTheRange) {
  expect_ticks(nice_ticks(0, 0.93, 6), {0, 0.2, 0.4, 0.6, 0.8});
  expect_ticks(nice_ticks(0, 1, 6), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  expect_ticks(nice_ticks(0, 1000, 6), {0, 200, 400, 600, 800, 1000});
  expect_ticks(nice_ticks(-3.7, 12, 6), {-2.5, 0, 2.5, 5, 7.5, 10});
  expect_ticks(nice_ticks(-3.7, 12, 5), {0, 5, 10});
  expect_ticks(nice_ticks(-1, 1, 5), {-1, -0.5, 0, 0.5, 1});
  expect_ticks(nice_ticks(0, 10, 3), {0, 5, 10});
  expect_ticks(nice_ticks(0, 2.5, 2), {0, 2});
}

TEST(NiceTicks, PropertiesOverManyRanges) {
  // Random ranges over many magnitudes: ticks are inside, evenly spaced, few enough, at least two,
  // and the step is 1, 2, 2.5 or 5 times a power of ten.
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (int trial = 0; trial < 2000; ++trial) {
    double scale = std::pow(10.0, -6 + 12 * next());
    double lo = (next() - 0.5) * 4 * scale, hi = lo + (0.01 + next()) * scale;
    int max_ticks = 2 + static_cast<int>(next() * 8);
    auto t = nice_ticks(lo, hi, max_ticks);
    ASSERT_GE(t.size(), 2u) << lo << " " << hi << " " << max_ticks;
    // At most max_ticks, except where that would leave a single tick (then the next finer step).
    ASSERT_LE(static_cast<int>(t.size()), std::max(max_ticks, 6)) << lo << " " << hi;
    if (max_ticks >= 5) {
      EXPECT_LE(static_cast<int>(t.size()), max_ticks) << lo << " " << hi;
    }
    double step = t[1] - t[0];
    double mant = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    EXPECT_TRUE(std::abs(mant - 1) < 1e-6 || std::abs(mant - 2) < 1e-6 ||
                std::abs(mant - 2.5) < 1e-6 || std::abs(mant - 5) < 1e-6)
        << "step " << step;
    for (size_t i = 0; i < t.size(); ++i) {
      EXPECT_GE(t[i], lo - 1e-9 * step);
      EXPECT_LE(t[i], hi + 1e-9 * step);
      if (i > 0) {
        EXPECT_NEAR(t[i] - t[i - 1], step, 1e-9 * step);
      }
    }
  }
}

TEST(NiceTicks, DegenerateRanges) {
  expect_ticks(nice_ticks(3, 3, 5), {3});
  expect_ticks(nice_ticks(1, 0, 3), {0, 0.5, 1});  // reversed bounds are swapped
  EXPECT_TRUE(nice_ticks(0, NAN, 5).empty());
}

TEST(LogTicks, DecadesAndMultiples) {
  expect_ticks(log_ticks(1e-4, 10, 8), {1e-4, 1e-3, 1e-2, 1e-1, 1, 10});
  expect_ticks(log_ticks(0.3, 4, 8), {0.5, 1, 2});
  // Two decade ticks only: the 1-2-5 multiples instead.
  expect_ticks(log_ticks(0.03, 2.5, 8), {0.05, 0.1, 0.2, 0.5, 1, 2});
  auto many = log_ticks(1e-12, 1e12, 6);
  EXPECT_LE(many.size(), 6u);
  EXPECT_GE(many.size(), 3u);
  EXPECT_TRUE(log_ticks(-1, 10, 5).empty());
}

TEST(FormatTick, ShortExactLabels) {
  EXPECT_EQ(format_tick(0.1 + 0.2, 0.1), "0.3");
  EXPECT_EQ(format_tick(0.25, 0.25), "0.25");
  EXPECT_EQ(format_tick(2.5, 2.5), "2.5");
  EXPECT_EQ(format_tick(1000, 200), "1000");
  EXPECT_EQ(format_tick(-0.2, 0.2), "-0.2");
  EXPECT_EQ(format_tick(1e-17, 0.2), "0");
  EXPECT_EQ(format_tick(0, 0.5), "0");
  EXPECT_EQ(format_tick(2e-5, 1e-5), "2e-5");
  EXPECT_EQ(format_tick(2e6, 1e6), "2e6");
  EXPECT_EQ(format_tick(0.001, 0.001), "0.001");
}

TEST(BinCounts, EqualBinsAndEdges) {
  auto c = bin_counts({0, 0.1, 0.5, 0.99, 1.0, -0.1, 1.1, NAN}, 2, 0, 1);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], 2);  // 0, 0.1
  EXPECT_EQ(c[1], 3);  // 0.5, 0.99 and the upper edge 1.0
}

TEST(Colormaps, EndsAndCentre) {
  Color mid = diverging_color(0.5);
  EXPECT_GT(mid.r, 0.95);
  EXPECT_GT(mid.g, 0.95);
  EXPECT_GT(mid.b, 0.95);
  Color lo = diverging_color(0), hi = diverging_color(1);
  EXPECT_GT(lo.b, lo.r + 0.2);
  EXPECT_GT(hi.r, hi.b + 0.2);
  // Sequential: luminance rises monotonically (what makes viridis readable in grey).
  double prev = -1;
  for (int i = 0; i <= 20; ++i) {
    Color c = sequential_color(i / 20.0);
    double lum = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
    EXPECT_GT(lum, prev);
    prev = lum;
  }
}

}  // namespace
}  // namespace rnnjit::plot
