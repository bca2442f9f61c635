// PNG figures: each test renders a figure like the trainers write, decodes it again and checks
// what a reader would see (size, colours where the data says they must be, no temporary files).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <set>

#include "runtime/plot/plot.hpp"
#include "tests/plot/test_util.hpp"

namespace rnnjit::plot {
namespace {

using test::decode_png;
using test::is_blue;
using test::is_red;
namespace fs = std::filesystem;

void expect_png_header(const fs::path& p, int w, int h) {
  std::string bytes = test::read_bytes(p);
  ASSERT_GE(bytes.size(), 33u) << p;
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(test::be32(bytes, 16), static_cast<uint32_t>(w));
  EXPECT_EQ(test::be32(bytes, 20), static_cast<uint32_t>(h));
}

size_t distinct_colours(const test::Image& img) {
  std::set<uint32_t> s(img.px.begin(), img.px.end());
  return s.size();
}

// Only `name` in the folder: no temporary file left behind by the atomic write.
void expect_only_file(const fs::path& dir, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{name});
}

TEST(Png, LinePlotWithLegendLogAxisAndNaNGap) {
  fs::path dir = test::out_dir();
  // A loss curve on a log axis (left) and a red line with a NaN gap in its middle (right).
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 0.08);
  Axes loss{.title = "Training loss", .xlabel = "step", .ylabel = "loss", .logy = true};
  Series train{.label = "train"}, held{.label = "held-out", .dashed = true};
  for (int s = 0; s <= 1000; s += 10) {
    double base = 2.0 * std::exp(-s / 200.0) + 0.02;
    train.x.push_back(s);
    train.y.push_back(base * std::exp(noise(rng)));
    held.x.push_back(s);
    held.y.push_back(base * 1.15);
  }
  loss.lines = {train, held};
  loss.hlines.push_back({.value = 0.05, .label = "target"});

  Axes gap{.title = "Decoded angle", .xlabel = "time (ms)", .ylabel = "angle (rad)"};
  gap.xlim = Range{0, 100};
  gap.ylim = Range{0, 1};
  Series red_line{.label = "decoded", .color = kRed, .width = 3};
  for (int i = 0; i <= 100; ++i) {
    red_line.x.push_back(i);
    red_line.y.push_back(i >= 40 && i <= 60 ? NAN : 0.5);
  }
  Series truth{.label = "true", .color = kBlack, .dashed = true};
  for (int i = 0; i <= 100; ++i) {
    truth.x.push_back(i);
    truth.y.push_back(0.2 + 0.006 * i);
  }
  gap.lines = {truth, red_line};
  gap.vlines.push_back({.value = 20, .label = "stimulus"});

  Figure fig{.width_px = 1100,
             .height_px = 450,
             .rows = 1,
             .cols = 2,
             .suptitle = "Ring attractor",
             .panels = {loss, gap}};
  fs::path out = dir / "lines.png";
  save_png(fig, out.string());
  expect_png_header(out, 1100, 450);
  expect_only_file(dir, "lines.png");

  test::Image img = decode_png(out);
  ASSERT_EQ(img.width, 1100);
  EXPECT_GT(distinct_colours(img), 50u);  // antialiased lines and text, not a blank page
  // Columns of the right panel holding red pixels form two runs separated by the NaN gap.
  std::vector<bool> red_col(img.width, false);
  int red_rows_min = img.height, red_rows_max = 0;
  for (int x = img.width / 2; x < img.width; ++x)
    for (int y = 0; y < img.height; ++y)
      if (is_red(img.at(x, y))) {
        red_col[x] = true;
        red_rows_min = std::min(red_rows_min, y);
        red_rows_max = std::max(red_rows_max, y);
      }
  int runs = 0, first = -1, last = -1;
  for (int x = 1; x < img.width; ++x) {
    if (red_col[x] && !red_col[x - 1]) ++runs;
    if (red_col[x]) last = x, first = first < 0 ? x : first;
  }
  EXPECT_EQ(runs, 2) << "the red line should be broken once, at its NaN values";
  EXPECT_GT(last - first, 300) << "the red line spans the plot width";
  // Horizontal at y = 0.5: all its pixels within a few rows (the legend sample is elsewhere, so
  // allow it: at most two bands).
  EXPECT_GT(red_rows_max, red_rows_min);
}

TEST(Png, HeatmapWithBlocksAndColorbar) {
  fs::path dir = test::out_dir();
  // A Dale's-law weight matrix: excitatory columns positive, inhibitory negative.
  const int n = 48, ne = 36;
  std::mt19937 rng(3);
  std::gamma_distribution<double> mag(2.0, 0.05);
  Heatmap w{.title = "Recurrent weights W_eff",
            .xlabel = "presynaptic neuron",
            .ylabel = "postsynaptic neuron",
            .rows = n,
            .cols = n,
            .colorbar_label = "weight",
            .equal_aspect = true};
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) w.values.push_back((j < ne ? 1 : -1.5) * mag(rng));
  w.col_separators = {ne};
  w.row_separators = {ne};
  w.col_block_labels = {"E", "I"};
  w.row_block_labels = {"E", "I"};

  Heatmap act{.title = "Activity",
              .xlabel = "time (ms)",
              .ylabel = "neuron",
              .rows = 32,
              .cols = 200,
              .colormap = Colormap::Sequential,
              .colorbar_label = "rate (Hz)"};
  act.x_extent = Range{0, 2000};
  for (int i = 0; i < 32; ++i)
    for (int t = 0; t < 200; ++t) {
      double d = std::remainder(i - 16 - 8 * std::sin(t / 30.0), 32.0);
      act.values.push_back(40 * std::exp(-d * d / 8));
    }
  fs::path out = dir / "heatmaps.png";
  save_png(Figure{.width_px = 1200, .height_px = 500, .rows = 1, .cols = 2, .panels = {w, act}},
           out.string());
  expect_png_header(out, 1200, 500);
  expect_only_file(dir, "heatmaps.png");
  test::Image img = decode_png(out);
  ASSERT_EQ(img.width, 1200);
  EXPECT_GT(distinct_colours(img), 100u);
  // Left panel: the excitatory block is red-ish (positive), the inhibitory one blue (negative), and
  // the blue cells lie to the right of the red ones.
  long reds = 0, blues = 0;
  double red_x = 0, blue_x = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width / 2; ++x) {
      uint32_t p = img.at(x, y);
      if (is_red(p)) ++reds, red_x += x;
      if (is_blue(p)) ++blues, blue_x += x;
    }
  ASSERT_GT(reds, 500);
  ASSERT_GT(blues, 500);
  EXPECT_LT(red_x / reds, blue_x / blues);
}

TEST(Png, HistogramWithFittedDensity) {
  fs::path dir = test::out_dir();
  std::mt19937 rng(11);
  std::normal_distribution<double> err(0, 0.4);
  Histogram h{.title = "Error distribution, set size 2",
              .xlabel = "error (rad)",
              .bins = 40,
              .density = true,
              .label = "errors"};
  h.range = Range{-std::numbers::pi, std::numbers::pi};
  for (int i = 0; i < 4000; ++i) h.values.push_back(std::remainder(err(rng), 2 * std::numbers::pi));
  Series fit{.label = "Gaussian + uniform fit", .color = kRed, .width = 2.5};
  for (int i = 0; i <= 200; ++i) {
    double x = -std::numbers::pi + 2 * std::numbers::pi * i / 200;
    fit.x.push_back(x);
    fit.y.push_back(std::exp(-x * x / (2 * 0.16)) / std::sqrt(2 * std::numbers::pi * 0.16));
  }
  h.curves = {fit};
  h.vlines.push_back({.value = 0, .label = "target"});
  fs::path out = dir / "hist.png";
  save_png(Figure{.width_px = 640, .height_px = 480, .panels = {h}}, out.string());
  expect_png_header(out, 640, 480);
  test::Image img = decode_png(out);
  long reds = 0, bars = 0;
  for (uint32_t p : img.px) {
    if (is_red(p)) ++reds;
    if (std::abs(test::red(p) - 115) < 8 && std::abs(test::green(p) - 158) < 8 &&
        std::abs(test::blue(p) - 207) < 8)
      ++bars;
  }
  EXPECT_GT(reds, 300) << "the fitted curve is drawn";
  EXPECT_GT(bars, 5000) << "the bars are drawn";
}

TEST(Png, TwoByTwoGridWithEmptyCellAndSuptitle) {
  fs::path dir = test::out_dir();
  Axes a{.title = "Error vs set size", .xlabel = "set size", .ylabel = "mean error (rad)"};
  a.lines.push_back({.x = {1, 2, 3, 4, 6},
                     .y = {0.21, 0.35, 0.52, 0.61, 0.8},
                     .label = "rnnjit",
                     .points = true});
  a.lines.push_back({.x = {1, 2, 3, 4, 6},
                     .y = {0.2, 0.37, 0.5, 0.65, 0.83},
                     .label = "seed",
                     .dashed = true,
                     .points = true});
  Axes b{.title = "Learning rate",
         .xlabel = "iteration",
         .ylabel = "lr",
         .logy = true,
         .legend = false};
  Series lr;
  for (int i = 0; i < 500; ++i) lr.y.push_back(1e-3 * std::pow(0.5, i / 120));
  b.lines = {lr};
  Histogram c{.title = "Bump amplitude", .edges = {0, 1, 2, 3, 4}, .counts = {3, 10, 6, 1}};
  fs::path out = dir / "grid.png";
  save_png(Figure{.width_px = 1000,
                  .height_px = 800,
                  .rows = 2,
                  .cols = 2,
                  .suptitle = "VWM training summary",
                  .panels = {a, b, c}},
           out.string());
  expect_png_header(out, 1000, 800);
  test::Image img = decode_png(out);
  // The fourth cell is empty: all white.
  bool all_white = true;
  for (int y = img.height / 2 + 20; y < img.height; ++y)
    for (int x = img.width / 2 + 20; x < img.width; ++x)
      all_white &= (img.at(x, y) & 0xffffff) == 0xffffff;
  EXPECT_TRUE(all_white);
}

TEST(Png, ErrorsNameTheProblem) {
  fs::path dir = test::out_dir();
  Heatmap bad{.title = "W", .rows = 3, .cols = 4, .values = std::vector<double>(11, 0.0)};
  try {
    save_png(Figure{.panels = {bad}}, (dir / "bad.png").string());
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("11 entries"), std::string::npos) << msg;
    EXPECT_NE(msg.find("3 * 4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bad.png"), std::string::npos) << msg;
  }
  Axes mismatch{.title = "loss"};
  mismatch.lines.push_back({.x = {1, 2, 3}, .y = {1, 2}, .label = "train"});
  EXPECT_THROW(render_png(Figure{.panels = {mismatch}}), std::runtime_error);
  EXPECT_THROW(render_png(Figure{.rows = 1, .cols = 1, .panels = {Axes{}, Axes{}}}),
               std::runtime_error);
  EXPECT_THROW(save_png(Figure{.panels = {Axes{}}}, (dir / "no/such/folder/x.png").string()),
               std::runtime_error);
  EXPECT_TRUE(fs::is_empty(dir)) << "nothing half-written is left behind";
}

TEST(Png, EmptyAndDegenerateDataStillRender) {
  // No data, a constant series, all-NaN values: the figure is still drawn (with a sane axis).
  Axes empty{.title = "nothing yet"};
  Axes flat{.title = "constant"};
  flat.lines.push_back({.y = {2, 2, 2}});
  Axes nan{.title = "all NaN"};
  nan.lines.push_back({.y = {NAN, NAN}});
  Heatmap zeros{.rows = 2, .cols = 2, .values = {0, 0, 0, 0}};
  Histogram none{.title = "no values"};
  std::string png = render_png(Figure{.width_px = 900,
                                      .height_px = 600,
                                      .rows = 2,
                                      .cols = 3,
                                      .panels = {empty, flat, nan, zeros, none}});
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace rnnjit::plot
