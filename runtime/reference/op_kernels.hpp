// Per-op-kind forward and adjoint functions, dispatched by forward_op / adjoint_op (ops.cpp).
// Internal to the reference backend; see ops.hpp for the buffer layouts and the contract.
#pragma once

#include "runtime/reference/ops.hpp"

namespace rnnjit::reference::kernels {

using In = std::span<const Buffer* const>;
using Din = std::span<Buffer* const>;

#define RNNJIT_REFERENCE_OP(op_name)                                                              \
  void op_name##_forward(const ir::Op& op, In in, Buffer& out, const OpSizes& sz);                \
  void op_name##_adjoint(const ir::Op& op, In in, const Buffer& out, const Buffer& dout, Din din, \
                         const OpSizes& sz);

// ops_prologue.cpp
RNNJIT_REFERENCE_OP(dale_mask)
RNNJIT_REFERENCE_OP(alpha_from_tau)
RNNJIT_REFERENCE_OP(const_fill)
RNNJIT_REFERENCE_OP(stack_bank)
// ops_step.cpp
RNNJIT_REFERENCE_OP(noise)
RNNJIT_REFERENCE_OP(matvec)
RNNJIT_REFERENCE_OP(gated_matvec)
RNNJIT_REFERENCE_OP(bank_matvec)
RNNJIT_REFERENCE_OP(row_sum)
RNNJIT_REFERENCE_OP(input_matvec)
RNNJIT_REFERENCE_OP(add_bias)
RNNJIT_REFERENCE_OP(add)
RNNJIT_REFERENCE_OP(act)
RNNJIT_REFERENCE_OP(leak)

#undef RNNJIT_REFERENCE_OP

}  // namespace rnnjit::reference::kernels
