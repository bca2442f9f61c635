// Prologue ops (evaluated once per run from the parameters) and their adjoints.
#include "runtime/reference/op_kernels.hpp"

namespace rnnjit::reference::kernels {

// ---- DaleMask: W_eff[i][j] = W[i][j] * D[j], D[j] = +1 for j < excitatory, -1 otherwise --------
// D multiplies columns: the sign belongs to the presynaptic neuron j.

static double dale_sign(int64_t j, int64_t excitatory) {
  return j < excitatory ? 1.0 : -1.0;
}

void dale_mask_forward(const ir::Op& op, In in, Buffer& out, const OpSizes& sz) {
  const Buffer& w = *in[0];
  const int64_t n = sz.neurons;
  out.assign(w.size(), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      out[i * n + j] = w[i * n + j] * dale_sign(j, op.attrs.excitatory);
}

// dL/dW = dL/dW_eff .* D (D is its own inverse and constant).
void dale_mask_adjoint(const ir::Op& op, In, const Buffer&, const Buffer& dout, Din din,
                       const OpSizes& sz) {
  Buffer& dw = *din[0];
  const int64_t n = sz.neurons;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      dw[i * n + j] += dout[i * n + j] * dale_sign(j, op.attrs.excitatory);
}

// ---- AlphaFromTau: alpha_i = dt / tau_i -----------------------------------------------------

void alpha_from_tau_forward(const ir::Op& op, In in, Buffer& out, const OpSizes&) {
  const Buffer& tau = *in[0];
  out.resize(tau.size());
  for (size_t i = 0; i < tau.size(); ++i) out[i] = op.attrs.dt / tau[i];
}

// d alpha_i / d tau_i = -dt / tau_i^2.
void alpha_from_tau_adjoint(const ir::Op& op, In in, const Buffer&, const Buffer& dout, Din din,
                            const OpSizes&) {
  const Buffer& tau = *in[0];
  Buffer& dtau = *din[0];
  for (size_t i = 0; i < tau.size(); ++i) dtau[i] += -op.attrs.dt / (tau[i] * tau[i]) * dout[i];
}

// ---- ConstFill: an [N,N] matrix filled with `value` (the unfolded uniform term) --------------

void const_fill_forward(const ir::Op& op, In, Buffer& out, const OpSizes& sz) {
  out.assign(static_cast<size_t>(sz.neurons * sz.neurons), op.attrs.value);
}

// No operands, nothing to propagate.
void const_fill_adjoint(const ir::Op&, In, const Buffer&, const Buffer&, Din, const OpSizes&) {}

// ---- StackBank: bank[M,N,N] = the operands ([N,N] or [K,N,N]) stacked in order ----------------
// Row-major layouts make this a concatenation, and its adjoint a split.

void stack_bank_forward(const ir::Op&, In in, Buffer& out, const OpSizes&) {
  out.clear();
  for (const Buffer* part : in) out.insert(out.end(), part->begin(), part->end());
}

void stack_bank_adjoint(const ir::Op&, In in, const Buffer&, const Buffer& dout, Din din,
                        const OpSizes&) {
  size_t offset = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    Buffer& d = *din[k];
    for (size_t e = 0; e < in[k]->size(); ++e) d[e] += dout[offset + e];
    offset += in[k]->size();
  }
}

}  // namespace rnnjit::reference::kernels
