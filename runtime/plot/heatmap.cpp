// Heatmaps: the matrix as an image scaled into the plot area, block separators with their labels
// (E/I populations), index or extent ticks, and a colorbar.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "runtime/plot/painter.hpp"

namespace rnnjit::plot::detail {

namespace {

double crisp(double v) {
  return std::floor(v) + 0.5;
}

uint32_t argb(const Color& c) {
  auto byte = [](double v) {
    return static_cast<uint32_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255));
  };
  return 0xff000000u | byte(c.r) << 16 | byte(c.g) << 8 | byte(c.b);
}

Color map_value(const Heatmap& h, double v, Range r) {
  if (!std::isfinite(v)) return Color{0.85, 0.85, 0.85};
  double t = (v - r.first) / (r.second - r.first);
  return h.colormap == Colormap::Diverging ? diverging_color(t) : sequential_color(t);
}

Range value_range(const Heatmap& h) {
  if (h.range) return *h.range;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : h.values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!(lo <= hi)) return {-1, 1};
  if (h.colormap == Colormap::Diverging) {
    double m = std::max(std::abs(lo), std::abs(hi));
    return m > 0 ? Range{-m, m} : Range{-1, 1};
  }
  return lo < hi ? Range{lo, hi} : Range{lo - 0.5, hi + 0.5};
}

// An image surface of w x h pixels filled by `pixel(col, row)`.
template <class F>
cairo_surface_t* make_image(int w, int h, F pixel) {
  cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_surface_flush(img);
  unsigned char* data = cairo_image_surface_get_data(img);
  int stride = cairo_image_surface_get_stride(img);
  for (int r = 0; r < h; ++r) {
    auto* row = reinterpret_cast<uint32_t*>(data + static_cast<ptrdiff_t>(r) * stride);
    for (int c = 0; c < w; ++c) row[c] = pixel(c, r);
  }
  cairo_surface_mark_dirty(img);
  return img;
}

// Paints `img` stretched over `dst`: crisp cells when enlarging, averaged when shrinking.
void paint_image(cairo_t* cr, cairo_surface_t* img, Rect dst) {
  int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
  cairo_save(cr);
  cairo_rectangle(cr, dst.x, dst.y, dst.w, dst.h);
  cairo_clip(cr);
  cairo_translate(cr, dst.x, dst.y);
  cairo_scale(cr, dst.w / w, dst.h / h);
  cairo_set_source_surface(cr, img, 0, 0);
  cairo_pattern_t* pat = cairo_get_source(cr);
  bool enlarging = dst.w >= w && dst.h >= h;
  cairo_pattern_set_filter(pat, enlarging ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
  cairo_pattern_set_extend(pat, CAIRO_EXTEND_PAD);
  cairo_paint(cr);
  cairo_restore(cr);
}

// Maps a cell index to the axis value it stands for (the index itself without an extent).
struct IndexAxis {
  int n;
  std::optional<Range> extent;
  double value(double i) const {
    if (!extent) return i;
    return extent->first + i * (extent->second - extent->first) / std::max(1, n - 1);
  }
};

}  // namespace

void draw_heatmap(const Painter& p, const Heatmap& h, Rect cell) {
  if (h.rows <= 0 || h.cols <= 0 ||
      h.values.size() != static_cast<size_t>(h.rows) * static_cast<size_t>(h.cols))
    throw std::runtime_error(
        "plot: heatmap '" + h.title + "': values has " + std::to_string(h.values.size()) +
        " entries but rows * cols = " + std::to_string(h.rows) + " * " + std::to_string(h.cols));
  if (!h.col_block_labels.empty() && h.col_block_labels.size() != h.col_separators.size() + 1)
    throw std::runtime_error("plot: heatmap '" + h.title +
                             "': col_block_labels needs one label more than col_separators");
  if (!h.row_block_labels.empty() && h.row_block_labels.size() != h.row_separators.size() + 1)
    throw std::runtime_error("plot: heatmap '" + h.title +
                             "': row_block_labels needs one label more than row_separators");
  const Style& st = p.style();
  cairo_t* cr = p.cr();
  double tick_font = st.tick_font();
  double tick_h = p.line_height(tick_font);
  double label_h = p.line_height(st.label_font());
  double title_h = p.line_height(st.title_font());
  Range vr = value_range(h);
  if (!(vr.second > vr.first)) vr = {vr.first - 0.5, vr.first + 0.5};

  // Vertical layout first (the y ticks depend on the plot height).
  double top = st.pad() + (h.title.empty() ? tick_h / 2 : title_h + st.gap()) +
               (h.col_block_labels.empty() ? 0 : tick_h + st.gap());
  double bottom =
      st.pad() + (h.xlabel.empty() ? 0 : label_h + st.gap()) + tick_h + st.tick_len() + st.gap();
  Rect plot{0, cell.y + top, 0, std::max(10.0, cell.h - top - bottom)};

  IndexAxis ax{h.cols, h.x_extent}, ay{h.rows, h.y_extent};
  auto range_of = [](const IndexAxis& a) {
    double v0 = a.value(0), v1 = a.value(a.n - 1);
    return Range{std::min(v0, v1), std::max(v0, v1)};
  };
  Range xr = range_of(ax), yr = range_of(ay);
  Ticks yt = make_ticks(p, yr.first, yr.second, false, !h.y_extent, plot.h, false);
  double ytick_w = 0;
  for (const auto& l : yt.labels) ytick_w = std::max(ytick_w, p.text_width(l, tick_font));

  // The colorbar and its labels on the right.
  Ticks ct = make_ticks(p, vr.first, vr.second, false, false, plot.h, false);
  double ctick_w = 0;
  for (const auto& l : ct.labels) ctick_w = std::max(ctick_w, p.text_width(l, tick_font));
  double bar_w = 14 * st.scale;
  double row_lab_w = 0;
  for (const auto& l : h.row_block_labels)
    row_lab_w = std::max(row_lab_w, p.text_width(l, tick_font, true));
  double right_block = (row_lab_w > 0 ? st.gap() + row_lab_w : 0) + 3 * st.gap() + bar_w +
                       st.tick_len() + st.gap() / 2 + ctick_w +
                       (h.colorbar_label.empty() ? 0 : st.gap() + label_h) + st.pad();
  double left =
      st.pad() + (h.ylabel.empty() ? 0 : label_h + st.gap()) + ytick_w + st.tick_len() + st.gap();
  plot.x = cell.x + left;
  plot.w = std::max(10.0, cell.w - left - right_block);
  if (h.equal_aspect) {
    double side = std::min(plot.w / h.cols, plot.h / h.rows);
    double w = side * h.cols, hh = side * h.rows;
    plot.x += (plot.w - w) / 2;
    plot.y += (plot.h - hh) / 2;
    plot.w = w;
    plot.h = hh;
    yt = make_ticks(p, yr.first, yr.second, false, !h.y_extent, plot.h, false);
    ct = make_ticks(p, vr.first, vr.second, false, false, plot.h, false);
  }
  Ticks xt = make_ticks(p, xr.first, xr.second, false, !h.x_extent, plot.w, true);
  // Cell i spans [i - 0.5, i + 0.5] in index space; the scales map axis values to pixels.
  Scale sx{ax.value(-0.5), ax.value(h.cols - 0.5), plot.x, plot.right(), false};
  Scale sy{ay.value(-0.5), ay.value(h.rows - 0.5), plot.y, plot.bottom(), false};
  double cw = plot.w / h.cols, chh = plot.h / h.rows;

  // The matrix.
  cairo_surface_t* img = make_image(h.cols, h.rows, [&](int c, int r) {
    return argb(map_value(h, h.values[static_cast<size_t>(r) * h.cols + c], vr));
  });
  paint_image(cr, img, plot);
  cairo_surface_destroy(img);

  // Block separators and labels.
  double sep_w = 1.5 * st.scale;
  for (int k : h.col_separators)
    if (k > 0 && k < h.cols)
      p.line(plot.x + k * cw, plot.y, plot.x + k * cw, plot.bottom(), kText, sep_w);
  for (int k : h.row_separators)
    if (k > 0 && k < h.rows)
      p.line(plot.x, plot.y + k * chh, plot.right(), plot.y + k * chh, kText, sep_w);
  auto blocks = [](const std::vector<int>& seps, int n) {
    std::vector<int> b{0};
    for (int k : seps) b.push_back(std::clamp(k, 0, n));
    b.push_back(n);
    return b;
  };
  if (!h.col_block_labels.empty()) {
    auto b = blocks(h.col_separators, h.cols);
    for (size_t i = 0; i < h.col_block_labels.size(); ++i)
      p.text(plot.x + (b[i] + b[i + 1]) / 2.0 * cw, plot.y - st.gap() / 2, h.col_block_labels[i],
             tick_font, HAlign::Center, VAlign::Bottom, true);
  }
  double after_plot = plot.right();
  if (!h.row_block_labels.empty()) {
    auto b = blocks(h.row_separators, h.rows);
    for (size_t i = 0; i < h.row_block_labels.size(); ++i)
      p.text(plot.right() + st.gap(), plot.y + (b[i] + b[i + 1]) / 2.0 * chh, h.row_block_labels[i],
             tick_font, HAlign::Left, VAlign::Middle, true);
    after_plot += st.gap() + row_lab_w;
  }

  // Frame, ticks and labels.
  cairo_save(cr);
  p.set_color(kSpine);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, plot.x, plot.y, plot.w, plot.h);
  cairo_stroke(cr);
  cairo_restore(cr);
  for (size_t i = 0; i < xt.values.size(); ++i) {
    double x = crisp(sx(xt.values[i]));
    p.line(x, plot.bottom(), x, plot.bottom() + st.tick_len(), kSpine, 1);
    p.text(x, plot.bottom() + st.tick_len() + st.gap() / 2, xt.labels[i], tick_font, HAlign::Center,
           VAlign::Top);
  }
  for (size_t i = 0; i < yt.values.size(); ++i) {
    double y = crisp(sy(yt.values[i]));
    p.line(plot.x - st.tick_len(), y, plot.x, y, kSpine, 1);
    p.text(plot.x - st.tick_len() - st.gap() / 2, y, yt.labels[i], tick_font, HAlign::Right,
           VAlign::Middle);
  }
  // Labels and title centred on the matrix but kept inside the cell.
  auto centred = [&](const std::string& text, double size, bool bold) {
    double half = p.text_width(text, size, bold) / 2;
    return std::clamp(plot.x + plot.w / 2, cell.x + st.pad() + half,
                      std::max(cell.x + st.pad() + half, cell.right() - st.pad() - half));
  };
  if (!h.xlabel.empty()) {
    auto [text, size] = p.fit(h.xlabel, st.label_font(), cell.w - 2 * st.pad());
    p.text(centred(text, size, false),
           plot.bottom() + st.tick_len() + st.gap() / 2 + tick_h + st.gap(), text, size,
           HAlign::Center, VAlign::Top);
  }
  if (!h.ylabel.empty()) {
    auto [text, size] = p.fit(h.ylabel, st.label_font(), plot.h + 2 * st.pad());
    p.text(plot.x - st.tick_len() - st.gap() - ytick_w - st.gap(), plot.y + plot.h / 2, text, size,
           HAlign::Center, VAlign::Bottom, false, std::numbers::pi / 2);
  }
  if (!h.title.empty()) {
    double y = plot.y - st.gap() - (h.col_block_labels.empty() ? 0 : tick_h + st.gap() / 2);
    auto [text, size] = p.fit(h.title, st.title_font(), cell.w - 2 * st.pad(), true);
    p.text(centred(text, size, true), y, text, size, HAlign::Center, VAlign::Bottom, true);
  }

  // Colorbar: a 1 x 256 gradient stretched to the plot height, top = high values.
  Rect bar{after_plot + 3 * st.gap(), plot.y, bar_w, plot.h};
  cairo_surface_t* grad = make_image(1, 256, [&](int, int r) {
    return argb(map_value(h, vr.second - (r + 0.5) / 256.0 * (vr.second - vr.first), vr));
  });
  paint_image(cr, grad, bar);
  cairo_surface_destroy(grad);
  cairo_save(cr);
  p.set_color(kSpine);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, bar.x, bar.y, bar.w, bar.h);
  cairo_stroke(cr);
  cairo_restore(cr);
  Scale sc{vr.first, vr.second, bar.bottom(), bar.y, false};
  double ctw = 0;
  for (size_t i = 0; i < ct.values.size(); ++i) {
    double y = crisp(sc(ct.values[i]));
    p.line(bar.right(), y, bar.right() + st.tick_len(), y, kSpine, 1);
    p.text(bar.right() + st.tick_len() + st.gap() / 2, y, ct.labels[i], tick_font, HAlign::Left,
           VAlign::Middle);
    ctw = std::max(ctw, p.text_width(ct.labels[i], tick_font));
  }
  if (!h.colorbar_label.empty()) {
    auto [text, size] = p.fit(h.colorbar_label, st.label_font(), bar.h + 2 * st.pad());
    p.text(bar.right() + st.tick_len() + st.gap() / 2 + ctw + st.gap(), bar.y + bar.h / 2, text,
           size, HAlign::Center, VAlign::Top, false, std::numbers::pi / 2);
  }
}

}  // namespace rnnjit::plot::detail
