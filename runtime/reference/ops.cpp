// Dispatch from op kind to the kernels of ops_prologue.cpp and ops_step.cpp.
#include "runtime/reference/ops.hpp"

#include <stdexcept>
#include <string>

#include "runtime/reference/op_kernels.hpp"

namespace rnnjit::reference {

bool is_prologue_op(ir::OpKind k) {
  return k == ir::OpKind::DaleMask || k == ir::OpKind::AlphaFromTau || k == ir::OpKind::ConstFill ||
         k == ir::OpKind::StackBank;
}

void forward_op(const ir::Op& op, std::span<const Buffer* const> in, Buffer& out,
                const OpSizes& sz) {
  using K = ir::OpKind;
  switch (op.kind) {
    case K::DaleMask:
      return kernels::dale_mask_forward(op, in, out, sz);
    case K::AlphaFromTau:
      return kernels::alpha_from_tau_forward(op, in, out, sz);
    case K::ConstFill:
      return kernels::const_fill_forward(op, in, out, sz);
    case K::StackBank:
      return kernels::stack_bank_forward(op, in, out, sz);
    case K::Noise:
      return kernels::noise_forward(op, in, out, sz);
    case K::MatVec:
      return kernels::matvec_forward(op, in, out, sz);
    case K::GatedMatVec:
      return kernels::gated_matvec_forward(op, in, out, sz);
    case K::BankMatVec:
      return kernels::bank_matvec_forward(op, in, out, sz);
    case K::RowSum:
      return kernels::row_sum_forward(op, in, out, sz);
    case K::InputMatVec:
      return kernels::input_matvec_forward(op, in, out, sz);
    case K::AddBias:
      return kernels::add_bias_forward(op, in, out, sz);
    case K::Add:
      return kernels::add_forward(op, in, out, sz);
    case K::Act:
      return kernels::act_forward(op, in, out, sz);
    case K::Leak:
      return kernels::leak_forward(op, in, out, sz);
  }
  throw std::logic_error("reference backend: unknown op kind " +
                         std::to_string(static_cast<int>(op.kind)));
}

void adjoint_op(const ir::Op& op, std::span<const Buffer* const> in, const Buffer& out,
                const Buffer& dout, std::span<Buffer* const> din, const OpSizes& sz) {
  using K = ir::OpKind;
  switch (op.kind) {
    case K::DaleMask:
      return kernels::dale_mask_adjoint(op, in, out, dout, din, sz);
    case K::AlphaFromTau:
      return kernels::alpha_from_tau_adjoint(op, in, out, dout, din, sz);
    case K::ConstFill:
      return kernels::const_fill_adjoint(op, in, out, dout, din, sz);
    case K::StackBank:
      return kernels::stack_bank_adjoint(op, in, out, dout, din, sz);
    case K::Noise:
      return kernels::noise_adjoint(op, in, out, dout, din, sz);
    case K::MatVec:
      return kernels::matvec_adjoint(op, in, out, dout, din, sz);
    case K::GatedMatVec:
      return kernels::gated_matvec_adjoint(op, in, out, dout, din, sz);
    case K::BankMatVec:
      return kernels::bank_matvec_adjoint(op, in, out, dout, din, sz);
    case K::RowSum:
      return kernels::row_sum_adjoint(op, in, out, dout, din, sz);
    case K::InputMatVec:
      return kernels::input_matvec_adjoint(op, in, out, dout, din, sz);
    case K::AddBias:
      return kernels::add_bias_adjoint(op, in, out, dout, din, sz);
    case K::Add:
      return kernels::add_adjoint(op, in, out, dout, din, sz);
    case K::Act:
      return kernels::act_adjoint(op, in, out, dout, din, sz);
    case K::Leak:
      return kernels::leak_adjoint(op, in, out, dout, din, sz);
  }
  throw std::logic_error("reference backend: unknown op kind " +
                         std::to_string(static_cast<int>(op.kind)));
}

}  // namespace rnnjit::reference
