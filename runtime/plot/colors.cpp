// The categorical palette and the two colormaps, as piecewise-linear interpolation between anchors.
#include <algorithm>
#include <cmath>
#include <iterator>

#include "runtime/plot/plot.hpp"

namespace rnnjit::plot {

namespace {

Color hex(unsigned rgb) {
  return Color{((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0,
               1.0};
}

template <size_t N>
Color interpolate(const unsigned (&anchors)[N], double t) {
  if (!std::isfinite(t)) t = 0.5;
  t = std::clamp(t, 0.0, 1.0) * (N - 1);
  size_t i = std::min(static_cast<size_t>(t), N - 2);
  double f = t - static_cast<double>(i);
  Color a = hex(anchors[i]), b = hex(anchors[i + 1]);
  return Color{a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b), 1.0};
}

// Perceptually ordered dark blue -> green -> yellow (the look of viridis), nine anchors.
const unsigned kSequential[] = {0x440154, 0x472c7a, 0x3b518b, 0x2c718e, 0x21908d,
                                0x27ad81, 0x5cc863, 0xaadc32, 0xfde725};
// Blue - white - red with a white centre, so that 0 reads as "no connection".
const unsigned kDiverging[] = {0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xf7f7f7,
                               0xf4a582, 0xd6604d, 0xb2182b, 0x67001f};
// Colour-blind friendly categorical colours (blue, orange, green, red, purple, brown, pink, grey,
// olive, cyan).
const unsigned kPalette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                             0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

}  // namespace

Color palette(int i) {
  int n = static_cast<int>(std::size(kPalette));
  return hex(kPalette[((i % n) + n) % n]);
}

Color sequential_color(double t) {
  return interpolate(kSequential, t);
}
Color diverging_color(double t) {
  return interpolate(kDiverging, t);
}

}  // namespace rnnjit::plot
