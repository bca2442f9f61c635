// --ensemble E and --sweep KEY=VALUES: the members of a ring ensemble, the Cartesian product of the
// swept settings over the spec's `train:` section and the flags.
//   --sweep lr=1e-3,3e-3     a list
//   --sweep seed=0..7        an inclusive integer range
//   --ensemble 8             the same as --sweep seed=S..S+7 from the run's seed S
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/train_request.hpp"
#include "runtime/ring/ring_config.hpp"

namespace rnnjit::cli {

struct RingSweep {
  std::vector<train::ring::RingTrainConfig> members;
  std::vector<std::map<std::string, std::string>> labels;  // the swept values of each member
};

// Whether the request asks for an ensemble (--ensemble or --sweep).
bool wants_ensemble(const TrainRequest& q);

// The members from `base` (the spec's settings with the flags applied). UsageError for an unknown
// key, a bad value or an empty sweep.
RingSweep ring_sweep(const TrainRequest& q, const train::ring::RingTrainConfig& base);

}  // namespace rnnjit::cli
