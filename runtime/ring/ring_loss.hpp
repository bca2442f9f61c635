// The ring's readout, decoders and training losses, with their gradient dL/dr_t written by hand
// (derivation in ring_loss.cpp). The gradient is the cotangent handed to CellExecutor::backward.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/core/tensor.hpp"

namespace rnnjit::train::ring {

// Output y_t = r_t Wd / max_j (r_t Wd)_j, Wd[i][j] = cos(2 pi (i - j) / N), and the decoder's
// preferred angles p_j: linspace(0, 2 pi, N) with the endpoint (the seed's default) or 2 pi j / N.
struct RingReadout {
  int64_t n = 0;
  std::vector<double> cos_q, sin_q;  // q_i = 2 pi i / N: Wd = cos_q cos_q^T + sin_q sin_q^T
  std::vector<double> cos_p, sin_p;  // decoder angles p_j
  std::vector<double> p;
};
RingReadout make_readout(int64_t n, bool seed_linspace_angles = true);

// y = r Wd / max_j (r Wd)_j for one step of one trial (r, y: N values).
void readout(const RingReadout& ro, const double* r, double* y);
// Population-vector decode atan2(sum y sin p, sum y cos p), wrapped to [0, 2 pi).
double decode_population(const RingReadout& ro, const double* y);
// Preferred angle of the neuron with the largest output.
double decode_argmax(const RingReadout& ro, const double* y);
// |a - b| on the circle, in [0, pi].
double circular_distance(double a, double b);

struct RingLossValue {
  double total = 0;    // heading + bump_weight * bump
  double heading = 0;  // mean_{b,t} (cos th_hat - cos th)^2 + (sin th_hat - sin th)^2
  double bump = 0;     // mean_{b,t} (sum_j |r_t| - sum_j |r_1|)^2
};

// r: [B,T,N] (either dtype), angle: [B,T] targets. If dr is not null it receives dL/dr [B,T,N]
// (float64) of the total loss.
RingLossValue ring_loss(const RingReadout& ro, const Tensor& r, const std::vector<double>& angle,
                        double bump_weight, Tensor* dr);

}  // namespace rnnjit::train::ring
