// Step ops (evaluated at every t) and their adjoints. Notation of DESIGN.md section 3: z are the
// presynaptic rates [B,N], W[i][j] maps presynaptic j to postsynaptic i, so (W z)_i = sum_j W[i][j]
// z_j.
#include <stdexcept>
#include <string>

#include "compiler/activation_table.hpp"
#include "compiler/noise_kind.hpp"
#include "math/noise_math.hpp"
#include "runtime/reference/op_kernels.hpp"

namespace rnnjit::reference::kernels {

namespace {

// Width of a per-trial row (K of a [B,K] gate, I of a [B,I] input); 0 when there are no trials.
int64_t row_width(const Buffer& v, int64_t batch) {
  return batch > 0 ? static_cast<int64_t>(v.size()) / batch : 0;
}

// out_b += c * W z_b for one trial, W [N,N] at w.
void add_matvec(const double* w, const double* z, double c, double* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double acc = 0.0;
    for (int64_t j = 0; j < n; ++j) acc += w[i * n + j] * z[j];
    out[i] += c * acc;
  }
}

// The adjoint pieces of y = c * W z for one trial with cotangent dy:
//   dW[i][j] += c dy_i z_j,   dz_j += c sum_i W[i][j] dy_i.
void add_matvec_adjoint(const double* w, const double* z, double c, const double* dy, double* dw,
                        double* dz, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      dw[i * n + j] += c * dy[i] * z[j];
      dz[j] += c * w[i * n + j] * dy[i];
    }
}

// dy . (W z) for one trial: the derivative of y = c W z with respect to c.
double dot_matvec(const double* w, const double* z, const double* dy, int64_t n) {
  double acc = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double wz = 0.0;
    for (int64_t j = 0; j < n; ++j) wz += w[i * n + j] * z[j];
    acc += dy[i] * wz;
  }
  return acc;
}

}  // namespace

// ---- Noise: spike noise on the presynaptic rates ----------------------------------------------

// z = nu(r_prev), drawn elementwise by noise::spike_noise on the recurrent stream with the counter
// (noise_seed, kStreamRecurrent, t = sz.step, b, i): step t (0-based) is the one producing r_{t+1}
// from r_t, so its draw perturbs the rates r_t of the previous step. The draw is a deterministic,
// almost everywhere differentiable function of r at a fixed seed, and dz/dr is its pathwise
// (implicit reparametrisation, for gamma) derivative.

namespace {

void draw_noise(const ir::Op& op, const Buffer& r, Buffer& z, Buffer& dz_dr, const OpSizes& sz) {
  const int64_t count = sz.batch * sz.neurons;
  if (static_cast<int64_t>(r.size()) != count)
    throw std::logic_error("reference backend: noise operand has " + std::to_string(r.size()) +
                           " entries but B*N is " + std::to_string(count));
  z.resize(static_cast<size_t>(count));
  dz_dr.resize(static_cast<size_t>(count));
  noise::spike_noise_step<double>(
      noise::to_noise_kind(op.attrs.noise), r.data(), z.data(), dz_dr.data(),
      static_cast<int>(sz.batch), static_cast<int>(sz.neurons), op.attrs.factor, op.attrs.dt,
      sz.noise_seed, noise::kStreamRecurrent, static_cast<noise::u32>(sz.step));
}

}  // namespace

void noise_forward(const ir::Op& op, In in, Buffer& out, const OpSizes& sz) {
  Buffer local;
  draw_noise(op, *in[0], out, sz.saved ? *sz.saved : local, sz);
}

// dr_prev += dz/dr .* dz.
void noise_adjoint(const ir::Op& op, In in, const Buffer&, const Buffer& dout, Din din,
                   const OpSizes& sz) {
  Buffer regenerated_z, regenerated_slope;
  const Buffer* slope = sz.saved;
  if (!slope || slope->size() != dout.size()) {
    draw_noise(op, *in[0], regenerated_z, regenerated_slope, sz);
    slope = &regenerated_slope;
  }
  Buffer& dr = *din[0];
  for (size_t k = 0; k < dout.size(); ++k) dr[k] += (*slope)[k] * dout[k];
}

// ---- MatVec: y_b = scale * W z_b ----------------------------------------------------------------

void matvec_forward(const ir::Op& op, In in, Buffer& out, const OpSizes& sz) {
  const Buffer &w = *in[0], &z = *in[1];
  const int64_t n = sz.neurons;
  out.assign(static_cast<size_t>(sz.batch * n), 0.0);
  for (int64_t b = 0; b < sz.batch; ++b)
    add_matvec(w.data(), &z[b * n], op.attrs.scale, &out[b * n], n);
}

// dW += scale sum_b dy_b z_b^T,  dz_b += scale W^T dy_b.
void matvec_adjoint(const ir::Op& op, In in, const Buffer&, const Buffer& dout, Din din,
                    const OpSizes& sz) {
  const Buffer &w = *in[0], &z = *in[1];
  const int64_t n = sz.neurons;
  for (int64_t b = 0; b < sz.batch; ++b)
    add_matvec_adjoint(w.data(), &z[b * n], op.attrs.scale, &dout[b * n], din[0]->data(),
                       &(*din[1])[b * n], n);
}

// ---- GatedMatVec: y_b = sum_k g[b][k] W_k z_b ---------------------------------------------------

void gated_matvec_forward(const ir::Op&, In in, Buffer& out, const OpSizes& sz) {
  const Buffer &w = *in[0], &g = *in[1], &z = *in[2];
  const int64_t n = sz.neurons, k_count = row_width(g, sz.batch);
  out.assign(static_cast<size_t>(sz.batch * n), 0.0);
  for (int64_t b = 0; b < sz.batch; ++b)
    for (int64_t k = 0; k < k_count; ++k)
      add_matvec(&w[k * n * n], &z[b * n], g[b * k_count + k], &out[b * n], n);
}

// dW_k += sum_b g[b][k] dy_b z_b^T,  dg[b][k] += dy_b . (W_k z_b),  dz_b += sum_k g[b][k] W_k^T
// dy_b.
void gated_matvec_adjoint(const ir::Op&, In in, const Buffer&, const Buffer& dout, Din din,
                          const OpSizes& sz) {
  const Buffer &w = *in[0], &g = *in[1], &z = *in[2];
  const int64_t n = sz.neurons, k_count = row_width(g, sz.batch);
  for (int64_t b = 0; b < sz.batch; ++b)
    for (int64_t k = 0; k < k_count; ++k) {
      (*din[1])[b * k_count + k] += dot_matvec(&w[k * n * n], &z[b * n], &dout[b * n], n);
      add_matvec_adjoint(&w[k * n * n], &z[b * n], g[b * k_count + k], &dout[b * n],
                         &(*din[0])[k * n * n], &(*din[2])[b * n], n);
    }
}

// ---- BankMatVec: y_b = sum_m c_m(b) bank_m z_b ------------------------------------------------
// c_m(b) = slot.coef, times g[b][slot.channel] of operand slot.gate_operand when that is >= 0.

namespace {

double slot_coef(const ir::BankSlot& slot, In in, int64_t b, int64_t batch) {
  if (slot.gate_operand < 0) return slot.coef;
  const Buffer& g = *in[static_cast<size_t>(slot.gate_operand)];
  return slot.coef * g[b * row_width(g, batch) + slot.channel];
}

}  // namespace

void bank_matvec_forward(const ir::Op& op, In in, Buffer& out, const OpSizes& sz) {
  const Buffer &bank = *in[0], &z = *in[1];
  const int64_t n = sz.neurons;
  out.assign(static_cast<size_t>(sz.batch * n), 0.0);
  for (int64_t b = 0; b < sz.batch; ++b)
    for (size_t m = 0; m < op.attrs.slots.size(); ++m)
      add_matvec(&bank[m * n * n], &z[b * n], slot_coef(op.attrs.slots[m], in, b, sz.batch),
                 &out[b * n], n);
}

// dbank_m += sum_b c_m(b) dy_b z_b^T,  dz_b += sum_m c_m(b) bank_m^T dy_b, and for a gated slot
// dg[b][channel] += coef * dy_b . (bank_m z_b).
void bank_matvec_adjoint(const ir::Op& op, In in, const Buffer&, const Buffer& dout, Din din,
                         const OpSizes& sz) {
  const Buffer &bank = *in[0], &z = *in[1];
  const int64_t n = sz.neurons;
  for (int64_t b = 0; b < sz.batch; ++b)
    for (size_t m = 0; m < op.attrs.slots.size(); ++m) {
      const ir::BankSlot& slot = op.attrs.slots[m];
      if (slot.gate_operand >= 0) {
        Buffer& dg = *din[static_cast<size_t>(slot.gate_operand)];
        dg[b * row_width(dg, sz.batch) + slot.channel] +=
            slot.coef * dot_matvec(&bank[m * n * n], &z[b * n], &dout[b * n], n);
      }
      add_matvec_adjoint(&bank[m * n * n], &z[b * n], slot_coef(slot, in, b, sz.batch),
                         &dout[b * n], &(*din[0])[m * n * n], &(*din[1])[b * n], n);
    }
}

// ---- RowSum: y_b[i] = value * sum_j z_b[j] for every i (the folded uniform term) ---------------

void row_sum_forward(const ir::Op& op, In in, Buffer& out, const OpSizes& sz) {
  const Buffer& z = *in[0];
  const int64_t n = sz.neurons;
  out.assign(static_cast<size_t>(sz.batch * n), 0.0);
  for (int64_t b = 0; b < sz.batch; ++b) {
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) sum += z[b * n + j];
    for (int64_t i = 0; i < n; ++i) out[b * n + i] = op.attrs.value * sum;
  }
}

// dz_b[j] += value * sum_i dy_b[i], the same for every j.
void row_sum_adjoint(const ir::Op& op, In, const Buffer&, const Buffer& dout, Din din,
                     const OpSizes& sz) {
  const int64_t n = sz.neurons;
  for (int64_t b = 0; b < sz.batch; ++b) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += dout[b * n + i];
    for (int64_t j = 0; j < n; ++j) (*din[0])[b * n + j] += op.attrs.value * sum;
  }
}

// ---- InputMatVec: y_b[i] = scale * sum_k W_in[i][k] u_b[k], W_in [N,I] --------------------------

void input_matvec_forward(const ir::Op& op, In in, Buffer& out, const OpSizes& sz) {
  const Buffer &w = *in[0], &u = *in[1];
  const int64_t n = sz.neurons, width = static_cast<int64_t>(w.size()) / n;
  out.assign(static_cast<size_t>(sz.batch * n), 0.0);
  for (int64_t b = 0; b < sz.batch; ++b)
    for (int64_t i = 0; i < n; ++i) {
      double acc = 0.0;
      for (int64_t k = 0; k < width; ++k) acc += w[i * width + k] * u[b * width + k];
      out[b * n + i] = op.attrs.scale * acc;
    }
}

// dW_in[i][k] += scale sum_b dy_b[i] u_b[k],  du_b[k] += scale sum_i W_in[i][k] dy_b[i].
void input_matvec_adjoint(const ir::Op& op, In in, const Buffer&, const Buffer& dout, Din din,
                          const OpSizes& sz) {
  const Buffer &w = *in[0], &u = *in[1];
  const int64_t n = sz.neurons, width = static_cast<int64_t>(w.size()) / n;
  const double c = op.attrs.scale;
  for (int64_t b = 0; b < sz.batch; ++b)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < width; ++k) {
        (*din[0])[i * width + k] += c * dout[b * n + i] * u[b * width + k];
        (*din[1])[b * width + k] += c * w[i * width + k] * dout[b * n + i];
      }
}

// ---- AddBias: y_b = s_b + bias -----------------------------------------------------------------

void add_bias_forward(const ir::Op&, In in, Buffer& out, const OpSizes& sz) {
  const Buffer &s = *in[0], &bias = *in[1];
  const int64_t n = sz.neurons;
  out.resize(s.size());
  for (int64_t b = 0; b < sz.batch; ++b)
    for (int64_t i = 0; i < n; ++i) out[b * n + i] = s[b * n + i] + bias[i];
}

// ds += dy,  dbias += sum_b dy_b.
void add_bias_adjoint(const ir::Op&, In, const Buffer&, const Buffer& dout, Din din,
                      const OpSizes& sz) {
  const int64_t n = sz.neurons;
  for (int64_t b = 0; b < sz.batch; ++b)
    for (int64_t i = 0; i < n; ++i) {
      (*din[0])[b * n + i] += dout[b * n + i];
      (*din[1])[i] += dout[b * n + i];
    }
}

// ---- Add: y = sum of the operands ---------------------------------------------------------------

void add_forward(const ir::Op&, In in, Buffer& out, const OpSizes&) {
  out.assign(in[0]->size(), 0.0);
  for (const Buffer* a : in)
    for (size_t e = 0; e < out.size(); ++e) out[e] += (*a)[e];
}

// Every summand receives dy.
void add_adjoint(const ir::Op&, In, const Buffer&, const Buffer& dout, Din din, const OpSizes&) {
  for (Buffer* d : din)
    for (size_t e = 0; e < dout.size(); ++e) (*d)[e] += dout[e];
}

// ---- Act: y = phi(s), elementwise
// ----------------------------------------------------------------

void act_forward(const ir::Op& op, In in, Buffer& out, const OpSizes&) {
  const Buffer& s = *in[0];
  out.resize(s.size());
  for (size_t e = 0; e < s.size(); ++e)
    out[e] = rnnjit::act_forward<double>(op.attrs.activation, s[e], op.attrs.rate);
}

// ds = phi'(s) .* dy.
void act_adjoint(const ir::Op& op, In in, const Buffer&, const Buffer& dout, Din din,
                 const OpSizes&) {
  const Buffer& s = *in[0];
  for (size_t e = 0; e < s.size(); ++e)
    (*din[0])[e] +=
        rnnjit::act_derivative<double>(op.attrs.activation, s[e], op.attrs.rate) * dout[e];
}

// ---- Leak: y = (1 - alpha) r_prev + alpha phi, alpha the attr or a per-neuron operand [N] ------

namespace {

double leak_alpha(const ir::Op& op, In in, int64_t i) {
  return in.size() == 3 ? (*in[2])[i] : op.attrs.alpha;
}

}  // namespace

void leak_forward(const ir::Op& op, In in, Buffer& out, const OpSizes& sz) {
  const Buffer &r = *in[0], &phi = *in[1];
  const int64_t n = sz.neurons;
  out.resize(r.size());
  for (int64_t b = 0; b < sz.batch; ++b)
    for (int64_t i = 0; i < n; ++i) {
      const double a = leak_alpha(op, in, i);
      out[b * n + i] = (1.0 - a) * r[b * n + i] + a * phi[b * n + i];
    }
}

// dr_prev += (1 - alpha) dy,  dphi += alpha dy,  dalpha_i += sum_b dy_b[i] (phi - r_prev)_b[i].
void leak_adjoint(const ir::Op& op, In in, const Buffer&, const Buffer& dout, Din din,
                  const OpSizes& sz) {
  const Buffer &r = *in[0], &phi = *in[1];
  const int64_t n = sz.neurons;
  for (int64_t b = 0; b < sz.batch; ++b)
    for (int64_t i = 0; i < n; ++i) {
      const int64_t e = b * n + i;
      const double a = leak_alpha(op, in, i);
      (*din[0])[e] += (1.0 - a) * dout[e];
      (*din[1])[e] += a * dout[e];
      if (in.size() == 3) (*din[2])[i] += dout[e] * (phi[e] - r[e]);
    }
}

}  // namespace rnnjit::reference::kernels
