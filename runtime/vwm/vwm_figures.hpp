// The VWM run's PNG figures (issue 6), written into the run folder at the end of training:
//   loss_lr.png            training loss and learning rate against the iteration (metrics.csv)
//   error_vs_set_size.png  the last logged mean error per set size
//   weights.png            W_eff = W .* sign(column) with the E/I blocks marked (Dale's law), and B
//   rates.png              one trial's rates (neurons x time, E/I marked) and the E and I
//   population
//                          means, with the stimulus and decode windows marked (when rates are
//                          given)
#pragma once

#include <string>

#include "runtime/core/tensor.hpp"
#include "runtime/vwm/vwm_config.hpp"

namespace rnnjit::vwm {

// One trial's rates for rates.png: r [T, N] (r_1..r_T) and the trial's set size.
struct ExampleRates {
  Tensor r;
  int64_t set_size = 0;
};

// Reads <run_dir>/metrics.csv (as the trainer writes it) and `params` ("W" [N,N], "B" [N,I]).
// Returns the paths written. Throws std::runtime_error naming a file it cannot read or write.
std::vector<std::string> write_vwm_figures(const std::string& run_dir, const VwmConfig& c,
                                           const TensorMap& params,
                                           const ExampleRates* example = nullptr);

}  // namespace rnnjit::vwm
