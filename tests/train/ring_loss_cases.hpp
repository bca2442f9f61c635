// Shapes, random inputs and comparisons shared by the ring loss kernel's tests: the host twin
// against the float64 ring_loss() (ring_loss_device_test.cpp) and the kernel on a GPU against
// both (ring_loss_gpu_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "runtime/core/tensor.hpp"
#include "runtime/ring/ring_loss.hpp"
#include "runtime/ring/ring_loss_device.hpp"

namespace rnnjit::train::ring::testing {

// The twin (and the kernel, whose sums it reproduces) in float32 against ring_loss() in float64.
// The largest dr error comes from the bump term's A_t - A_1, two float sums of N |r| that nearly
// cancel: the observed worst over these cases is 8.5e-6 of max |dr| (1.1e-5 over other seeds, and
// up to N = 300), the losses' 1.5e-6 (ring_loss_device_tests prints them). A dropped term moves dr
// by about half of max |dr|.
inline constexpr double kDrTol = 5e-5;    // relative to max |dr|
inline constexpr double kLossTol = 1e-5;  // relative to the loss (absolute below 1)

struct RingLossCase {
  int64_t n, t, b;
  bool seed_angles;  // make_readout's linspace angles (true) or 2 pi j / N
  bool signed_r;     // values of either sign, else non-negative rates
  float bump_weight;
  std::string name() const {
    return "N=" + std::to_string(n) + " T=" + std::to_string(t) + " B=" + std::to_string(b) +
           (seed_angles ? " linspace" : " 2pi/N") + (signed_r ? " signed" : " rates") +
           " bump=" + std::to_string(bump_weight);
  }
};

// Every combination the kernel must handle: N below, at and past a warp, not a multiple of 32.
inline std::vector<RingLossCase> ring_loss_cases() {
  std::vector<RingLossCase> v;
  for (int64_t n : {1, 7, 33, 64, 100})
    for (int64_t t : {1, 5})
      for (int64_t b : {1, 3})
        for (bool seed_angles : {true, false})
          for (bool signed_r : {false, true})
            for (float bw : {0.f, 0.2f}) v.push_back({n, t, b, seed_angles, signed_r, bw});
  return v;
}

// Fresh random inputs as float (what the kernel sees); no rate is 0, so sgn is never ambiguous.
struct RingLossInputs {
  std::vector<float> r, angle;
};
inline RingLossInputs make_inputs(const RingLossCase& c, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<float> mag(0.05f, 1.f), ang(0.f, 2 * std::numbers::pi_v<float>);
  std::bernoulli_distribution neg(0.5);
  RingLossInputs in;
  for (int64_t k = 0; k < c.b * c.t * c.n; ++k) {
    const float x = mag(g);
    in.r.push_back(c.signed_r && neg(g) ? -x : x);
  }
  for (int64_t k = 0; k < c.b * c.t; ++k) in.angle.push_back(ang(g));
  return in;
}

// ring_loss() on exactly those float values.
struct Reference {
  RingLossValue v;
  std::vector<double> dr;
};
inline Reference reference(const RingReadout& ro, const RingLossCase& c, const RingLossInputs& in) {
  Tensor r(DType::F32, {c.b, c.t, c.n});
  std::copy(in.r.begin(), in.r.end(), r.data<float>());
  Tensor dr;
  Reference ref;
  ref.v =
      ring_loss(ro, r, std::vector<double>(in.angle.begin(), in.angle.end()), c.bump_weight, &dr);
  ref.dr.assign(dr.data<double>(), dr.data<double>() + dr.numel());
  return ref;
}

// max_k |dr_k - ref_k| / max_k |ref_k| (the absolute error where ref is all zero).
inline double dr_error(const std::vector<float>& dr, const std::vector<double>& ref) {
  double err = 0, scale = 0;
  for (size_t k = 0; k < ref.size(); ++k) {
    err = std::max(err, std::abs(static_cast<double>(dr[k]) - ref[k]));
    scale = std::max(scale, std::abs(ref[k]));
  }
  return scale > 0 ? err / scale : err;
}

// The heading and bump losses from the per-trial parts, added in trial order as ring_loss() does.
inline RingLossValue from_parts(const std::vector<float>& parts, float bump_weight) {
  RingLossValue v;
  for (size_t b = 0; b < parts.size() / 2; ++b) {
    v.heading += parts[2 * b];
    v.bump += parts[2 * b + 1];
  }
  v.total = v.heading + bump_weight * v.bump;
  return v;
}

}  // namespace rnnjit::train::ring::testing
