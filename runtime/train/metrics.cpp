#include "runtime/train/metrics.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "runtime/core/safetensors.hpp"

namespace rnnjit::train {

namespace {

// The step in a row's first column; std::runtime_error naming the file and line if it is not one.
int64_t row_step(const std::string& path, int64_t line_no, const std::string& line) {
  const std::string cell = line.substr(0, line.find(','));
  int64_t step = 0;
  auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), step);
  if (ec != std::errc() || end != cell.data() + cell.size() || cell.empty())
    throw std::runtime_error(fmt::format("{}:{}: column 'step': not a step number: '{}'", path,
                                         line_no, cell.substr(0, 40)));
  return step;
}

}  // namespace

CsvWriter::CsvWriter(std::string path, std::vector<std::string> columns, bool fresh,
                     int64_t keep_through_step, const std::string& comment)
    : path_(std::move(path)), columns_(std::move(columns)) {
  std::string head = comment.empty() ? "" : "# " + comment + "\n";
  for (size_t i = 0; i < columns_.size(); ++i) head += (i ? "," : "") + columns_[i];
  head += "\n";
  std::string kept;
  std::ifstream in;
  if (!fresh) in.open(path_);
  if (in.is_open()) {
    head.clear();
    std::string line;
    bool header_seen = false;
    for (int64_t line_no = 1; std::getline(in, line); ++line_no) {
      if (line.empty()) continue;
      if (line[0] == '#' || !header_seen) {  // comments and the header row stay as they are
        head += line + "\n";
        header_seen = header_seen || line[0] != '#';
        continue;
      }
      if (row_step(path_, line_no, line) <= keep_through_step) kept += line + "\n";
    }
  }
  write_file_atomic(path_, head + kept);
  f_ = std::fopen(path_.c_str(), "a");
  if (!f_) throw std::runtime_error(path_ + ": cannot open for appending: " + std::strerror(errno));
}

CsvWriter::~CsvWriter() {
  if (f_) std::fclose(f_);
}

void CsvWriter::row(const std::vector<double>& values) {
  if (values.size() != columns_.size())
    throw std::logic_error(
        fmt::format("{}: row has {} values for {} columns", path_, values.size(), columns_.size()));
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) line += ",";
    if (!std::isnan(values[i])) line += fmt::format("{:.9g}", values[i]);
  }
  line += "\n";
  errno = 0;
  if (std::fputs(line.c_str(), f_) < 0 || std::fflush(f_) != 0) {
    const int err = errno;
    std::clearerr(f_);
    throw std::runtime_error(path_ + ": cannot append a row: " +
                             (err ? std::strerror(err) : "write failed"));
  }
}

Progress::Progress(int64_t total, int64_t first, int every, bool tty)
    : total_(total),
      first_(first),
      every_(every > 0 ? every : 1),
      tty_(tty),
      start_(std::chrono::steady_clock::now()),
      last_step_(first) {}

bool Progress::stdout_is_tty() {
  return ::isatty(STDOUT_FILENO) == 1;
}

double Progress::steps_per_second() const {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s > 0 ? static_cast<double>(last_step_ - first_) / s : 0.0;
}

static std::string format_seconds(double s) {
  if (!std::isfinite(s)) return "?";
  const auto t = static_cast<int64_t>(std::llround(s));
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t / 60) % 60);
  return fmt::format("{}:{:02d}", t / 60, t % 60);
}

void Progress::update(int64_t step, double loss, const std::string& extra) {
  last_step_ = step;
  const double rate = steps_per_second();
  const double eta = rate > 0 ? static_cast<double>(total_ - step) / rate : NAN;
  if (tty_) {
    const int width = 28;
    const double frac = total_ > 0 ? static_cast<double>(step) / static_cast<double>(total_) : 1.0;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar += std::string(static_cast<size_t>(width - filled), '.');
    fmt::print("\r[{}] {}/{} loss {:.4f} {:.1f} steps/s ETA {} {}\x1b[K", bar, step, total_, loss,
               rate, format_seconds(eta), extra);
    std::fflush(stdout);
  } else if (step % every_ == 0 || step == total_ || !extra.empty()) {
    fmt::print("step {}/{} loss {:.5f} {:.2f} steps/s ETA {} {}\n", step, total_, loss, rate,
               format_seconds(eta), extra);
    std::fflush(stdout);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (tty_) {
    fmt::print("\n");
    std::fflush(stdout);
  }
}

std::map<std::string, std::vector<double>> read_csv_columns(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  std::vector<std::string> names;
  std::map<std::string, std::vector<double>> cols;
  int64_t row = 1;
  while (std::getline(in, line) && !line.empty() && line[0] == '#') ++row;  // the run's comment
  if (!line.empty() && line[0] != '#') {
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) {
      names.push_back(cell);
      cols[cell];
    }
  }
  for (++row; std::getline(in, line); ++row) {
    if (!line.empty() && line[0] == '#') continue;
    std::stringstream ss(line);
    size_t k = 0;
    for (std::string cell; k < names.size(); ++k) {
      if (!std::getline(ss, cell, ',')) cell.clear();  // a short row: the rest are empty
      double x = std::nan("");
      if (!cell.empty()) {
        size_t used = 0;
        try {
          x = std::stod(cell, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != cell.size())
          throw std::runtime_error(path + ":" + std::to_string(row) + ": column '" + names[k] +
                                   "': not a number: '" + cell + "'");
      }
      cols[names[k]].push_back(x);
    }
  }
  return cols;
}

void ensure_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw std::runtime_error(dir + ": cannot create the output folder: " + ec.message());
}

void write_json_atomic(const std::string& path, const nlohmann::json& j) {
  write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace rnnjit::train
