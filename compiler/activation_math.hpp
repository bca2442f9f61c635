// The activations phi of DESIGN.md section 2 and their hand-derived derivatives phi'.
//
// This header is the single source of truth: the float64 reference backend calls it with T =
// double, and the CUDA / LLVM code generators mirror these exact formulas (tests compare them
// against this file). Every derivative is written out by hand next to its function and checked
// against central finite differences in tests/reference/activation_test.cpp.
#pragma once

#include <cmath>
#include <optional>
#include <stdexcept>

#include "ir/kinds.hpp"

namespace rnnjit {

namespace act_detail {

// Constants of the formulas, kept in one place so generated kernels can print the same digits.
inline constexpr double kInvSqrt2 = 0.70710678118654752440;     // 1 / sqrt(2)
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
inline constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
inline constexpr double kGeluTanhCubic = 0.044715;          // GELU tanh-approximation cubic term
inline constexpr double kSatSlope = 0.14, kSatShift = 4.2;  // saturating: tanh(0.14 x - 4.2)
inline constexpr double kPowGain = 0.18, kPowThreshold = 10.0, kPowExponent = 1.7;
inline constexpr double kPowFloor = 1e-10;  // max(x - 10, 1e-10)

// Logistic sigmoid without overflow for large |x|.
template <class T>
T sigmoid(T x) {
  using std::exp;
  if (x >= T(0)) return T(1) / (T(1) + exp(-x));
  const T e = exp(x);
  return e / (T(1) + e);
}

}  // namespace act_detail

// phi(x). `rate` is used by Saturating only (S, the saturation firing rate).
template <class T>
T act_forward(ir::Activation a, T x, T rate) {
  using namespace act_detail;
  using std::erfc, std::exp, std::log1p, std::pow, std::tanh, std::abs;
  switch (a) {
    case ir::Activation::Relu:
      return x > T(0) ? x : T(0);
    // x Phi(x) with Phi(x) = 0.5 (1 + erf(x/sqrt 2)) = 0.5 erfc(-x/sqrt 2): erfc keeps full
    // relative precision in the left tail, where 1 + erf cancels.
    case ir::Activation::Gelu:
      return T(0.5) * x * erfc(-x * T(kInvSqrt2));
    // 0.5 x (1 + tanh u) with u = sqrt(2/pi) (x + 0.044715 x^3), evaluated as x sigmoid(2u)
    // (the same function: 0.5 (1 + tanh u) = sigmoid(2u)) so the left tail does not cancel.
    case ir::Activation::GeluTanh: {
      const T u = T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x * x * x);
      return x * sigmoid(T(2) * u);
    }
    case ir::Activation::Tanh:
      return tanh(x);
    case ir::Activation::Silu:
      return x * sigmoid(x);
    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x, no cancellation for small.
    case ir::Activation::Softplus:
      return (x > T(0) ? x : T(0)) + log1p(exp(-abs(x)));
    // (S/2)(1 + tanh v) = S sigmoid(2v), v = 0.14 x - 4.2: no cancellation where tanh v -> -1.
    case ir::Activation::Saturating:
      return rate * sigmoid(T(2) * (T(kSatSlope) * x - T(kSatShift)));
    case ir::Activation::PowerLaw: {
      const T d = x - T(kPowThreshold);
      return T(kPowGain) * pow(d > T(kPowFloor) ? d : T(kPowFloor), T(kPowExponent));
    }
  }
  throw std::logic_error("act_forward: unknown activation");
}

// phi'(x), derived by hand:
//   relu        1 for x > 0, else 0 (the subgradient at 0 is taken as 0)
//   gelu        Phi(x) + x phi(x),  Phi the normal CDF, phi(x) = exp(-x^2/2) / sqrt(2 pi)
//   gelu_tanh   0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
//               = sig + 2 x sig (1 - sig) u',  sig = sigmoid(2u)  (1 - tanh^2 u = 4 sig (1 - sig))
//   tanh        1 - tanh^2 x
//   silu        sigma(x) (1 + x (1 - sigma(x)))
//   softplus    sigma(x)
//   saturating  (S/2) 0.14 (1 - tanh^2(0.14 x - 4.2)) = 0.28 S sig (1 - sig),  sig = sigmoid(2v)
//   powerlaw    0.18 * 1.7 (x - 10)^0.7 where x - 10 > 1e-10, else 0 (the floor is constant)
template <class T>
T act_derivative(ir::Activation a, T x, T rate) {
  using namespace act_detail;
  using std::erfc, std::exp, std::pow, std::tanh;
  switch (a) {
    case ir::Activation::Relu:
      return x > T(0) ? T(1) : T(0);
    case ir::Activation::Gelu:
      return T(0.5) * erfc(-x * T(kInvSqrt2)) + x * T(kInvSqrt2Pi) * exp(T(-0.5) * x * x);
    case ir::Activation::GeluTanh: {
      const T u = T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x * x * x);
      const T du = T(kSqrt2OverPi) * (T(1) + T(3.0 * kGeluTanhCubic) * x * x);
      const T sig = sigmoid(T(2) * u);
      return sig + T(2) * x * sig * (T(1) - sig) * du;
    }
    case ir::Activation::Tanh: {
      const T th = tanh(x);
      return T(1) - th * th;
    }
    case ir::Activation::Silu: {
      const T s = sigmoid(x);
      return s * (T(1) + x * (T(1) - s));
    }
    case ir::Activation::Softplus:
      return sigmoid(x);
    case ir::Activation::Saturating: {
      const T sig = sigmoid(T(2) * (T(kSatSlope) * x - T(kSatShift)));
      return T(2) * rate * T(kSatSlope) * sig * (T(1) - sig);
    }
    case ir::Activation::PowerLaw: {
      const T d = x - T(kPowThreshold);
      if (!(d > T(kPowFloor))) return T(0);
      return T(kPowGain * kPowExponent) * pow(d, T(kPowExponent - 1.0));
    }
  }
  throw std::logic_error("act_derivative: unknown activation");
}

// Where phi' jumps (relu at 0, powerlaw at 10), or nullopt for the smooth activations.
// Finite-difference tests keep their inputs away from it.
inline std::optional<double> act_kink(ir::Activation a) {
  if (a == ir::Activation::Relu) return 0.0;
  if (a == ir::Activation::PowerLaw) return act_detail::kPowThreshold;
  return std::nullopt;
}

}  // namespace rnnjit
