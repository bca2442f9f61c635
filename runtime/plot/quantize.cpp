// Median-cut colour quantisation (see quantize.hpp).
#include "runtime/plot/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

namespace rnnjit::plot::detail {

namespace {

constexpr int kBins = 32 * 32 * 32;

struct Bin {
  uint64_t count = 0;
  uint64_t sum[3] = {0, 0, 0};
};

int bin_channel(int bin, int ch) {
  return (bin >> (10 - 5 * ch)) & 31;
}

struct Box {
  std::vector<int> bins;  // non-empty histogram bins in this box
  uint64_t count = 0;
  int widest = 0,
      range = 0;  // the channel with the largest extent, and that extent (in 5-bit units)
};

void measure(Box& box, const std::vector<Bin>& hist) {
  int lo[3] = {31, 31, 31}, hi[3] = {0, 0, 0};
  box.count = 0;
  for (int b : box.bins) {
    box.count += hist[b].count;
    for (int c = 0; c < 3; ++c) {
      lo[c] = std::min(lo[c], bin_channel(b, c));
      hi[c] = std::max(hi[c], bin_channel(b, c));
    }
  }
  box.range = -1;
  for (int c = 0; c < 3; ++c)
    if (hi[c] - lo[c] > box.range) box.range = hi[c] - lo[c], box.widest = c;
}

// Which box to split next: wide boxes first, weighted by how many pixels they hold (the square root
// keeps the white background from taking all the colours).
double priority(const Box& b) {
  return b.range <= 0 ? -1 : b.range * std::sqrt(static_cast<double>(b.count));
}

}  // namespace

IndexedImage quantize(const unsigned char* argb, int width, int height, int stride,
                      int max_colors) {
  max_colors = std::clamp(max_colors, 2, 256);
  std::vector<Bin> hist(kBins);
  auto bin_of = [](uint32_t px) {
    int r = (px >> 16) & 0xff, g = (px >> 8) & 0xff, b = px & 0xff;
    return (r >> 3) << 10 | (g >> 3) << 5 | (b >> 3);
  };
  for (int y = 0; y < height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(argb + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < width; ++x) {
      uint32_t px = row[x];
      Bin& b = hist[bin_of(px)];
      b.count++;
      b.sum[0] += (px >> 16) & 0xff;
      b.sum[1] += (px >> 8) & 0xff;
      b.sum[2] += px & 0xff;
    }
  }

  std::vector<Box> boxes(1);
  for (int b = 0; b < kBins; ++b)
    if (hist[b].count) boxes[0].bins.push_back(b);
  measure(boxes[0], hist);
  while (static_cast<int>(boxes.size()) < max_colors) {
    auto it = std::max_element(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) {
      return priority(a) < priority(b);
    });
    if (priority(*it) < 0) break;  // every box is a single colour bin
    Box& box = *it;
    int ch = box.widest;
    std::sort(box.bins.begin(), box.bins.end(),
              [&](int a, int b) { return bin_channel(a, ch) < bin_channel(b, ch); });
    // Split at the pixel-weighted median, but never leave either side empty or split a channel
    // value between the two halves.
    uint64_t half = box.count / 2, seen = 0;
    size_t cut = 0;
    while (cut < box.bins.size() && seen + hist[box.bins[cut]].count <= half)
      seen += hist[box.bins[cut++]].count;
    while (cut > 0 && cut < box.bins.size() &&
           bin_channel(box.bins[cut], ch) == bin_channel(box.bins[cut - 1], ch))
      ++cut;
    if (cut == box.bins.size()) {
      cut = box.bins.size() - 1;
      while (cut > 0 && bin_channel(box.bins[cut], ch) == bin_channel(box.bins[cut - 1], ch)) --cut;
    }
    if (cut == 0) {
      cut = 1;
      while (cut < box.bins.size() &&
             bin_channel(box.bins[cut], ch) == bin_channel(box.bins[cut - 1], ch))
        ++cut;
    }
    Box other;
    other.bins.assign(box.bins.begin() + static_cast<ptrdiff_t>(cut), box.bins.end());
    box.bins.resize(cut);
    measure(box, hist);
    measure(other, hist);
    boxes.push_back(std::move(other));
  }

  IndexedImage out;
  out.width = width;
  out.height = height;
  std::vector<uint8_t> bin_index(kBins, 0);
  for (size_t i = 0; i < boxes.size(); ++i) {
    uint64_t n = 0, s[3] = {0, 0, 0};
    for (int b : boxes[i].bins) {
      n += hist[b].count;
      for (int c = 0; c < 3; ++c) s[c] += hist[b].sum[c];
      bin_index[b] = static_cast<uint8_t>(i);
    }
    std::array<uint8_t, 3> rgb{0, 0, 0};
    if (n)
      for (int c = 0; c < 3; ++c) rgb[c] = static_cast<uint8_t>((s[c] + n / 2) / n);
    out.palette.push_back(rgb);
  }
  out.indices.resize(static_cast<size_t>(width) * height);
  for (int y = 0; y < height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(argb + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < width; ++x)
      out.indices[static_cast<size_t>(y) * width + x] = bin_index[bin_of(row[x])];
  }
  return out;
}

}  // namespace rnnjit::plot::detail
