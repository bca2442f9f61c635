// Held-out evaluation of a ring model: losses and the mean absolute circular error of the
// population-vector and argmax decoders on fresh trials, the seed's perfect-model sanity loss, and
// one example trial for the figures.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/ring/ring_model.hpp"

namespace rnnjit::train::ring {

// The held-out data stream: far from any training step's stream (training uses stream = step).
constexpr uint64_t kHeldOutStream = 1ULL << 62;

struct RingTrial {  // one trial, for plots
  int64_t seq_len = 0, n = 0;
  std::vector<double> r, y;                        // [T,N] rates and normalised cosine output
  std::vector<double> av, angle;                   // [T]
  std::vector<double> decoded_pv, decoded_argmax;  // [T]
};

struct RingEval {
  int64_t trials = 0;
  double loss = 0, heading_loss = 0, bump_loss = 0;
  double pv_error = 0;      // mean |circular error| (rad) of the population-vector decode of y
  double argmax_error = 0;  // the same for the argmax decode
  RingTrial example;        // the first held-out trial
};

// Evaluates on `trials` fresh trials (seeded by cfg.seed and kHeldOutStream), in chunks of at most
// `chunk` trials per forward pass.
// Under data parallelism (train::communicator() with several ranks) every rank evaluates its share
// of each chunk's trials and the sums are added over the ranks; only rank 0 gets the example.
RingEval evaluate_ring(RingModel& model, int64_t trials, int64_t chunk = 512);

// The seed's sanity check: the perfect weights, frozen, gain 1 (gates = base gates), on one batch
// of held-out trials; returns its heading + bump loss (the seed prints the heading loss; < 0.5
// passes).
RingLossValue perfect_model_loss(RingModel& model, int64_t trials);

}  // namespace rnnjit::train::ring
