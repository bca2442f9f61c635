// Animated GIFs with giflib: each frame rendered with cairo, quantised to its own palette, written
// to a temporary file that is renamed into place on close().
#include <gif_lib.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "runtime/plot/painter.hpp"
#include "runtime/plot/quantize.hpp"

namespace rnnjit::plot {

namespace {

GifFileType* as_gif(void* p) {
  return static_cast<GifFileType*>(p);
}

std::string gif_error(const std::string& path, const char* what, int code) {
  const char* msg = GifErrorString(code);
  return path + ": " + what + ": " + (msg ? msg : "giflib error " + std::to_string(code));
}

}  // namespace

GifWriter::GifWriter(std::string path, int delay_centiseconds)
    : path_(std::move(path)), delay_cs_(delay_centiseconds) {
  tmp_path_ = detail::temp_path_for(path_);
  int err = 0;
  GifFileType* gif = EGifOpenFileName(tmp_path_.c_str(), false, &err);
  if (!gif) throw std::runtime_error(gif_error(path_, "cannot write", err));
  EGifSetGifVersion(gif, true);  // GIF89a: needed for the delay and loop extensions
  gif_ = gif;
}

GifWriter::~GifWriter() {
  if (closed_) return;
  try {
    close();
  } catch (...) {
    // A destructor must not throw; close() has already removed the temporary file.
  }
}

void GifWriter::add_frame(const Figure& figure) {
  if (closed_) throw std::runtime_error(path_ + ": add_frame after close()");
  GifFileType* gif = as_gif(gif_);
  if (frames_ == 0) {
    width_ = figure.width_px;
    height_ = figure.height_px;
  } else if (figure.width_px != width_ || figure.height_px != height_) {
    throw std::runtime_error(path_ + ": frame " + std::to_string(frames_) + " is " +
                             std::to_string(figure.width_px) + "x" +
                             std::to_string(figure.height_px) + " px but the first frame is " +
                             std::to_string(width_) + "x" + std::to_string(height_));
  }
  cairo_surface_t* surface = detail::render_surface(figure);
  detail::IndexedImage img = detail::quantize(cairo_image_surface_get_data(surface), width_,
                                              height_, cairo_image_surface_get_stride(surface));
  cairo_surface_destroy(surface);
  try {
    write_frame(img);
  } catch (...) {
    // The stream is broken mid-frame: drop the file rather than leave an unreadable GIF.
    closed_ = true;
    EGifCloseFile(gif, nullptr);
    gif_ = nullptr;
    ::unlink(tmp_path_.c_str());
    throw;
  }
  ++frames_;
}

void GifWriter::write_frame(detail::IndexedImage& img) {
  GifFileType* gif = as_gif(gif_);
  if (frames_ == 0) {
    // No global colour table: every frame carries its own.
    if (EGifPutScreenDesc(gif, width_, height_, 8, 0, nullptr) == GIF_ERROR)
      throw std::runtime_error(gif_error(path_, "screen descriptor", gif->Error));
    // NETSCAPE2.0 application extension: loop forever (count 0).
    static const unsigned char kLoop[3] = {1, 0, 0};
    if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 3, kLoop) == GIF_ERROR ||
        EGifPutExtensionTrailer(gif) == GIF_ERROR)
      throw std::runtime_error(gif_error(path_, "loop extension", gif->Error));
  }
  GraphicsControlBlock gcb{};
  gcb.DisposalMode = DISPOSE_DO_NOT;
  gcb.UserInputFlag = false;
  gcb.DelayTime = delay_cs_;
  gcb.TransparentColor = NO_TRANSPARENT_COLOR;
  GifByteType ext[4];
  size_t ext_len = EGifGCBToExtension(&gcb, ext);
  if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(ext_len), ext) == GIF_ERROR)
    throw std::runtime_error(gif_error(path_, "frame delay", gif->Error));

  // GIF palettes have a power-of-two size; unused entries stay black.
  int size = 2;
  while (size < static_cast<int>(img.palette.size())) size *= 2;
  std::vector<GifColorType> colors(static_cast<size_t>(size), GifColorType{0, 0, 0});
  for (size_t i = 0; i < img.palette.size(); ++i)
    colors[i] = GifColorType{img.palette[i][0], img.palette[i][1], img.palette[i][2]};
  ColorMapObject* cmap = GifMakeMapObject(size, colors.data());
  if (!cmap) throw std::runtime_error(path_ + ": out of memory for a colour map");
  bool ok = EGifPutImageDesc(gif, 0, 0, width_, height_, false, cmap) != GIF_ERROR;
  GifFreeMapObject(cmap);
  for (int y = 0; ok && y < height_; ++y)
    ok =
        EGifPutLine(gif, img.indices.data() + static_cast<size_t>(y) * width_, width_) != GIF_ERROR;
  if (!ok) throw std::runtime_error(gif_error(path_, "writing frame", gif->Error));
}

void GifWriter::close() {
  if (closed_) return;
  closed_ = true;
  int err = 0;
  int rc = EGifCloseFile(as_gif(gif_), &err);
  gif_ = nullptr;
  if (rc == GIF_ERROR) {
    ::unlink(tmp_path_.c_str());
    throw std::runtime_error(gif_error(path_, "closing", err));
  }
  if (frames_ == 0) {
    ::unlink(tmp_path_.c_str());
    throw std::runtime_error(path_ + ": no frames were added; no GIF written");
  }
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp_path_.c_str());
    throw std::runtime_error(path_ + ": cannot rename the finished GIF into place");
  }
}

}  // namespace rnnjit::plot
