// A figure: the grid of panels on a white page, rendered to a cairo image and written as PNG.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "runtime/plot/painter.hpp"

namespace rnnjit::plot {

namespace detail {

cairo_surface_t* render_surface(const Figure& fig) {
  if (fig.width_px < 16 || fig.height_px < 16 || fig.width_px > 16384 || fig.height_px > 16384)
    throw std::runtime_error("plot: figure size " + std::to_string(fig.width_px) + "x" +
                             std::to_string(fig.height_px) + " px is outside 16..16384");
  if (fig.rows < 1 || fig.cols < 1)
    throw std::runtime_error("plot: figure grid " + std::to_string(fig.rows) + "x" +
                             std::to_string(fig.cols) + " needs at least one row and column");
  if (fig.panels.size() > static_cast<size_t>(fig.rows) * static_cast<size_t>(fig.cols))
    throw std::runtime_error("plot: " + std::to_string(fig.panels.size()) +
                             " panels do not fit a " + std::to_string(fig.rows) + "x" +
                             std::to_string(fig.cols) + " grid");

  cairo_surface_t* surface =
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, fig.width_px, fig.height_px);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);

  double cell_w = static_cast<double>(fig.width_px) / fig.cols;
  double cell_h0 = static_cast<double>(fig.height_px) / fig.rows;
  // One text scale for the whole figure, from the size of a panel (430 px panels get scale 1).
  Style style{std::clamp(std::sqrt(cell_w * cell_h0) / 430.0, 0.8, 1.6)};
  detail::Painter painter(cr, style);

  double top = 0;
  if (!fig.suptitle.empty()) {
    auto [text, size] =
        painter.fit(fig.suptitle, style.suptitle_font(), fig.width_px - 2 * style.pad(), true);
    painter.text(fig.width_px / 2.0, style.pad(), text, size, HAlign::Center, VAlign::Top, true);
    top = style.pad() + painter.line_height(size) + style.gap();
  }
  double cell_h = (fig.height_px - top) / fig.rows;
  std::string error;
  for (size_t i = 0; i < fig.panels.size(); ++i) {
    int r = static_cast<int>(i) / fig.cols, c = static_cast<int>(i) % fig.cols;
    Rect cell{c * cell_w, top + r * cell_h, cell_w, cell_h};
    cairo_save(cr);
    cairo_rectangle(cr, cell.x, cell.y, cell.w, cell.h);
    cairo_clip(cr);
    try {
      std::visit(
          [&](const auto& panel) {
            using T = std::decay_t<decltype(panel)>;
            if constexpr (std::is_same_v<T, Axes>) draw_axes(painter, panel, cell);
            if constexpr (std::is_same_v<T, Heatmap>) draw_heatmap(painter, panel, cell);
            if constexpr (std::is_same_v<T, Histogram>) draw_histogram(painter, panel, cell);
          },
          fig.panels[i]);
    } catch (const std::exception& e) {
      error = e.what();
    }
    cairo_restore(cr);
    if (!error.empty()) break;
  }
  cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_flush(surface);
  if (error.empty() && status != CAIRO_STATUS_SUCCESS)
    error = std::string("plot: cairo: ") + cairo_status_to_string(status);
  if (!error.empty()) {
    cairo_surface_destroy(surface);
    throw std::runtime_error(error);
  }
  return surface;
}

std::string temp_path_for(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::random_device rd;
  std::string name = ".";
  name += target.filename().string();
  name += ".tmp";
  name += std::to_string(rd());
  return (dir / name).string();
}

void write_atomic(const std::string& path, const std::string& bytes) {
  std::string tmp = temp_path_for(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
  const char* data = bytes.data();
  size_t left = bytes.size();
  int err = 0;
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": write failed: " + std::strerror(err));
  }
}

}  // namespace detail

namespace {

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

std::string render_png(const Figure& figure) {
  cairo_surface_t* surface = detail::render_surface(figure);
  std::string bytes;
  cairo_status_t status = cairo_surface_write_to_png_stream(surface, append_to_string, &bytes);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(std::string("plot: PNG encoding failed: ") +
                             cairo_status_to_string(status));
  return bytes;
}

void save_png(const Figure& figure, const std::string& path) {
  std::string bytes;
  try {
    bytes = render_png(figure);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  detail::write_atomic(path, bytes);
}

}  // namespace rnnjit::plot
