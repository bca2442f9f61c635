// Which trainer a spec's model belongs to: the one rule the library and the CLI share. A spec with
// spike noise, an external input or `train: {task: vwm}` is the visual-working-memory network;
// every other spec is a ring attractor driven by its gate input.
#pragma once

#include <string>

#include "compiler/spec.hpp"

namespace rnnjit::api {

std::string trainer_of(const ModelSpec& spec);  // "ring" | "vwm"

// The trainer of the run in `dir`, from what it wrote (a VWM run writes config.json) or its
// newest readable checkpoint. UsageError when the folder holds no checkpoint.
std::string trainer_of_run(const std::string& dir);

}  // namespace rnnjit::api
