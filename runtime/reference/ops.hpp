// The float64 reference semantics of every IR op, and its hand-written vector-Jacobian product.
//
// One function pair per op kind lives in ops_prologue.cpp (parameter-level ops) and ops_step.cpp
// (per-step ops), forward and adjoint side by side so each can be read against the other. The
// interpreter (reference_executor.cpp) only moves buffers around and calls these two entry points.
//
// Buffers are flat row-major float64 arrays in the value's layout: [B,N] (b*N + i), [N,N] (i*N + j,
// i postsynaptic, j presynaptic), [K,N,N] (k*N*N + i*N + j), [B,K] (b*K + k), [N,I] (i*I + k), [N].
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ir/module.hpp"

namespace rnnjit::reference {

using Buffer = std::vector<double>;

// What an op needs beyond its operands. The last three matter only to the Noise op: its draws are
// a pure function of (noise_seed, stream, step, b, i), and its forward writes dz/dr into *saved
// (when non-null) so that the adjoint reuses it; an adjoint given no saved slope (null or wrongly
// sized) regenerates it from the same counters, which gives the same numbers.
struct OpSizes {
  int64_t batch = 0;        // B
  int64_t neurons = 0;      // N
  int64_t step = 0;         // t, 0-based index of the step being evaluated (0..T-1)
  uint64_t noise_seed = 0;  // RunOptions::noise_seed
  Buffer* saved = nullptr;  // per-(op, step) scratch the forward may fill for its adjoint
};

// Evaluates `op` on its operand values (in[k] is the value of op.operands[k]) and writes the result
// to `out`, which is resized here.
void forward_op(const ir::Op& op, std::span<const Buffer* const> in, Buffer& out,
                const OpSizes& sz);

// Adjoint of forward_op: given dout = dL/d(result), ADDS dL/d(operand k) into *din[k] (sized like
// in[k]; several entries may point at one buffer when an operand repeats, which accumulation
// handles). `out` is the value forward_op produced.
void adjoint_op(const ir::Op& op, std::span<const Buffer* const> in, const Buffer& out,
                const Buffer& dout, std::span<Buffer* const> din, const OpSizes& sz);

// True for the op kinds that belong in the prologue (evaluated once from the parameters).
bool is_prologue_op(ir::OpKind k);

}  // namespace rnnjit::reference
