// The frame of a line plot or histogram: layout of title, axis labels and ticks around the plot
// rectangle; grid, spines, tick marks and reference lines.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "runtime/plot/painter.hpp"

namespace rnnjit::plot::detail {

namespace {
// Centre of a pixel, so that 1-px lines are crisp instead of smeared over two pixels.
double crisp(double v) {
  return std::floor(v) + 0.5;
}
}  // namespace

Frame layout_frame(const Painter& p, const FrameSpec& spec, Rect cell) {
  const Style& st = p.style();
  double tick_h = p.line_height(st.tick_font());
  double label_h = p.line_height(st.label_font());
  double title_h = p.line_height(st.title_font());

  Frame f;
  double top = st.pad() + (spec.title.empty() ? tick_h / 2 : title_h + st.gap());
  double bottom =
      st.pad() + (spec.xlabel.empty() ? 0 : label_h + st.gap()) + tick_h + st.tick_len() + st.gap();
  f.plot.y = cell.y + top;
  f.plot.h = std::max(10.0, cell.h - top - bottom);
  f.yt = make_ticks(p, spec.y.first, spec.y.second, spec.logy, false, f.plot.h, false);

  double ytick_w = 0;
  for (const auto& l : f.yt.labels) ytick_w = std::max(ytick_w, p.text_width(l, st.tick_font()));
  double left = st.pad() + (spec.ylabel.empty() ? 0 : label_h + st.gap()) + ytick_w +
                st.tick_len() + st.gap();
  double right = st.pad() + st.gap();
  f.plot.x = cell.x + left;
  f.plot.w = std::max(10.0, cell.w - left - right);
  f.xt = make_ticks(p, spec.x.first, spec.x.second, false, false, f.plot.w, true);
  // A label on the last tick may stick out to the right: pull the plot in just enough.
  if (!f.xt.values.empty()) {
    double frac = (f.xt.values.back() - spec.x.first) / (spec.x.second - spec.x.first);
    if (!std::isfinite(frac)) frac = 0.5;
    double half = p.text_width(f.xt.labels.back(), st.tick_font()) / 2;
    double overflow = f.plot.x + frac * f.plot.w + half - (cell.right() - st.pad() / 2);
    if (overflow > 0) f.plot.w = std::max(10.0, f.plot.w - overflow / std::max(frac, 0.5));
  }
  f.sx = Scale{spec.x.first, spec.x.second, f.plot.x, f.plot.right(), false};
  f.sy = Scale{spec.y.first, spec.y.second, f.plot.bottom(), f.plot.y, spec.logy};
  return f;
}

void draw_frame_background(const Painter& p, const Frame& f, const FrameSpec& spec) {
  if (!spec.grid) return;
  for (double v : f.xt.values) {
    double x = crisp(f.sx(v));
    p.line(x, f.plot.y, x, f.plot.bottom(), kGridColor, 1);
  }
  for (double v : f.yt.values) {
    double y = crisp(f.sy(v));
    p.line(f.plot.x, y, f.plot.right(), y, kGridColor, 1);
  }
}

void draw_frame_decorations(const Painter& p, const Frame& f, const FrameSpec& spec, Rect cell) {
  const Style& st = p.style();
  cairo_t* cr = p.cr();
  // Spines.
  cairo_save(cr);
  p.set_color(kSpine);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, crisp(f.plot.x), crisp(f.plot.y), std::round(f.plot.w), std::round(f.plot.h));
  cairo_stroke(cr);
  cairo_restore(cr);

  double tick_font = st.tick_font();
  double ytick_w = 0;
  for (size_t i = 0; i < f.xt.values.size(); ++i) {
    double x = crisp(f.sx(f.xt.values[i]));
    p.line(x, f.plot.bottom(), x, f.plot.bottom() + st.tick_len(), kSpine, 1);
    p.text(x, f.plot.bottom() + st.tick_len() + st.gap() / 2, f.xt.labels[i], tick_font,
           HAlign::Center, VAlign::Top);
  }
  for (size_t i = 0; i < f.yt.values.size(); ++i) {
    double y = crisp(f.sy(f.yt.values[i]));
    p.line(f.plot.x - st.tick_len(), y, f.plot.x, y, kSpine, 1);
    p.text(f.plot.x - st.tick_len() - st.gap() / 2, y, f.yt.labels[i], tick_font, HAlign::Right,
           VAlign::Middle);
    ytick_w = std::max(ytick_w, p.text_width(f.yt.labels[i], tick_font));
  }
  for (double v : f.yt.minor) {
    double y = crisp(f.sy(v));
    p.line(f.plot.x - st.tick_len() * 0.6, y, f.plot.x, y, kSpine, 1);
  }

  double label_font = st.label_font();
  if (!spec.xlabel.empty()) {
    auto [text, size] = p.fit(spec.xlabel, label_font, cell.w - 2 * st.pad());
    // Centred under the plot, but kept inside the cell when the label is wide.
    double half = p.text_width(text, size) / 2;
    double x = std::clamp(f.plot.x + f.plot.w / 2, cell.x + st.pad() + half,
                          std::max(cell.x + st.pad() + half, cell.right() - st.pad() - half));
    p.text(x, cell.bottom() - st.pad(), text, size, HAlign::Center, VAlign::Bottom);
  }
  if (!spec.ylabel.empty()) {
    auto [text, size] = p.fit(spec.ylabel, label_font, f.plot.h + 2 * st.pad());
    double x = f.plot.x - st.tick_len() - st.gap() - ytick_w - st.gap();
    p.text(x, f.plot.y + f.plot.h / 2, text, size, HAlign::Center, VAlign::Bottom, false,
           std::numbers::pi / 2);
  }
  if (!spec.title.empty()) {
    auto [text, size] = p.fit(spec.title, st.title_font(), cell.w - 2 * st.pad(), true);
    double half = p.text_width(text, size, true) / 2;
    double x = std::clamp(f.plot.x + f.plot.w / 2, cell.x + st.pad() + half,
                          std::max(cell.x + st.pad() + half, cell.right() - st.pad() - half));
    p.text(x, f.plot.y - st.gap(), text, size, HAlign::Center, VAlign::Bottom, true);
  }
}

void draw_ref_lines(const Painter& p, const Frame& f, const std::vector<RefLine>& h,
                    const std::vector<RefLine>& v) {
  const Style& st = p.style();
  double size = st.legend_font();
  cairo_t* cr = p.cr();
  cairo_save(cr);
  cairo_rectangle(cr, f.plot.x, f.plot.y, f.plot.w, f.plot.h);
  cairo_clip(cr);
  for (const RefLine& r : h) {
    if (f.sy.log && !(r.value > 0)) continue;
    double y = f.sy(r.value);
    p.line(f.plot.x, y, f.plot.right(), y, r.color, 1.2 * st.scale, r.dashed);
    p.text(f.plot.right() - st.gap(), y - 2, r.label, size, HAlign::Right, VAlign::Bottom, false, 0,
           r.color);
  }
  for (const RefLine& r : v) {
    double x = f.sx(r.value);
    p.line(x, f.plot.y, x, f.plot.bottom(), r.color, 1.2 * st.scale, r.dashed);
    p.text(x + st.gap() / 2, f.plot.y + st.gap() / 2, r.label, size, HAlign::Left, VAlign::Top,
           false, 0, r.color);
  }
  cairo_restore(cr);
}

}  // namespace rnnjit::plot::detail
