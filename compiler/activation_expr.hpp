// The small expression language the activations of compiler/activation_table.hpp are written in.
//
// An activation is a function template over an expression type E: it builds phi(x) and phi'(x)
// from its argument x with +, -, *, / (between expressions, or an expression and a double constant)
// and these primitives:
//   exp(a)  tanh(a)  erf(a)  log1p(a)  pow(a, k)  abs(a)  sigmoid(a)
//   gt(a, b)               the condition a > b (an expression of the same type)
//   select(c, a, b)        c ? a : b (both sides are evaluated: no primitive has side effects)
// Constants are doubles, computed in double by the activation (0.5 * rate) and rounded once to the
// element type where they meet an expression.
//
// Each backend maps every primitive once, in one expression type:
//   Num<T>      here: evaluates on the host in T (the float64 reference; in float, the host twins
//               of the generated kernels)
//   Uses        here: records which primitives an activation needs
//   compiler/cpu/cpu_math_ir.cpp     LLVM IR on whole vectors (IRBuilder calls)
//   compiler/cuda/cuda_codegen.cpp   CUDA C++ text
// A new primitive is one more member function in each of them.
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>

namespace rnnjit::act {

// {phi(x), phi'(x)} of one activation, in the expression type E.
template <class E>
struct Pair {
  E phi, dphi;
};

// An expression type: constants in its own context, the four operations, the primitives above.
template <class E>
concept Expr = requires(const E& a, double k) {
  { a.constant(k) } -> std::same_as<E>;
  { a.add(a) } -> std::same_as<E>;
  { a.sub(a) } -> std::same_as<E>;
  { a.mul(a) } -> std::same_as<E>;
  { a.div(a) } -> std::same_as<E>;
  { a.exp() } -> std::same_as<E>;
  { a.tanh() } -> std::same_as<E>;
  { a.erf() } -> std::same_as<E>;
  { a.log1p() } -> std::same_as<E>;
  { a.pow(k) } -> std::same_as<E>;
  { a.abs() } -> std::same_as<E>;
  { a.sigmoid() } -> std::same_as<E>;
  { a.gt(a) } -> std::same_as<E>;
  { a.select(a, a) } -> std::same_as<E>;
};

// clang-format off
template <Expr E> E operator+(const E& a, const E& b) { return a.add(b); }
template <Expr E> E operator-(const E& a, const E& b) { return a.sub(b); }
template <Expr E> E operator*(const E& a, const E& b) { return a.mul(b); }
template <Expr E> E operator/(const E& a, const E& b) { return a.div(b); }
template <Expr E> E operator+(const E& a, double k) { return a.add(a.constant(k)); }
template <Expr E> E operator-(const E& a, double k) { return a.sub(a.constant(k)); }
template <Expr E> E operator*(const E& a, double k) { return a.mul(a.constant(k)); }
template <Expr E> E operator/(const E& a, double k) { return a.div(a.constant(k)); }
template <Expr E> E operator+(double k, const E& a) { return a.constant(k).add(a); }
template <Expr E> E operator-(double k, const E& a) { return a.constant(k).sub(a); }
template <Expr E> E operator*(double k, const E& a) { return a.constant(k).mul(a); }
template <Expr E> E operator/(double k, const E& a) { return a.constant(k).div(a); }

template <Expr E> E exp(const E& a) { return a.exp(); }
template <Expr E> E tanh(const E& a) { return a.tanh(); }
template <Expr E> E erf(const E& a) { return a.erf(); }
template <Expr E> E log1p(const E& a) { return a.log1p(); }
template <Expr E> E pow(const E& a, double k) { return a.pow(k); }
template <Expr E> E abs(const E& a) { return a.abs(); }
template <Expr E> E sigmoid(const E& a) { return a.sigmoid(); }
template <Expr E> E gt(const E& a, const E& b) { return a.gt(b); }
template <Expr E> E gt(const E& a, double k) { return a.gt(a.constant(k)); }
template <Expr E> E select(const E& c, const E& a, const E& b) { return c.select(a, b); }
template <Expr E> E select(const E& c, const E& a, double k) { return c.select(a, c.constant(k)); }
template <Expr E> E select(const E& c, double k, const E& b) { return c.select(c.constant(k), b); }
template <Expr E> E select(const E& c, double k, double l) {
  return c.select(c.constant(k), c.constant(l));
}
// clang-format on

// Host evaluation in T (double: the float64 reference; float: the kernels' host twins). A condition
// is a Num whose `holds` is set.
template <class T>
struct Num {
  T v{};
  bool holds = false;

  Num constant(double k) const { return {static_cast<T>(k)}; }
  Num add(const Num& b) const { return {v + b.v}; }
  Num sub(const Num& b) const { return {v - b.v}; }
  Num mul(const Num& b) const { return {v * b.v}; }
  Num div(const Num& b) const { return {v / b.v}; }
  Num exp() const { return {std::exp(v)}; }
  Num tanh() const { return {std::tanh(v)}; }
  Num erf() const { return {std::erf(v)}; }
  Num log1p() const { return {std::log1p(v)}; }
  Num pow(double k) const { return {std::pow(v, static_cast<T>(k))}; }
  Num abs() const { return {std::abs(v)}; }
  // The logistic function without overflow for large |x|: with e = e^-|x|, 1 / (1 + e) for
  // x >= 0 and e / (1 + e) below (e^x / (1 + e^x) with e^x = e there).
  Num sigmoid() const {
    const T e = std::exp(T(-1) * std::abs(v));
    return {v >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e)};
  }
  Num gt(const Num& b) const { return {T(0), v > b.v}; }
  Num select(const Num& a, const Num& b) const { return holds ? a : b; }
};

// Which primitives an activation uses (one bit per primitive, `bits`): evaluated once per
// activation by the backends that map some primitive differently (the CPU backend computes an fp32
// kernel's log1p and pow in double).
enum Primitive : uint32_t {
  kExp = 1u << 0,
  kTanh = 1u << 1,
  kErf = 1u << 2,
  kLog1p = 1u << 3,
  kPow = 1u << 4,
  kAbs = 1u << 5,
  kSigmoid = 1u << 6,
};

struct Uses {
  uint32_t* bits = nullptr;

  Uses with(uint32_t p) const {
    *bits |= p;
    return *this;
  }
  Uses constant(double) const { return *this; }
  Uses add(const Uses&) const { return *this; }
  Uses sub(const Uses&) const { return *this; }
  Uses mul(const Uses&) const { return *this; }
  Uses div(const Uses&) const { return *this; }
  Uses exp() const { return with(kExp); }
  Uses tanh() const { return with(kTanh); }
  Uses erf() const { return with(kErf); }
  Uses log1p() const { return with(kLog1p); }
  Uses pow(double) const { return with(kPow); }
  Uses abs() const { return with(kAbs); }
  Uses sigmoid() const { return with(kSigmoid); }
  Uses gt(const Uses&) const { return *this; }
  Uses select(const Uses&, const Uses&) const { return *this; }
};

}  // namespace rnnjit::act
