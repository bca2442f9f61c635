// What a trainer tells its caller after every optimiser step (the library's progress callback):
// the same numbers for the ring and the VWM network.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>

namespace rnnjit::train {

struct StepReport {
  int64_t step = 0;       // 1-based, counting resumed steps
  int64_t last_step = 0;  // the run's target
  double loss = NAN;      // training loss of this step
  // Ring: the held-out circular error (rad) when this step evaluated, else NaN. VWM: the batch's
  // decoded error (rad), every step.
  double error = NAN;
  double seconds = 0;  // training time of this run so far
};

using StepCallback = std::function<void(const StepReport&)>;

}  // namespace rnnjit::train
