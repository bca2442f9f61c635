// What a training run writes while it runs: metrics.csv (one row per logged step) and a progress
// display: a one-line bar redrawn in place on a terminal, plain lines when the output is a file or
// a pipe (CI logs stay readable).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rnnjit::train {

// A CSV file: an optional comment line ("# <comment>", e.g. the run id), a header row, then rows
// appended and flushed at once, so a crash loses nothing. A row that cannot be written (disk full,
// file size limit) throws std::runtime_error naming the file: a run must not go on without its
// metrics.
class CsvWriter {
 public:
  // Opens `path`. fresh: replaces the file with the comment and the header. Resuming: keeps the
  // comment lines and the rows whose first column (the step) is <= keep_through_step, drops later
  // ones (they belong to work the checkpoint does not contain), then appends; a missing file
  // starts fresh. A row whose step does not read throws std::runtime_error naming file and line.
  CsvWriter(std::string path, std::vector<std::string> columns, bool fresh,
            int64_t keep_through_step = -1, const std::string& comment = "");
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;
  void row(const std::vector<double>& values);  // one value per column; NaN written empty

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::FILE* f_ = nullptr;
};

// Reads a CSV file as CsvWriter writes it: columns by header name, empty cells as NaN, lines
// starting with '#' skipped. Throws std::runtime_error naming the file when it cannot be read.
std::map<std::string, std::vector<double>> read_csv_columns(const std::string& path);

class Progress {
 public:
  // total: the last step; first: the step training starts from (after a resume). tty: redraw one
  // line (auto: isatty(stdout)); plain: print a line every `every` steps.
  Progress(int64_t total, int64_t first, int every, bool tty);
  static bool stdout_is_tty();
  // Called after step `step` (1-based, counting the resumed ones) finished.
  void update(int64_t step, double loss, const std::string& extra = "");
  void finish();
  double steps_per_second() const;

 private:
  int64_t total_, first_;
  int every_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  int64_t last_step_ = 0;
  bool finished_ = false;
};

// Creates `dir` (and parents); throws std::runtime_error with the reason if it cannot.
void ensure_dir(const std::string& dir);
// Writes pretty-printed JSON atomically.
void write_json_atomic(const std::string& path, const nlohmann::json& j);

}  // namespace rnnjit::train
