// Internal to the plot library: colour quantisation of a rendered frame to a GIF palette.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace rnnjit::plot::detail {

struct IndexedImage {
  int width = 0, height = 0;
  std::vector<uint8_t> indices;                 // row-major, width * height
  std::vector<std::array<uint8_t, 3>> palette;  // at most 256 RGB entries
};

// Median cut over a 5-bit-per-channel histogram: boxes of colour space are split at the weighted
// median of their widest channel until there are `max_colors`; each box's colour is the mean of the
// pixels in it. `argb` is cairo's ARGB32 layout (opaque pixels), `stride` in bytes.
IndexedImage quantize(const unsigned char* argb, int width, int height, int stride,
                      int max_colors = 256);

}  // namespace rnnjit::plot::detail
