// The figures of a ring training run (PNG, via runtime/plot): weight matrices before and after
// training, loss curves, the activity heatmap of a held-out trial, bump profiles at three steps,
// true vs decoded angle; and the --movie frames (weights every few steps) with an animated GIF.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/core/tensor.hpp"
#include "runtime/ring/ring_eval.hpp"

namespace rnnjit::train::ring {

struct RingHistory {  // from metrics.csv
  std::vector<double> step, loss, heading, bump;
  std::vector<double> eval_step, eval_loss, eval_error;
};
// Reads a metrics.csv written by the ring trainer (missing file: empty history).
RingHistory read_ring_history(const std::string& metrics_csv);

struct RingFigureInputs {
  int64_t n = 0, k = 0;
  std::string dense_name, bank_name;  // "Wo", "Wa"
  TensorMap initial, trained;         // cell parameters
  RingHistory history;
  RingTrial trial;
};

// True when this build can draw (runtime/plot is present).
bool figures_available();

// Writes the PNGs into dir; returns the paths written (empty when figures are unavailable).
std::vector<std::string> write_ring_figures(const RingFigureInputs& in, const std::string& dir);

// --movie: one frame of the weight matrices every few steps, as dir/movie/frame-<step>.png and
// as frames of dir/weights_evolution.gif (written when close() returns).
class RingMovie {
 public:
  RingMovie(std::string dir, std::string dense_name, std::string bank_name);
  ~RingMovie();
  void add_frame(int64_t step, const TensorMap& params);
  std::vector<std::string> close();  // the GIF path (if any frames)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rnnjit::train::ring
