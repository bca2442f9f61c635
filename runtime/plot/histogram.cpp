// Histograms: bars from raw values or from given edges and counts, optionally as a density, with
// overlaid curves (fitted densities) and a legend.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "runtime/plot/painter.hpp"

namespace rnnjit::plot::detail {

void draw_histogram(const Painter& p, const Histogram& hist, Rect cell) {
  std::vector<double> edges, counts;
  if (!hist.values.empty()) {
    Range r{0, 1};
    if (hist.range) {
      r = *hist.range;
    } else {
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (double v : hist.values)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
      if (lo <= hi) r = lo < hi ? Range{lo, hi} : Range{lo - 0.5, hi + 0.5};
    }
    int bins = std::max(1, hist.bins);
    counts = bin_counts(hist.values, bins, r.first, r.second);
    for (int i = 0; i <= bins; ++i) edges.push_back(r.first + (r.second - r.first) * i / bins);
  } else {
    edges = hist.edges;
    counts = hist.counts;
    if (!counts.empty() && edges.size() != counts.size() + 1)
      throw std::runtime_error("plot: histogram '" + hist.title +
                               "': " + std::to_string(edges.size()) + " edges for " +
                               std::to_string(counts.size()) + " counts (need counts + 1)");
  }
  if (hist.density) {
    double area = 0;
    for (size_t i = 0; i < counts.size(); ++i) area += counts[i];
    // Density: count / (n * width), so that the bars integrate to one.
    if (area > 0)
      for (size_t i = 0; i < counts.size(); ++i) counts[i] /= area * (edges[i + 1] - edges[i]);
  }

  double xlo = edges.empty() ? 0 : edges.front(), xhi = edges.empty() ? 1 : edges.back();
  double ymax = 0;
  for (double c : counts)
    if (std::isfinite(c)) ymax = std::max(ymax, c);
  for (const Series& s : hist.curves) {
    check_series(hist.title, s);
    for (size_t i = 0; i < s.y.size(); ++i) {
      double x = s.x.empty() ? static_cast<double>(i) : s.x[i];
      if (std::isfinite(s.y[i])) ymax = std::max(ymax, s.y[i]);
      if (edges.empty() && std::isfinite(x)) xlo = std::min(xlo, x), xhi = std::max(xhi, x);
    }
  }
  if (!(xhi > xlo)) xhi = xlo + 1;
  if (!(ymax > 0)) ymax = 1;

  FrameSpec spec{
      hist.title, hist.xlabel, hist.ylabel.empty() && hist.density ? "density" : hist.ylabel,
      {},         {},          false,
      true};
  spec.x = hist.xlim ? *hist.xlim : Range{xlo - 0.02 * (xhi - xlo), xhi + 0.02 * (xhi - xlo)};
  spec.y = hist.ylim ? *hist.ylim : Range{0, ymax * 1.06};
  if (spec.ylabel.empty()) spec.ylabel = "count";
  Frame f = layout_frame(p, spec, cell);
  draw_frame_background(p, f, spec);

  cairo_t* cr = p.cr();
  std::vector<std::pair<double, double>> occupied;
  cairo_save(cr);
  cairo_rectangle(cr, f.plot.x, f.plot.y, f.plot.w, f.plot.h);
  cairo_clip(cr);
  for (size_t i = 0; i < counts.size(); ++i) {
    if (!(counts[i] > 0)) continue;
    double x0 = f.sx(edges[i]), x1 = f.sx(edges[i + 1]);
    double y0 = f.sy(0), y1 = f.sy(counts[i]);
    cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
    // Bars count as occupied over their whole extent (sampled), for the legend placement.
    for (double y = y1; y <= y0; y += 6 * p.style().scale)
      for (double x = x0; x <= x1; x += 6 * p.style().scale) occupied.push_back({x, y});
    occupied.push_back({(x0 + x1) / 2, y1});
  }
  p.set_color(hist.color);
  cairo_fill_preserve(cr);
  // A thin white outline keeps neighbouring bars apart; dropped when bars are only a few px wide.
  double bar_px = counts.empty() ? 0 : f.plot.w / static_cast<double>(counts.size());
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_set_line_width(cr, bar_px > 6 ? 0.8 : 0.0);
  if (bar_px > 6)
    cairo_stroke(cr);
  else
    cairo_new_path(cr);
  cairo_restore(cr);

  draw_ref_lines(p, f, {}, hist.vlines);
  std::vector<LegendEntry> entries;
  if (!hist.label.empty()) entries.push_back({hist.label, hist.color, false, false, true, false});
  for (size_t i = 0; i < hist.curves.size(); ++i) {
    const Series& s = hist.curves[i];
    // Curve colours start after the bar colour's family: palette(1), (2), ... (orange, green, ...).
    Color c = s.color ? *s.color : palette(static_cast<int>(i) + 1);
    draw_series(p, f, s, c, &occupied);
    if (!s.label.empty()) entries.push_back({s.label, c, s.dashed, s.points, false, s.line});
  }
  draw_frame_decorations(p, f, spec, cell);
  if (hist.legend) draw_legend(p, f.plot, entries, occupied);
}

}  // namespace rnnjit::plot::detail
