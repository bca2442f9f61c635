// The angular-velocity integration task of the seed (generate_av_integration_data.py), seeded and
// reproducible: the same (seed, stream) always gives the same batch, on every backend.
//
// Per trial: an initial angle uniform in [0, 2 pi); the first floor(T * start_zero_ratio) steps
// have zero velocity; of the remaining L steps, floor(L * z) are zero at random positions, z drawn
// per trial from zero_ratios; the others are uniform in [-max_av, max_av). The target of step t is
// theta_t = theta_0 + sum_{s<t} av_s wrapped to [0, 2 pi): step t's output is read after the cell
// has seen av_t, so its target lags by one step, exactly as in the seed.
#pragma once

#include <cstdint>
#include <numbers>
#include <vector>

#include "runtime/core/tensor.hpp"

namespace rnnjit::train::ring {

struct AvTaskConfig {
  int64_t seq_len = 100;
  double start_zero_ratio = 0.1;
  std::vector<double> zero_ratios{0.2, 0.5, 0.8};
  double max_av = 0.1 * std::numbers::pi;
};

struct AvBatch {
  int64_t batch = 0, seq_len = 0;
  std::vector<double> av;      // [B,T]
  std::vector<double> angle;   // [B,T], target angle of each step, in [0, 2 pi)
  std::vector<double> theta0;  // [B], the initial angle (= angle[b,0])
};

// One batch drawn from a generator keyed by (seed, stream): training uses stream = step, the
// held-out set a stream no training step reaches.
AvBatch generate_av_batch(const AvTaskConfig& cfg, int64_t batch, uint64_t seed, uint64_t stream);

// Trials [first, last) of a batch: a rank's share of the global batch under data parallelism.
AvBatch slice(const AvBatch& d, int64_t first, int64_t last);

// How the gate channels are made from the velocity.
enum class GateMode {
  LeftRight,  // K = 2: [relu(-av), relu(av)]; K > 2: the same in channels 0, 1 and zeros after
  Linspace,   // relu(av * s_k), s = linspace(-1, 1, K)  (K = 2 gives LeftRight)
};

// The base gate signals a[b,t,k] >= 0 (before any gain network), [B,T,K] row-major.
std::vector<double> base_gates(const AvBatch& d, int64_t k, GateMode mode);

// The seed's initial state: a Gaussian bump of width N / width_factor neurons centred on theta0
// (neuron j sits at 2 pi j / N; circular distance), scaled to unit L2 norm. [B,N] float64.
Tensor initial_bump(const std::vector<double>& theta0, int64_t n, double width_factor = 10.0);

}  // namespace rnnjit::train::ring
