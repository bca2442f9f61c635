// The activations phi of the cell and their hand-derived derivatives phi': each one is defined
// here once, as the struct named like its line in ir/activations.def.
//
// A definition has
//   emit(x, rate)   {phi, phi'} in the expression language of compiler/activation_expr.hpp: what
//                   the LLVM (CPU) and CUDA code generators emit, what the host twins of the
//                   kernels evaluate in float, and, unless the struct has a `reference`, what the
//                   float64 reference interpreter evaluates in double;
//   reference       (optional) value(x, rate) and derivative(x, rate) templates for the float64
//                   reference, where double precision has a better-conditioned form of the same
//                   function than the one the fp32 kernels use;
//   kink            where phi' jumps (finite-difference tests keep their inputs away from it), or
//                   none;
//   domain          the pre-activations where phi bends, [lo, hi], and `offset`, a bias that puts a
//                   cell's pre-activations there (tests draw their inputs from these).
// `rate` is the saturation rate S of `saturating` (the spec's activation.rate); the others ignore
// it. Every phi' is checked against central differences of phi by
// tests/reference/activation_test.cpp, and every backend against the float64 reference, for every
// line of ir/activations.def.
//
// Adding an activation: its line in ir/activations.def, its struct here (and its name in the
// spec documentation). Nothing else lists activations.
#pragma once

#include <optional>
#include <stdexcept>

#include "compiler/activation_expr.hpp"
#include "ir/kinds.hpp"

namespace rnnjit::act {

// Constants of the formulas, written once so that every backend sees the same digits.
inline constexpr double kInvSqrt2 = 0.70710678118654752440;     // 1 / sqrt(2)
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
inline constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
inline constexpr double kGeluTanhCubic = 0.044715;          // GELU tanh-approximation cubic term
inline constexpr double kSatSlope = 0.14, kSatShift = 4.2;  // saturating: tanh(0.14 x - 4.2)
inline constexpr double kPowGain = 0.18, kPowThreshold = 10.0, kPowExponent = 1.7;
inline constexpr double kPowFloor = 1e-10;  // max(x - 10, 1e-10)

struct Domain {
  double lo = -3.0, hi = 3.0;  // where phi bends
  double offset = 0.0;         // a bias that puts the pre-activations there
};

// What a definition inherits unless it says otherwise: smooth, bending around 0.
struct Defaults {
  static constexpr std::optional<double> kink = std::nullopt;
  static constexpr Domain domain{};
};

// Logistic sigmoid without overflow for large |x| (the float64 reference forms below).
template <class T>
T stable_sigmoid(T x) {
  using std::exp;
  if (x >= T(0)) return T(1) / (T(1) + exp(-x));
  const T e = exp(x);
  return e / (T(1) + e);
}

// max(x, 0); phi' = 1 for x > 0, else 0 (the subgradient at 0 is taken as 0).
struct Relu : Defaults {
  static constexpr std::optional<double> kink = 0.0;
  template <Expr E>
  static Pair<E> emit(const E& x, double) {
    const E pos = gt(x, 0.0);
    return {select(pos, x, 0.0), select(pos, 1.0, 0.0)};
  }
};

// x Phi(x), Phi the normal CDF, exact erf form: Phi(x) = 0.5 (1 + erf(x / sqrt 2));
// phi' = Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi) the normal density.
struct Gelu : Defaults {
  template <Expr E>
  static Pair<E> emit(const E& x, double) {
    const E cdf = 0.5 * (1.0 + erf(x * kInvSqrt2));
    return {x * cdf, cdf + (x * kInvSqrt2Pi) * exp(-0.5 * (x * x))};
  }
  // Phi(x) = 0.5 erfc(-x / sqrt 2): erfc keeps full relative precision in the left tail, where
  // 1 + erf cancels.
  struct reference {
    template <class T>
    static T value(T x, T) {
      using std::erfc;
      return T(0.5) * x * erfc(-x * T(kInvSqrt2));
    }
    template <class T>
    static T derivative(T x, T) {
      using std::erfc, std::exp;
      return T(0.5) * erfc(-x * T(kInvSqrt2)) + x * T(kInvSqrt2Pi) * exp(T(-0.5) * x * x);
    }
  };
};

// The tanh approximation of GELU: 0.5 x (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3);
// phi' = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) u',  u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
struct GeluTanh : Defaults {
  template <Expr E>
  static Pair<E> emit(const E& x, double) {
    const E x2 = x * x;
    const E u = kSqrt2OverPi * (x + kGeluTanhCubic * (x2 * x));
    const E th = tanh(u);
    const E half1 = 0.5 * (1.0 + th);
    const E phi = x * half1;
    const E du = kSqrt2OverPi * (1.0 + 3.0 * kGeluTanhCubic * x2);
    return {phi, half1 + ((0.5 * x) * (1.0 - th * th)) * du};
  }
  // The same function as x sigmoid(2u) (0.5 (1 + tanh u) = sigmoid(2u)), so the left tail does not
  // cancel; phi' = sig + 2 x sig (1 - sig) u' with sig = sigmoid(2u)
  // (1 - tanh^2 u = 4 sig (1 - sig)).
  struct reference {
    template <class T>
    static T value(T x, T) {
      const T u = T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x * x * x);
      return x * stable_sigmoid(T(2) * u);
    }
    template <class T>
    static T derivative(T x, T) {
      const T u = T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x * x * x);
      const T du = T(kSqrt2OverPi) * (T(1) + T(3.0 * kGeluTanhCubic) * x * x);
      const T sig = stable_sigmoid(T(2) * u);
      return sig + T(2) * x * sig * (T(1) - sig) * du;
    }
  };
};

// tanh x; phi' = 1 - tanh^2 x.
struct Tanh : Defaults {
  template <Expr E>
  static Pair<E> emit(const E& x, double) {
    const E th = tanh(x);
    return {th, 1.0 - th * th};
  }
};

// x sigmoid(x); phi' = sigma (1 + x (1 - sigma)), sigma = sigmoid(x).
struct Silu : Defaults {
  template <Expr E>
  static Pair<E> emit(const E& x, double) {
    const E sg = sigmoid(x);
    return {x * sg, sg * (1.0 + x * (1.0 - sg))};
  }
};

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x, no cancellation for small;
// phi' = sigmoid(x).
struct Softplus : Defaults {
  template <Expr E>
  static Pair<E> emit(const E& x, double) {
    const E relu = select(gt(x, 0.0), x, 0.0);
    return {relu + log1p(exp(-1.0 * abs(x))), sigmoid(x)};
  }
};

// The vwm_rnn rate: (S/2) (1 + tanh v), v = 0.14 x - 4.2, S = rate;
// phi' = (S/2) 0.14 (1 - tanh^2 v).
struct Saturating {
  static constexpr std::optional<double> kink = std::nullopt;
  static constexpr Domain domain{10.0, 50.0, 30.0};  // centred at v = 0, x = 30
  template <Expr E>
  static Pair<E> emit(const E& x, double rate) {
    const E th = tanh(kSatSlope * x - kSatShift);
    return {0.5 * rate * (1.0 + th), 0.5 * rate * kSatSlope * (1.0 - th * th)};
  }
  // The same function as S sigmoid(2v): no cancellation where tanh v -> -1;
  // phi' = 0.28 S sig (1 - sig), sig = sigmoid(2v) (1 - tanh^2 v = 4 sig (1 - sig)).
  struct reference {
    template <class T>
    static T value(T x, T rate) {
      return rate * stable_sigmoid(T(2) * (T(kSatSlope) * x - T(kSatShift)));
    }
    template <class T>
    static T derivative(T x, T rate) {
      const T sig = stable_sigmoid(T(2) * (T(kSatSlope) * x - T(kSatShift)));
      return T(2) * rate * T(kSatSlope) * sig * (T(1) - sig);
    }
  };
};

// The vwm_rnn rate without saturation: 0.18 max(x - 10, 1e-10)^1.7; phi' = 0.18 * 1.7 (x - 10)^0.7
// where x - 10 > 1e-10, else 0 (the floor is constant).
struct PowerLaw {
  static constexpr std::optional<double> kink = kPowThreshold;
  static constexpr Domain domain{7.0, 14.0, 12.0};  // flat below 10
  template <Expr E>
  static Pair<E> emit(const E& x, double) {
    const E d = x - kPowThreshold;
    const E above = gt(d, kPowFloor);
    const E base = select(above, d, kPowFloor);
    return {kPowGain * pow(base, kPowExponent),
            select(above, kPowGain * kPowExponent * pow(base, kPowExponent - 1.0), 0.0)};
  }
};

// The logistic function 1 / (1 + e^-x); phi' = sigma (1 - sigma), sigma = phi(x).
struct Sigmoid : Defaults {
  template <Expr E>
  static Pair<E> emit(const E& x, double) {
    const E sg = sigmoid(x);
    return {sg, sg * (1.0 - sg)};
  }
};

// The rectified tanh max(0, tanh x) (tanh x > 0 exactly where x > 0); phi' = 1 - tanh^2 x for
// x > 0, else 0 (the subgradient at 0 is taken as 0).
struct Retanh : Defaults {
  static constexpr std::optional<double> kink = 0.0;
  template <Expr E>
  static Pair<E> emit(const E& x, double) {
    const E pos = gt(x, 0.0);
    const E th = tanh(x);
    return {select(pos, th, 0.0), select(pos, 1.0 - th * th, 0.0)};
  }
};

// Calls f(Def{}) with the definition of `a` and returns what it returns.
template <class F>
decltype(auto) visit(ir::Activation a, F&& f) {
  switch (a) {
#define RNNJIT_ACTIVATION(Enum, spec_name) \
  case ir::Activation::Enum:               \
    return f(Enum{});
#include "ir/activations.def"
#undef RNNJIT_ACTIVATION
  }
  throw std::logic_error("act::visit: unknown activation");
}

template <class Def>
concept HasReference = requires {
  typename Def::reference;
};

}  // namespace rnnjit::act

namespace rnnjit {

// {phi(x), phi'(x)} as the code generators emit them, evaluated on the host in T.
template <class T>
act::Pair<act::Num<T>> act_emitted(ir::Activation a, T x, double rate) {
  return act::visit(a, [&](auto def) { return decltype(def)::emit(act::Num<T>{x}, rate); });
}

// phi(x) of the float64 reference (T = double; the eager CPU benchmark reference runs it in float).
template <class T>
T act_forward(ir::Activation a, T x, T rate) {
  return act::visit(a, [&](auto def) -> T {
    using Def = decltype(def);
    if constexpr (act::HasReference<Def>)
      return Def::reference::value(x, rate);
    else
      return Def::emit(act::Num<T>{x}, static_cast<double>(rate)).phi.v;
  });
}

// phi'(x) of the float64 reference.
template <class T>
T act_derivative(ir::Activation a, T x, T rate) {
  return act::visit(a, [&](auto def) -> T {
    using Def = decltype(def);
    if constexpr (act::HasReference<Def>)
      return Def::reference::derivative(x, rate);
    else
      return Def::emit(act::Num<T>{x}, static_cast<double>(rate)).dphi.v;
  });
}

// Where phi' jumps, or nullopt for the smooth activations.
inline std::optional<double> act_kink(ir::Activation a) {
  return act::visit(a, [](auto def) { return decltype(def)::kink; });
}

// Where phi bends, and a bias that puts a cell's pre-activations there.
inline act::Domain act_domain(ir::Activation a) {
  return act::visit(a, [](auto def) { return decltype(def)::domain; });
}

}  // namespace rnnjit
