// Figures for the trainers and analysis tools: line plots, heatmaps (weight matrices, activity over
// time) and histograms, laid out in a grid and written as PNG files or as frames of an animated
// GIF. Rendering is done with cairo; GIFs with giflib. The API is declarative: fill in plain
// structs, then call save_png() or GifWriter::add_frame(). Every file is written atomically
// (temporary file in the same folder, then rename), so a reader never sees half a figure.
//
// Example:
//   plot::Axes ax{.title = "Loss", .xlabel = "step", .ylabel = "loss", .logy = true};
//   ax.lines.push_back({.x = steps, .y = loss, .label = "train"});
//   plot::save_png({.width_px = 800, .height_px = 500, .panels = {ax}}, dir + "/loss.png");
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace rnnjit::plot {

struct Color {
  double r = 0, g = 0, b = 0, a = 1;  // each in [0, 1]
};

// The default line colours (a colour-blind friendly categorical palette); i wraps around.
Color palette(int i);
inline const Color kBlack{0, 0, 0};
inline const Color kGrey{0.5, 0.5, 0.5};
inline const Color kRed{0.84, 0.15, 0.16};
inline const Color kBlue{0.12, 0.47, 0.71};

using Range = std::pair<double, double>;

// One curve. NaN (and, on a log axis, non-positive) values break the line instead of being drawn.
struct Series {
  std::vector<double> x{}, y{};  // x empty: 0, 1, 2, ...
  std::string label{};           // empty: not listed in the legend
  std::optional<Color> color{};  // unset: palette(index of the series in its panel)
  bool dashed = false;
  bool points = false;  // draw a marker at every point
  bool line = true;     // false with points = true gives a scatter plot
  double width = 1.6;   // line width in px (at scale 1)
};

// A reference line across the whole plot (e.g. the chance level, a target error, an event time).
struct RefLine {
  double value = 0;
  std::string label{};  // drawn next to the line, if not empty
  Color color = kGrey;
  bool dashed = true;
};

// A line plot with axes, ticks, grid and legend.
struct Axes {
  std::string title{}, xlabel{}, ylabel{};
  bool logy = false;
  std::optional<Range> xlim{}, ylim{};  // unset: data range (y padded by 5%)
  std::vector<Series> lines{};
  std::vector<RefLine> hlines{}, vlines{};
  bool legend = true;  // drawn when at least one series has a label; placed in the emptiest corner
  bool grid = true;
};

enum class Colormap {
  Sequential,  // viridis-like, dark blue -> yellow
  Diverging,   // blue - white - red, symmetric around 0 unless `range` says otherwise
};

// A matrix drawn cell by cell: row 0 at the top, column 0 at the left.
struct Heatmap {
  std::string title{}, xlabel{}, ylabel{};
  int rows = 0, cols = 0;
  std::vector<double> values{};  // row-major, rows * cols; NaN cells are drawn light grey
  Colormap colormap = Colormap::Diverging;
  std::optional<Range> range{};  // unset: data range (Diverging: +-max |v|)
  std::string colorbar_label{};
  // The axis values that columns/rows stand for (e.g. time in ms for an activity heatmap): column 0
  // is x_extent.first, column cols-1 is x_extent.second. Unset: the indices.
  std::optional<Range> x_extent{}, y_extent{};
  bool equal_aspect = false;  // square cells (for weight matrices)
  // Block separators: lines between cell k-1 and cell k, e.g. {128} for the excitatory/inhibitory
  // boundary, with optional labels for the blocks they delimit ({"E", "I"}: one more than lines).
  std::vector<int> col_separators{}, row_separators{};
  std::vector<std::string> col_block_labels{}, row_block_labels{};
};

// Bars over bins, from raw values (binned here) or from given edges and counts, with optional
// overlaid curves (e.g. fitted densities: set density = true so the bars integrate to 1).
struct Histogram {
  std::string title{}, xlabel{}, ylabel{};
  std::vector<double> values{};  // raw values (NaN ignored), binned into `bins` bins over `range`
  int bins = 30;
  std::optional<Range> range{};  // unset: min..max of the values
  // Used instead when `values` is empty: edges.size() == counts.size() + 1.
  std::vector<double> edges{}, counts{};
  bool density = false;  // scale bars to unit area
  std::string label{};   // legend entry of the bars
  Color color = Color{0.45, 0.62, 0.81};
  std::vector<Series> curves{};
  std::vector<RefLine> vlines{};
  std::optional<Range> xlim{}, ylim{};
  bool legend = true;
};

using Panel = std::variant<Axes, Heatmap, Histogram>;

namespace detail {
struct IndexedImage;
}

// A grid of panels, filled row by row; fewer panels than rows * cols leave the last cells empty.
struct Figure {
  int width_px = 800, height_px = 600;
  int rows = 1, cols = 1;
  std::string suptitle{};
  std::vector<Panel> panels{};
};

// Renders the figure into PNG bytes / into a PNG file (atomically). Throws std::runtime_error
// naming the file or the panel that is wrong (e.g. a Heatmap whose values do not match rows *
// cols).
std::string render_png(const Figure& figure);
void save_png(const Figure& figure, const std::string& path);

// An animated GIF written frame by frame (each frame a Figure of the size of the first one),
// looping forever. Each frame gets its own 256-colour palette (median cut), so colormaps stay
// smooth. The file appears at `path` only when close() returns (or the writer is destroyed).
class GifWriter {
 public:
  GifWriter(std::string path, int delay_centiseconds = 10);
  ~GifWriter();
  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;

  void add_frame(const Figure& figure);
  void close();
  int frames() const { return frames_; }

 private:
  void write_frame(detail::IndexedImage& image);
  std::string path_, tmp_path_;
  int delay_cs_;
  void* gif_ = nullptr;  // GifFileType*, kept out of this header
  int width_ = 0, height_ = 0, frames_ = 0;
  bool closed_ = false;
};

// --- Building blocks, exposed for tests and for callers that want the same numbers. ---

// Tick positions at round numbers (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi] with at
// most max_ticks ticks inside it, e.g. (0, 0.93) -> 0, 0.2, 0.4, 0.6, 0.8.
std::vector<double> nice_ticks(double lo, double hi, int max_ticks = 6);
// Ticks for a log axis: powers of ten, or 1-2-5 multiples when the range spans less than two
// decades.
std::vector<double> log_ticks(double lo, double hi, int max_ticks = 8);
// A short label for a tick at `v` given the tick spacing `step` (no "0.30000000000000004").
std::string format_tick(double v, double step);
// Bin counts of `values` in `bins` equal bins over [lo, hi] (values outside or NaN are skipped; hi
// falls in the last bin).
std::vector<double> bin_counts(const std::vector<double>& values, int bins, double lo, double hi);
// Colormaps: t in [0, 1].
Color sequential_color(double t);
Color diverging_color(double t);

}  // namespace rnnjit::plot
