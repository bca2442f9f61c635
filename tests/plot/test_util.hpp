// Helpers shared by the plot tests: a fresh output folder per test and PNG decoding.
#pragma once

#include <cairo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace rnnjit::plot::test {

// Removes this process's temporary folder when the test binary exits.
struct TempRootCleanup {
  std::filesystem::path root;
  ~TempRootCleanup() {
    std::error_code ec;
    if (!root.empty()) std::filesystem::remove_all(root, ec);
  }
};
inline TempRootCleanup temp_root_cleanup;

// A fresh folder for this test's files. With RNNJIT_PLOT_TEST_OUT set, the figures are kept there
// (to look at them); otherwise a temporary folder is used.
inline std::filesystem::path out_dir() {
  namespace fs = std::filesystem;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  fs::path dir;
  if (const char* keep = std::getenv("RNNJIT_PLOT_TEST_OUT"))
    dir = fs::path(keep) / name;
  else {
    temp_root_cleanup.root =
        fs::temp_directory_path() / ("rnnjit_plot_" + std::to_string(::getpid()));
    dir = temp_root_cleanup.root / name;
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline uint32_t be32(const std::string& s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

// A decoded PNG as 0xAARRGGBB pixels.
struct Image {
  int width = 0, height = 0;
  std::vector<uint32_t> px;
  uint32_t at(int x, int y) const { return px[static_cast<size_t>(y) * width + x]; }
};

inline Image decode_png(const std::filesystem::path& p) {
  Image img;
  cairo_surface_t* s = cairo_image_surface_create_from_png(p.c_str());
  EXPECT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS) << p;
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return img;
  img.width = cairo_image_surface_get_width(s);
  img.height = cairo_image_surface_get_height(s);
  int stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      img.px.push_back(reinterpret_cast<const uint32_t*>(data + y * stride)[x]);
  cairo_surface_destroy(s);
  return img;
}

inline int red(uint32_t p) {
  return (p >> 16) & 0xff;
}
inline int green(uint32_t p) {
  return (p >> 8) & 0xff;
}
inline int blue(uint32_t p) {
  return p & 0xff;
}
// Strongly red / blue pixels, as a line in palette red (0xd62728) or a diverging colormap end.
inline bool is_red(uint32_t p) {
  return red(p) > 170 && green(p) < 90 && blue(p) < 90;
}
inline bool is_blue(uint32_t p) {
  return blue(p) > 120 && red(p) < 80 && green(p) < 130;
}

}  // namespace rnnjit::plot::test
