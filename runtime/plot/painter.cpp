// Text, lines, scales and tick selection on top of cairo's toy text API.
#include "runtime/plot/painter.hpp"

#include <algorithm>
#include <cmath>

namespace rnnjit::plot::detail {

void Painter::select_font(double size, bool bold) const {
  cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size);
}

double Painter::text_width(const std::string& s, double size, bool bold) const {
  if (s.empty()) return 0;
  select_font(size, bold);
  cairo_text_extents_t te;
  cairo_text_extents(cr_, s.c_str(), &te);
  return te.x_advance;
}

double Painter::line_height(double size) const {
  select_font(size, false);
  cairo_font_extents_t fe;
  cairo_font_extents(cr_, &fe);
  return fe.ascent + fe.descent;
}

Painter::Fitted Painter::fit(const std::string& s, double size, double max_width, bool bold) const {
  double w = text_width(s, size, bold);
  if (w <= max_width || w <= 0) return {s, size};
  double fitted = std::max(0.6 * size, size * max_width / w);
  std::string t = s;
  const std::string ellipsis = "\u2026";
  while (!t.empty() && text_width(t, fitted, bold) > max_width) {
    if (t.size() >= ellipsis.size() &&
        t.compare(t.size() - ellipsis.size(), ellipsis.size(), ellipsis) == 0)
      t.resize(t.size() - ellipsis.size());
    // Drop one UTF-8 character (its continuation bytes first), then mark the cut.
    while (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xC0) == 0x80) t.pop_back();
    if (!t.empty()) t.pop_back();
    while (!t.empty() && t.back() == ' ') t.pop_back();
    t += ellipsis;
    if (t == ellipsis) break;
  }
  return {t, fitted};
}

void Painter::text(double x, double y, const std::string& s, double size, HAlign h, VAlign v,
                   bool bold, double angle, Color color) const {
  if (s.empty()) return;
  select_font(size, bold);
  cairo_font_extents_t fe;
  cairo_font_extents(cr_, &fe);
  cairo_text_extents_t te;
  cairo_text_extents(cr_, s.c_str(), &te);
  double dx = h == HAlign::Left ? 0 : h == HAlign::Center ? -te.x_advance / 2 : -te.x_advance;
  double dy = 0;  // offset of the baseline from the anchor, downwards
  switch (v) {
    case VAlign::Top:
      dy = fe.ascent;
      break;
    case VAlign::Middle:
      dy = (fe.ascent - fe.descent) / 2;
      break;
    case VAlign::Baseline:
      dy = 0;
      break;
    case VAlign::Bottom:
      dy = -fe.descent;
      break;
  }
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  cairo_rotate(cr_, -angle);
  set_color(color);
  cairo_move_to(cr_, dx, dy);
  cairo_show_text(cr_, s.c_str());
  cairo_restore(cr_);
}

void Painter::line(double x0, double y0, double x1, double y1, const Color& c, double width,
                   bool dashed) const {
  cairo_save(cr_);
  set_color(c);
  cairo_set_line_width(cr_, width);
  if (dashed) {
    double d[] = {5 * style_.scale, 3.5 * style_.scale};
    cairo_set_dash(cr_, d, 2, 0);
  }
  cairo_move_to(cr_, x0, y0);
  cairo_line_to(cr_, x1, y1);
  cairo_stroke(cr_);
  cairo_restore(cr_);
}

double Scale::operator()(double v) const {
  double a = lo, b = hi, x = v;
  if (log) {
    a = std::log10(lo);
    b = std::log10(hi);
    x = std::log10(v);
  }
  if (b == a) return (p0 + p1) / 2;
  return p0 + (x - a) / (b - a) * (p1 - p0);
}

namespace {

std::vector<double> pick_ticks(double lo, double hi, bool log, bool integer_only, int max_ticks) {
  if (log) return log_ticks(lo, hi, max_ticks);
  std::vector<double> t = nice_ticks(lo, hi, max_ticks);
  if (integer_only && t.size() >= 2 && t[1] - t[0] < 1) {
    t.clear();
    for (double v = std::ceil(lo); v <= hi; v += 1) t.push_back(v);
  }
  return t;
}

Ticks label_ticks(const std::vector<double>& values, bool log, double lo, double hi) {
  Ticks t;
  t.values = values;
  double step = values.size() >= 2 ? values[1] - values[0] : (values.empty() ? 1 : values[0]);
  if (!log) {
    for (double v : values) t.labels.push_back(format_tick(v, step));
    return t;
  }
  // Log axes: one notation for all labels, scientific when any is tiny or huge ("1e-4", not
  // "0.0001" next to "5e-5").
  bool sci = false;
  for (double v : values) sci |= v < 1e-3 || v >= 1e5;
  bool linear = values.size() >= 3 && std::abs((values[2] - values[1]) - step) < 1e-9 * step;
  for (double v : values) {
    double s = linear ? step : v;
    t.labels.push_back(sci ? format_tick_scientific(v, s) : format_tick(v, s));
  }
  // Minor ticks at 2..9 times each decade, when the axis spans at least most of a decade.
  if (hi / lo >= 5 && std::log10(hi / lo) <= 12) {
    for (int d = static_cast<int>(std::floor(std::log10(lo))); std::pow(10.0, d) <= hi; ++d)
      for (int m = 1; m <= 9; ++m) {
        double v = m * std::pow(10.0, d);
        if (v >= lo && v <= hi) t.minor.push_back(v);
      }
  }
  return t;
}

}  // namespace

Ticks make_ticks(const Painter& p, double lo, double hi, bool log, bool integer_only,
                 double length_px, bool horizontal) {
  double size = p.style().tick_font();
  double lh = p.line_height(size);
  int max_ticks = horizontal ? 9 : std::clamp(static_cast<int>(length_px / (2.6 * lh)), 2, 9);
  Ticks t;
  for (; max_ticks >= 2; --max_ticks) {
    t = label_ticks(pick_ticks(lo, hi, log, integer_only, max_ticks), log, lo, hi);
    if (!horizontal) break;
    double widest = 0;
    for (const auto& l : t.labels) widest = std::max(widest, p.text_width(l, size));
    // Labels need their own width plus a clear gap (about 1.5 em) to read as separate numbers.
    if (static_cast<double>(t.values.size()) * (widest + 1.5 * size) <= length_px) break;
  }
  return t;
}

}  // namespace rnnjit::plot::detail
