// Training settings of the ring attractor: the spec's `train:` section, validated with
// file:line:column errors, then overridden by the command line.
//
//   train:
//     steps: 1000          optimiser steps
//     batch: 64            trials per step
//     seq_len: 100         steps per trial
//     lr: 1.0e-3           Adam learning rate (betas 0.9, 0.999)
//     clip: 1.0            global L2 gradient-norm clip (0: off)
//     seed: 0              parameters, gain networks and data
//     init: random         random | perfect | debug_perfect (perfect, frozen, no gain nets: eval
//     only) gain_hidden: 3       hidden units of each gain network; 0: no gain networks (g = base
//     gates) gates: left_right    left_right (K > 2: zero padded) | linspace (relu(av s_k), s =
//     linspace(-1,1,K)) angles: linspace     decoder angles: linspace (0..2 pi, endpoint, the seed)
//     | uniform (2 pi j / N) bump_weight: 0.2     weight of the bump-amplitude loss neurons: 64
//     optional: train a ring of this size instead of the spec's `neurons` max_av: 0.314159 largest
//     |angular velocity| (rad/step) start_zero_ratio: 0.1 zero_ratios: [0.2, 0.5, 0.8] eval_trials:
//     512     held-out trials for the final evaluation eval_every: 100      held-out evaluation
//     during training (0: only at the end) checkpoint_every: 100 log_every: 10        metrics.csv
//     rows and plain progress lines movie_every: 10      weight frames with --movie
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "compiler/spec.hpp"
#include "runtime/ring/av_data.hpp"

namespace rnnjit::train::ring {

enum class InitMode { Random, Perfect, DebugPerfect };

struct RingTrainConfig {
  int64_t steps = 1000;
  int64_t batch = 64;
  double lr = 1e-3;
  double clip = 1.0;
  uint64_t seed = 0;
  InitMode init = InitMode::Random;
  int64_t gain_hidden = 3;
  GateMode gates = GateMode::LeftRight;
  bool seed_angles = true;  // decoder angles linspace(0, 2 pi, N) with endpoint
  double bump_weight = 0.2;
  int64_t neurons = 0;  // 0: the spec's
  AvTaskConfig task;    // seq_len, zero ratios, max_av
  int64_t eval_trials = 512;
  int64_t eval_every = 100;
  int64_t checkpoint_every = 100;
  int64_t log_every = 10;
  int64_t movie_every = 10;
};

// Reads spec.train (absent or null: all defaults). Throws SpecError at the offending node for an
// unknown key (with a suggestion), a value of the wrong type or out of range.
RingTrainConfig parse_ring_train_config(const ModelSpec& spec);

// Range checks shared by the YAML and the command line; throws std::invalid_argument naming the
// field.
void validate(const RingTrainConfig& cfg);

std::string name(InitMode m);
std::string name(GateMode m);
nlohmann::json to_json(const RingTrainConfig& cfg);
RingTrainConfig config_from_json(const nlohmann::json& j);  // inverse of to_json (checkpoints)

}  // namespace rnnjit::train::ring
