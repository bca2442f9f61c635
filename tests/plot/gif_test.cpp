// Animated GIFs: frames, loop extension, palette quality and the atomic appearance of the file.
#include <gif_lib.h>
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/plot/plot.hpp"
#include "tests/plot/test_util.hpp"

namespace rnnjit::plot {
namespace {

namespace fs = std::filesystem;

// Frame k of a "weights during training" movie: a matrix sharpening towards a ring structure.
Figure weight_frame(int k) {
  const int n = 40;
  Heatmap w{.title = "W at step " + std::to_string(k * 10),
            .xlabel = "neuron j",
            .ylabel = "neuron i",
            .rows = n,
            .cols = n,
            .equal_aspect = true};
  w.range = Range{-1, 1};
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      w.values.push_back(std::cos(2 * M_PI * (i - j) / n) * (0.3 + 0.35 * k));
  Axes loss{.title = "loss", .xlabel = "step", .ylabel = "loss"};
  Series s{.label = "train", .color = kRed};
  for (int i = 0; i <= k * 10; ++i) s.y.push_back(1.0 / (1 + i));
  if (s.y.size() < 2) s.y.push_back(1.0);
  loss.lines = {s};
  return Figure{.width_px = 720, .height_px = 320, .rows = 1, .cols = 2, .panels = {w, loss}};
}

TEST(Gif, ThreeFramesLoopingAndReadable) {
  fs::path dir = test::out_dir();
  fs::path out = dir / "weights.gif";
  {
    GifWriter gif(out.string(), 50);
    for (int k = 0; k < 3; ++k) {
      gif.add_frame(weight_frame(k));
      EXPECT_FALSE(fs::exists(out)) << "the GIF appears only when complete";
    }
    EXPECT_EQ(gif.frames(), 3);
    gif.close();
  }
  std::string bytes = test::read_bytes(out);
  ASSERT_GE(bytes.size(), 13u);
  EXPECT_EQ(bytes.substr(0, 6), "GIF89a");
  EXPECT_NE(bytes.find("NETSCAPE2.0"), std::string::npos) << "loop extension";
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"weights.gif"}) << "no temporary file left";

  int err = 0;
  GifFileType* gif = DGifOpenFileName(out.c_str(), &err);
  ASSERT_NE(gif, nullptr) << GifErrorString(err);
  ASSERT_EQ(DGifSlurp(gif), GIF_OK) << GifErrorString(gif->Error);
  EXPECT_EQ(gif->ImageCount, 3);
  EXPECT_EQ(gif->SWidth, 720);
  EXPECT_EQ(gif->SHeight, 320);
  for (int f = 0; f < gif->ImageCount; ++f) {
    const SavedImage& im = gif->SavedImages[f];
    ASSERT_NE(im.ImageDesc.ColorMap, nullptr);
    GraphicsControlBlock gcb;
    ASSERT_EQ(DGifSavedExtensionToGCB(gif, f, &gcb), GIF_OK);
    EXPECT_EQ(gcb.DelayTime, 50);
    // The palette keeps pure white (background), a strong red (the loss line and the positive
    // weights) and a strong blue (negative weights), and the frame uses more than a handful.
    const ColorMapObject* cm = im.ImageDesc.ColorMap;
    bool white = false, red = false, blue = false;
    std::vector<int> used(256, 0);
    for (int i = 0; i < im.ImageDesc.Width * im.ImageDesc.Height; ++i) used[im.RasterBits[i]] = 1;
    int n_used = 0;
    for (int c = 0; c < cm->ColorCount; ++c) {
      if (!used[c]) continue;
      ++n_used;
      const GifColorType& col = cm->Colors[c];
      uint32_t px = static_cast<uint32_t>(col.Red) << 16 | col.Green << 8 | col.Blue;
      white |= px == 0xffffff;
      red |= test::is_red(px);
      blue |= test::is_blue(px);
    }
    EXPECT_TRUE(white) << "frame " << f;
    EXPECT_TRUE(red) << "frame " << f;
    EXPECT_TRUE(blue) << "frame " << f;
    EXPECT_GT(n_used, 64) << "frame " << f;
  }
  DGifCloseFile(gif, &err);
}

TEST(Gif, MismatchedFrameSizeIsRefusedAndNoFramesWritesNothing) {
  fs::path dir = test::out_dir();
  {
    GifWriter gif((dir / "a.gif").string());
    gif.add_frame(weight_frame(0));
    Figure other = weight_frame(1);
    other.width_px = 500;
    EXPECT_THROW(gif.add_frame(other), std::runtime_error);
    gif.add_frame(weight_frame(2));  // still usable after a refused frame
    gif.close();
  }
  EXPECT_TRUE(fs::exists(dir / "a.gif"));
  {
    GifWriter empty((dir / "empty.gif").string());
    EXPECT_THROW(empty.close(), std::runtime_error);
  }
  EXPECT_FALSE(fs::exists(dir / "empty.gif"));
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u) << "no temporary files left behind";
}

TEST(Gif, DestructorFinishesTheFile) {
  fs::path dir = test::out_dir();
  {
    GifWriter gif((dir / "b.gif").string(), 20);
    gif.add_frame(weight_frame(1));
  }
  std::string bytes = test::read_bytes(dir / "b.gif");
  EXPECT_EQ(bytes.substr(0, 6), "GIF89a");
  EXPECT_EQ(bytes.back(), ';') << "GIF trailer written";
}

}  // namespace
}  // namespace rnnjit::plot
