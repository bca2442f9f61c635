// The rnnjit IR: one recurrent cell as typed ops over symbolic shapes.
//
// A Module has values (SSA, each with a shape and a role) and two op lists:
//   prologue: ops evaluated once per run from the parameters (Dale masks, alpha from tau, the merged
//             weight bank, ...), and
//   step:     ops evaluated at every t = 1..T, reading the state r_{t-1} (value `state_in`) and
//             producing r_t (value `state_out`).
// Every op kind has a hand-written adjoint (vector-Jacobian product) in each backend; there is no
// automatic differentiation anywhere. The textual form is produced by print() and looks like
//   %5:[B,N=256] = matvec %3, %4 {scale=0.1}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/kinds.hpp"
#include "ir/shape.hpp"

namespace rnnjit::ir {

enum class Role {
  Param,      // a named parameter tensor (learned or fixed): Wo [N,N], Wa [K,N,N], B [N,I], bias [N]
  Buffer,     // a named non-learned tensor saved with the model: tau [N]
  StateIn,    // r_{t-1} [B,N] (r_0 on the first step: the run input "r0")
  GateIn,     // g_t [B,K] of a named gate input (the run input of that name is [B,T,K])
  InputIn,    // u_t [B,I] of a named input (the run input of that name is [B,T,I])
  Derived,    // computed by a prologue op
  Temp,       // computed by a step op
};

struct Value {
  int id = -1;
  std::string name;  // parameter / input name, or a readable temp name
  Shape shape;
  Role role = Role::Temp;
  bool learn = false;        // Param: has a gradient and is updated by the optimiser
  bool nonnegative = false;  // Param: projected to >= 0 after each optimiser step
};

enum class OpKind {
  // ---- prologue (parameter-level) ----
  DaleMask,      // (W[N,N]) -> W .* D, D[j] = +1 for j < excitatory else -1.        attr: excitatory
  AlphaFromTau,  // (tau[N]) -> dt / tau.                                             attr: dt
  ConstFill,     // () -> [N,N] filled with `value` (the uniform term before folding)  attr: value
  StackBank,     // (A[N,N] | A[K,N,N], ...) -> bank[M,N,N], operands stacked in order
  // ---- step ----
  Noise,         // (r[B,N]) -> z[B,N].  attrs: noise, factor, dt
  MatVec,        // (W[N,N], z[B,N]) -> scale * W z
  GatedMatVec,   // (W[K,N,N], g[B,K], z[B,N]) -> sum_k g_k W_k z
  BankMatVec,    // (bank[M,N,N], z[B,N], g_1[B,K_1], ...) -> sum_m coef_m(b) bank_m z, see slots
  RowSum,        // (z[B,N]) -> value * sum_j z_j, broadcast over i (the folded uniform term)
  InputMatVec,   // (W_in[N,I], u[B,I]) -> scale * W_in u
  AddBias,       // (s[B,N], bias[N]) -> s + bias
  Add,           // (a[B,N], b[B,N], ...) -> sum
  Act,           // (s[B,N]) -> phi(s).  attrs: activation, rate
  Leak,          // (r_prev[B,N], phi[B,N]) -> (1-alpha) r_prev + alpha phi; alpha = attr `alpha`
                 //   or, with a third operand alpha[N], per neuron
};

// One matrix of a merged bank: its coefficient is `coef` (a constant, e.g. a dense term's scale)
// or, when gate_operand >= 0, channel `channel` of the gate operand (an index into the op's operand
// list) times `coef`.
struct BankSlot {
  double coef = 1.0;
  int gate_operand = -1;
  int64_t channel = 0;
  bool operator==(const BankSlot&) const = default;
};

struct Attrs {
  double scale = 1.0;    // MatVec, InputMatVec
  double value = 0.0;    // ConstFill, RowSum
  double alpha = 1.0;    // Leak (scalar)
  double dt = 10.0;      // AlphaFromTau, Noise
  int64_t excitatory = 0;  // DaleMask: number of excitatory (leading) presynaptic neurons
  Activation activation = Activation::Relu;
  double rate = 60.0;    // Act (saturating)
  Noise noise = Noise::None;
  double factor = 0.0;   // Noise
  std::vector<BankSlot> slots;  // BankMatVec
};

struct Op {
  OpKind kind;
  std::vector<int> operands;  // value ids
  int result = -1;            // value id
  Attrs attrs;
};

struct Module {
  std::string name;
  int64_t neurons = 0;
  std::vector<Value> values;
  std::vector<Op> prologue;
  std::vector<Op> step;
  int state_in = -1;   // value id of r_{t-1}
  int state_out = -1;  // value id of r_t

  // Helpers used by the lowering and the passes.
  int add_value(std::string name, Shape shape, Role role);
  const Value& value(int id) const { return values.at(static_cast<size_t>(id)); }
  Value& value(int id) { return values.at(static_cast<size_t>(id)); }
  const Value* find(const std::string& name, Role role) const;
  std::vector<const Value*> with_role(Role role) const;
  // The op whose result is `id`, or nullptr for values no op defines (params, inputs).
  const Op* producer(int id) const;
};

std::string_view name(OpKind k);
std::string_view name(Role r);

// Textual form; verify() throws std::runtime_error with a message naming the op and the shapes
// that disagree.
std::string print(const Module& m);
void verify(const Module& m);

}  // namespace rnnjit::ir
