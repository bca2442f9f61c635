// `rnnjit train` for the visual-working-memory network (a VWM spec or a vwm_rnn config): the flags
// onto VwmConfig and VwmTrainOptions, the trainer (runtime/vwm/vwm_trainer.hpp), then the analyses
// the config switches on.
#pragma once

#include "cli/train_request.hpp"

namespace rnnjit::cli {

int train_vwm_command(const TrainRequest& q);

}  // namespace rnnjit::cli
