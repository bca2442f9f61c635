// The visual-working-memory task (issue 6): the trial timeline, random batches of items and the
// input tensor the cell is driven with.
//
// All randomness comes from the Philox generator of math/noise_math.hpp on streams of its own
// (kStreamTask*), keyed by the batch seed, so a batch is a pure function of (config, seed) on every
// platform.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/core/tensor.hpp"
#include "runtime/vwm/vwm_config.hpp"

namespace rnnjit::vwm {

// Philox streams of the task (the spike noise uses 0 and 1).
enum : unsigned { kStreamTaskAngle = 16, kStreamTaskIlc = 17, kStreamTaskSlots = 18 };

// Step k (0-based) integrates from t = k dt to (k+1) dt: its input is u[:, k, :], its state is
// r_{k+1} = r[:, k, :] of the executor's output. Counts follow the seed (Python int() truncation):
//   steps        = int((T_init + T_stimi + T_delay + T_decode) / dt)        (202 by default)
//   decode_start = int((T_init + T_stimi + T_delay) / dt)                   (152)
//   the decode window is r[:, decode_start:steps, :]                        (the last 50 steps)
//   the stimulus is on at step k iff T_init <= k dt < T_init + T_stimi      (k = 2..51)
struct Timeline {
  int64_t steps = 0;
  int64_t decode_start = 0;
  int64_t decode_len() const { return steps - decode_start; }
  double dt = 10, T_init = 0, T_stimi = 0;
  bool stimulus_on(int64_t k) const;
};
Timeline make_timeline(const VwmConfig& c);

// Trials per set size: num_trials // G each, the first num_trials % G groups one more (the seed's
// split), G = item_num.size().
std::vector<int64_t> trials_per_group(int64_t num_trials, int64_t groups);

struct VwmBatch {
  int64_t trials = 0, items = 0, steps = 0, channels = 0;  // B, M, T, I
  std::vector<int64_t> group;     // [B] index into item_num (-1: set size not in item_num)
  std::vector<int64_t> set_size;  // [B]
  std::vector<double> theta;      // [B, M] target angles in [-pi, pi) (drawn for absent items too)
  std::vector<double> presence;   // [B, M] 1 present, 0 absent
  Tensor input;                   // [B, T, I] the cell's input "stimulus"
};

// One batch of the training task: `num_trials` trials split over the set sizes, each trial's
// present slots a uniformly random subset of the M slots, angles uniform in [-pi, pi), the input
// encoding of the noisy angle theta + ILC_noise * N(0,1):
//   positive_input: item m -> channels 3m..3m+2 = [1 + cos/sqrt2 + sin/sqrt6,
//                                                  1 - cos/sqrt2 + sin/sqrt6, 1 - 2 sin/sqrt6]
//   otherwise:      item m -> channels 2m, 2m+1 = [cos, sin]
// times presence, times input_strength / M, during the stimulus steps only (zero elsewhere).
VwmBatch make_batch(const VwmConfig& c, uint64_t seed, DType dtype = DType::F32);

// A batch of given angles and presence (for analyses: SNR repeats one stimulus over many trials).
// theta and presence are [B, M]; ilc_noise is the sd of the input-angle noise (0 for none).
VwmBatch make_batch_from(const VwmConfig& c, std::vector<double> theta,
                         std::vector<double> presence, double ilc_noise, uint64_t seed,
                         DType dtype = DType::F32);

// The seed's target u_0 [B, 2M]: (cos theta, sin theta) * presence per item (what the readout is
// trained towards; vwm_loss computes it itself from theta and presence).
std::vector<double> targets(const VwmBatch& b);

// The encoding of one item's (noisy) angle into `out` (3 or 2 values), before presence and scale.
void encode_item(double angle, bool positive_input, double* out);

}  // namespace rnnjit::vwm
