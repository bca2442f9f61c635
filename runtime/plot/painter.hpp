// Internal to the plot library: a thin layer over a cairo context (text placement, lines, the
// font sizes of one figure) and the per-panel drawing functions. Not for use outside runtime/plot.
#pragma once

#include <cairo.h>

#include <string>
#include <vector>

#include "runtime/plot/plot.hpp"

namespace rnnjit::plot::detail {

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
  double right() const { return x + w; }
  double bottom() const { return y + h; }
};

enum class HAlign { Left, Center, Right };
enum class VAlign { Top, Middle, Baseline, Bottom };

// Sizes in pixels, all proportional to one scale so that bigger figures get bigger text.
struct Style {
  double scale = 1;
  double tick_font() const { return 11.5 * scale; }
  double label_font() const { return 12.5 * scale; }
  double title_font() const { return 13.5 * scale; }
  double suptitle_font() const { return 16 * scale; }
  double legend_font() const { return 11 * scale; }
  double pad() const { return 8 * scale; }
  double gap() const { return 5 * scale; }
  double tick_len() const { return 4 * scale; }
};

inline const Color kText{0.1, 0.1, 0.1};
inline const Color kSpine{0.25, 0.25, 0.25};
inline const Color kGridColor{0.88, 0.88, 0.88};

class Painter {
 public:
  Painter(cairo_t* cr, Style style) : cr_(cr), style_(style) {}
  cairo_t* cr() const { return cr_; }
  const Style& style() const { return style_; }

  void set_color(const Color& c) const { cairo_set_source_rgba(cr_, c.r, c.g, c.b, c.a); }
  // Text drawn with its anchor at (x, y); angle in radians (counter-clockwise, e.g. pi/2 for a
  // y-axis label reading bottom to top).
  void text(double x, double y, const std::string& s, double size, HAlign h, VAlign v,
            bool bold = false, double angle = 0, Color color = kText) const;
  double text_width(const std::string& s, double size, bool bold = false) const;
  // Height of one line of text (ascent + descent) at `size`.
  double line_height(double size) const;
  // A title or label made to fit `max_width` pixels: the font shrunk (down to 60%), then the text
  // cut short with an ellipsis if it still does not fit.
  struct Fitted {
    std::string text;
    double size;
  };
  Fitted fit(const std::string& s, double size, double max_width, bool bold = false) const;
  void line(double x0, double y0, double x1, double y1, const Color& c, double width,
            bool dashed = false) const;

 private:
  void select_font(double size, bool bold) const;
  cairo_t* cr_;
  Style style_;
};

// A linear or log mapping from data values to pixels.
struct Scale {
  double lo = 0, hi = 1;  // data range
  double p0 = 0, p1 = 1;  // pixel positions of lo and hi
  bool log = false;
  double operator()(double v) const;
};

// Ticks with their labels, chosen to fit the available length without overlapping.
struct Ticks {
  std::vector<double> values;
  std::vector<std::string> labels;
  std::vector<double> minor;  // unlabelled ticks (2..9 times each decade on a log axis)
};
// format_tick in scientific notation ("5e-4"), for log axes whose ticks span tiny or huge values.
std::string format_tick_scientific(double v, double step);
Ticks make_ticks(const Painter& p, double lo, double hi, bool log, bool integer_only,
                 double length_px, bool horizontal);

// The frame shared by line plots and histograms: the plot rectangle inside a panel cell after
// room is made for the title, the axis labels and the tick labels.
struct FrameSpec {
  std::string title, xlabel, ylabel;
  Range x, y;
  bool logy = false, grid = true;
};
struct Frame {
  Rect plot;
  Scale sx, sy;
  Ticks xt, yt;
};
Frame layout_frame(const Painter& p, const FrameSpec& spec, Rect cell);
void draw_frame_background(const Painter& p, const Frame& f, const FrameSpec& spec);
void draw_frame_decorations(const Painter& p, const Frame& f, const FrameSpec& spec, Rect cell);
void draw_ref_lines(const Painter& p, const Frame& f, const std::vector<RefLine>& h,
                    const std::vector<RefLine>& v);

// A legend entry: a line sample (optionally dashed / with a marker) or a filled box.
struct LegendEntry {
  std::string label;
  Color color;
  bool dashed = false, marker = false, box = false, line = true;
};
// Placed in the corner of `plot` that covers the fewest of `occupied` (pixel positions of data).
void draw_legend(const Painter& p, Rect plot, const std::vector<LegendEntry>& entries,
                 const std::vector<std::pair<double, double>>& occupied);

// Throws if a series' x and y differ in length, naming the panel and the series.
void check_series(const std::string& panel, const Series& s);
void draw_series(const Painter& p, const Frame& f, const Series& s, const Color& color,
                 std::vector<std::pair<double, double>>* occupied);

void draw_axes(const Painter& p, const Axes& axes, Rect cell);
void draw_heatmap(const Painter& p, const Heatmap& heatmap, Rect cell);
void draw_histogram(const Painter& p, const Histogram& hist, Rect cell);

// Renders a whole figure into an ARGB32 image surface (the caller destroys it).
cairo_surface_t* render_surface(const Figure& figure);

// Writes `bytes` to `path` through a temporary file in the same folder and rename(). (The runtime
// has the same helper; the plot library sits below it in the link order, so it keeps its own.)
void write_atomic(const std::string& path, const std::string& bytes);
// A hidden, randomly suffixed name next to `path` for the temporary file (same folder, so that
// rename() is atomic).
std::string temp_path_for(const std::string& path);

}  // namespace rnnjit::plot::detail
