// The legend: a box of line samples and labels in the corner of the plot that hides the least data.
#include <algorithm>
#include <array>
#include <numbers>

#include "runtime/plot/painter.hpp"

namespace rnnjit::plot::detail {

void draw_legend(const Painter& p, Rect plot, const std::vector<LegendEntry>& entries,
                 const std::vector<std::pair<double, double>>& occupied) {
  if (entries.empty()) return;
  const Style& st = p.style();
  double size = st.legend_font();
  double row_h = p.line_height(size) * 1.25;
  double sample_w = 24 * st.scale;
  double label_w = 0;
  for (const auto& e : entries) label_w = std::max(label_w, p.text_width(e.label, size));
  double w = st.pad() + sample_w + st.gap() + label_w + st.pad();
  double h = st.gap() * 1.5 + row_h * static_cast<double>(entries.size());
  double inset = st.gap();

  // Candidate corners in order of preference; ties keep the earlier one.
  std::array<Rect, 4> corners = {
      Rect{plot.right() - inset - w, plot.y + inset, w, h},             // upper right
      Rect{plot.x + inset, plot.y + inset, w, h},                       // upper left
      Rect{plot.x + inset, plot.bottom() - inset - h, w, h},            // lower left
      Rect{plot.right() - inset - w, plot.bottom() - inset - h, w, h},  // lower right
  };
  size_t best = 0;
  long best_count = -1;
  for (size_t c = 0; c < corners.size(); ++c) {
    const Rect& r = corners[c];
    long count = 0;
    for (const auto& [x, y] : occupied)
      if (x >= r.x && x <= r.right() && y >= r.y && y <= r.bottom()) ++count;
    if (best_count < 0 || count < best_count) {
      best = c;
      best_count = count;
    }
  }
  const Rect& box = corners[best];

  cairo_t* cr = p.cr();
  cairo_save(cr);
  cairo_rectangle(cr, box.x, box.y, box.w, box.h);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  cairo_restore(cr);

  double y = box.y + st.gap() * 0.75 + row_h / 2;
  for (const auto& e : entries) {
    double x0 = box.x + st.pad(), x1 = x0 + sample_w;
    if (e.box) {
      cairo_save(cr);
      p.set_color(e.color);
      cairo_rectangle(cr, x0 + 2, y - row_h * 0.3, sample_w - 4, row_h * 0.6);
      cairo_fill(cr);
      cairo_restore(cr);
    } else {
      if (e.line) p.line(x0, y, x1, y, e.color, 2 * st.scale, e.dashed);
      if (e.marker) {
        cairo_save(cr);
        p.set_color(e.color);
        cairo_arc(cr, (x0 + x1) / 2, y, 3 * st.scale, 0, 2 * std::numbers::pi);
        cairo_fill(cr);
        cairo_restore(cr);
      }
    }
    p.text(x1 + st.gap(), y, e.label, size, HAlign::Left, VAlign::Middle);
    y += row_h;
  }
}

}  // namespace rnnjit::plot::detail
