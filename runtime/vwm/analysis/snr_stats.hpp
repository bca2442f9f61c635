// Signal-to-noise ratio per set size, as the seed defines it (vwm_rnn analysis/snr_analysis.py).
//
// The seed runs one stimulus (item 0 always present, set_size - 1 other random slots, fixed angles,
// no ILC noise) over many repeated trials, takes the spike-noise-corrupted rates of the decode
// window, and projects them on item 0's readout rows: p[b,k] = (F z'_{b,k})[0:2], a 2-vector per
// trial b and decode step k. Then, with s = mean over b and k of p (the signal),
//   SNR1 = |s|^2 / tr(Cov_{b,k}(p))              noise over every (trial, step) sample
//   SNR2 = |s|^2 / tr(Cov_b(mean_k p[b,k]))      noise of the time-averaged readout
// Cov is the unbiased sample covariance (numpy.cov, ddof 1) of the 2-D points; tr of a 2x2
// covariance is the sum of the two variances. Both are also given in dB (10 log10).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/core/tensor.hpp"
#include "runtime/vwm/vwm_config.hpp"
#include "runtime/vwm/vwm_loss.hpp"
#include "runtime/vwm/vwm_task.hpp"

namespace rnnjit::vwm {

struct SnrResult {
  int64_t set_size = 0;
  double signal_power = 0;             // |s|^2
  double noise_power = 0;              // tr Cov over (trial, step) samples
  double noise_power_avg = 0;          // tr Cov over trials of the time-averaged point
  double snr = 0, snr_db = 0;          // SNR1
  double snr_avg = 0, snr_avg_db = 0;  // SNR2
};

// From readout points [trials, steps, 2] (row-major).
SnrResult snr_from_points(const std::vector<double>& points, int64_t trials, int64_t steps);

// The seed's SNR batch: `trials` repeats of one random stimulus of `set_size` items with item 0
// present, no ILC noise. Deterministic in seed.
VwmBatch make_snr_batch(const VwmConfig& c, int64_t set_size, int64_t trials, uint64_t seed);

// Item 0's readout points [B, K, 2] from rates r [B, T, N] over the decode window, through the
// readout noise of `noise` (the same draw the loss uses), and their SNR.
SnrResult snr_from_rates(const Tensor& r, const Tensor& F, int64_t decode_start,
                         const ReadoutNoise& noise);

}  // namespace rnnjit::vwm
