// `rnnjit train` for a ring-attractor spec: the flags onto RingTrainOptions, then the trainer
// (runtime/ring/ring_trainer.hpp).
#pragma once

#include "cli/train_request.hpp"

namespace rnnjit::cli {

int train_ring_command(const TrainRequest& q);

}  // namespace rnnjit::cli
