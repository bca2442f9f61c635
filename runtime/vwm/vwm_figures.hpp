// The VWM run's PNG figures (issue 6), written into the run folder at the end of training:
//   loss_lr.png            training loss and learning rate against the iteration (metrics.csv)
//   error_vs_set_size.png  the last logged mean error per set size
//   weights.png            W_eff = W .* sign(column) with the E/I blocks marked (Dale's law), and B
#pragma once

#include <string>

#include "runtime/tensor.hpp"
#include "runtime/vwm/vwm_config.hpp"

namespace rnnjit::vwm {

// Reads <run_dir>/metrics.csv (as the trainer writes it) and `params` ("W" [N,N], "B" [N,I]).
// Returns the paths written. Throws std::runtime_error naming a file it cannot read or write.
std::vector<std::string> write_vwm_figures(const std::string& run_dir, const VwmConfig& c,
                                           const TensorMap& params);

}  // namespace rnnjit::vwm
