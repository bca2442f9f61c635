// Line plots: data ranges, series (NaN-broken polylines, markers), reference lines and legend.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "runtime/plot/painter.hpp"

namespace rnnjit::plot::detail {

namespace {

double x_at(const Series& s, size_t i) {
  return s.x.empty() ? static_cast<double>(i) : s.x[i];
}

bool usable(double v, bool log) {
  return std::isfinite(v) && (!log || v > 0);
}

// Widens a degenerate or empty range so that the axis still has a length.
Range widen(double lo, double hi, bool log) {
  if (!(lo <= hi)) return log ? Range{1, 10} : Range{0, 1};
  if (lo == hi) {
    if (log) return {lo / 2, hi * 2};
    double d = lo == 0 ? 0.5 : std::abs(lo) * 0.1;
    return {lo - d, hi + d};
  }
  return {lo, hi};
}

Range pad(Range r, double frac, bool log) {
  if (log) {
    double a = std::log10(r.first), b = std::log10(r.second), d = (b - a) * frac;
    return {std::pow(10.0, a - d), std::pow(10.0, b + d)};
  }
  double d = (r.second - r.first) * frac;
  return {r.first - d, r.second + d};
}

}  // namespace

void check_series(const std::string& panel, const Series& s) {
  if (!s.x.empty() && s.x.size() != s.y.size())
    throw std::runtime_error("plot: panel '" + panel + "', series '" + s.label + "': x has " +
                             std::to_string(s.x.size()) + " values but y has " +
                             std::to_string(s.y.size()));
}

void draw_series(const Painter& p, const Frame& f, const Series& s, const Color& color,
                 std::vector<std::pair<double, double>>* occupied) {
  cairo_t* cr = p.cr();
  const double scale = p.style().scale;
  bool log = f.sy.log;
  cairo_save(cr);
  cairo_rectangle(cr, f.plot.x, f.plot.y, f.plot.w, f.plot.h);
  cairo_clip(cr);
  p.set_color(color);
  cairo_set_line_width(cr, s.width * scale);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  if (s.dashed) {
    double d[] = {6 * scale, 4 * scale};
    cairo_set_dash(cr, d, 2, 0);
  }
  bool pen_down = false;
  double px = 0, py = 0;
  for (size_t i = 0; i < s.y.size(); ++i) {
    double xv = x_at(s, i), yv = s.y[i];
    if (!std::isfinite(xv) || !usable(yv, log)) {
      pen_down = false;  // a gap: NaN (or <= 0 on a log axis) breaks the line
      continue;
    }
    double x = f.sx(xv), y = f.sy(yv);
    if (occupied) {
      // Sample the segment every few pixels so the legend avoids lines, not just vertices.
      if (pen_down && s.line) {
        double len = std::hypot(x - px, y - py);
        int n = std::min(200, static_cast<int>(len / (6 * scale)));
        for (int k = 1; k <= n; ++k) {
          double t = static_cast<double>(k) / (n + 1);
          occupied->push_back({px + t * (x - px), py + t * (y - py)});
        }
      }
      occupied->push_back({x, y});
    }
    if (s.line) {
      if (pen_down)
        cairo_line_to(cr, x, y);
      else
        cairo_move_to(cr, x, y);
    }
    pen_down = true;
    px = x;
    py = y;
  }
  if (s.line) cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
  if (s.points) {
    double radius = std::max(1.5, 1.6 * s.width) * scale;
    for (size_t i = 0; i < s.y.size(); ++i) {
      double xv = x_at(s, i), yv = s.y[i];
      if (!std::isfinite(xv) || !usable(yv, log)) continue;
      cairo_new_sub_path(cr);
      cairo_arc(cr, f.sx(xv), f.sy(yv), radius, 0, 2 * std::numbers::pi);
    }
    cairo_fill(cr);
  }
  cairo_restore(cr);
}

void draw_axes(const Painter& p, const Axes& axes, Rect cell) {
  double inf = std::numeric_limits<double>::infinity();
  double xlo = inf, xhi = -inf, ylo = inf, yhi = -inf;
  bool markers = false;
  for (const Series& s : axes.lines) {
    check_series(axes.title, s);
    markers |= s.points;
    for (size_t i = 0; i < s.y.size(); ++i) {
      double xv = x_at(s, i), yv = s.y[i];
      if (!std::isfinite(xv) || !usable(yv, axes.logy)) continue;
      xlo = std::min(xlo, xv);
      xhi = std::max(xhi, xv);
      ylo = std::min(ylo, yv);
      yhi = std::max(yhi, yv);
    }
  }
  for (const RefLine& r : axes.vlines)
    if (std::isfinite(r.value)) xlo = std::min(xlo, r.value), xhi = std::max(xhi, r.value);
  for (const RefLine& r : axes.hlines)
    if (usable(r.value, axes.logy)) ylo = std::min(ylo, r.value), yhi = std::max(yhi, r.value);

  FrameSpec spec{axes.title, axes.xlabel, axes.ylabel, {}, {}, axes.logy, axes.grid};
  spec.x = axes.xlim ? *axes.xlim : widen(xlo, xhi, false);
  // Markers at the ends of the x range would be cut in half by the frame: leave them some room.
  if (!axes.xlim && markers) spec.x = pad(spec.x, 0.03, false);
  spec.y = axes.ylim ? *axes.ylim : pad(widen(ylo, yhi, axes.logy), 0.05, axes.logy);
  if (axes.logy && !(spec.y.first > 0 && spec.y.second > 0))
    throw std::runtime_error("plot: panel '" + axes.title + "': a log y axis needs ylim > 0");

  Frame f = layout_frame(p, spec, cell);
  draw_frame_background(p, f, spec);
  draw_ref_lines(p, f, axes.hlines, axes.vlines);
  std::vector<std::pair<double, double>> occupied;
  std::vector<LegendEntry> entries;
  for (size_t i = 0; i < axes.lines.size(); ++i) {
    const Series& s = axes.lines[i];
    Color c = s.color ? *s.color : palette(static_cast<int>(i));
    draw_series(p, f, s, c, &occupied);
    if (!s.label.empty()) entries.push_back({s.label, c, s.dashed, s.points, false, s.line});
  }
  draw_frame_decorations(p, f, spec, cell);
  if (axes.legend) draw_legend(p, f.plot, entries, occupied);
}

}  // namespace rnnjit::plot::detail
