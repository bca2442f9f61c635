#include "compiler/cuda/cuda_plan.hpp"

#include <stdexcept>

namespace rnnjit::cuda {

using ir::OpKind;

namespace {

[[noreturn]] void unsupported(const ir::Module& m, const std::string& what) {
  throw std::runtime_error("CUDA backend: cell @" + m.name + ": " + what + " is not supported yet");
}

// Resolves one StackBank operand to its parameter, looking through a Dale mask.
BankPart bank_part(const ir::Module& m, int value, int64_t first) {
  BankPart part;
  part.first = first;
  const ir::Value& v = m.value(value);
  part.count = v.shape.size() == 3 ? v.shape[0].size : 1;
  int param = value;
  if (const ir::Op* def = m.producer(value)) {
    if (def->kind != OpKind::DaleMask)
      unsupported(m, "a bank operand produced by '" + std::string(ir::name(def->kind)) + "'");
    part.dale = true;
    part.excitatory = def->attrs.excitatory;
    param = def->operands[0];
  }
  if (m.value(param).role != ir::Role::Param)
    unsupported(m, "a bank operand that is not a parameter (%" + std::to_string(param) + ")");
  part.param = m.value(param).name;
  part.param_value = param;
  return part;
}

}  // namespace

CudaPlan plan_cuda(const ir::Module& m) {
  CudaPlan p;
  p.name = m.name;
  p.n = m.neurons;
  for (const ir::Value* g : m.with_role(ir::Role::GateIn)) {
    p.gates.push_back({g->name, g->id, g->shape[1].size, p.g});
    p.g += g->shape[1].size;
  }
  auto gate_offset = [&](int value) {
    for (auto& g : p.gates)
      if (g.value == value) return g.offset;
    unsupported(m, "a bank gate operand that is not a gate input");
  };

  bool seen_act = false, seen_leak = false, seen_z_user = false;
  int z = m.state_in;  // what the bank and the uniform term read: r_prev, or the noise's result
  for (const ir::Op& op : m.step) {
    switch (op.kind) {
      case OpKind::Noise:
        if (p.has_noise()) unsupported(m, "more than one spike noise");
        if (op.operands[0] != m.state_in)
          unsupported(m, "spike noise of something other than r_prev");
        // The kernels feed the draw to every bank and row-sum term, so none may come before it
        // reading r_prev itself (lower() always emits the noise first; hand-built IR may not).
        if (seen_z_user) unsupported(m, "spike noise after a term that reads r_prev");
        z = op.result;  // "none" noise: z = r_prev
        if (op.attrs.noise == ir::Noise::None) break;
        p.noise = op.attrs.noise;
        p.noise_factor = op.attrs.factor;
        p.noise_dt = op.attrs.dt;
        break;
      case OpKind::MatVec:
      case OpKind::GatedMatVec:
        unsupported(m,
                    "an unmerged '" + std::string(ir::name(op.kind)) + "' (run merge_bank first)");
      case OpKind::BankMatVec: {
        if (p.m > 0) unsupported(m, "more than one bank_matvec");
        if (op.operands[1] != z)
          unsupported(m, p.has_noise() ? "a bank applied to something other than the noisy rates"
                                       : "a bank applied to something other than r_prev");
        const ir::Op* stack = m.producer(op.operands[0]);
        if (!stack || stack->kind != OpKind::StackBank)
          unsupported(m, "a bank not built by 'stack'");
        int64_t first = 0;
        for (int v : stack->operands) {
          p.bank_parts.push_back(bank_part(m, v, first));
          first += p.bank_parts.back().count;
        }
        p.m = static_cast<int64_t>(op.attrs.slots.size());
        seen_z_user = true;
        if (first != p.m) unsupported(m, "a bank whose parts do not match its slots");
        for (const ir::BankSlot& s : op.attrs.slots) {
          SlotPlan sp{s.coef, -1};
          if (s.gate_operand >= 0)
            sp.gate_column = static_cast<int>(gate_offset(op.operands[s.gate_operand]) + s.channel);
          p.slots.push_back(sp);
        }
        break;
      }
      case OpKind::RowSum:
        if (op.operands[0] != z)
          unsupported(m, p.has_noise() ? "a rowsum of something other than the noisy rates"
                                       : "a rowsum of something other than r_prev");
        p.rowsum += op.attrs.value;
        seen_z_user = true;
        break;
      case OpKind::InputMatVec: {
        const ir::Value& w = m.value(op.operands[0]);
        const ir::Value& u = m.value(op.operands[1]);
        if (w.role != ir::Role::Param || u.role != ir::Role::InputIn)
          unsupported(m, "an input_matvec not of a parameter and an input");
        p.inputs.push_back({w.name, w.id, u.name, u.id, w.shape[1].size, p.i, op.attrs.scale});
        p.i += w.shape[1].size;
        break;
      }
      case OpKind::Add:
        break;  // the sum of the terms above; the kernels add them in one place
      case OpKind::AddBias: {
        const ir::Value& b = m.value(op.operands[1]);
        if (b.role != ir::Role::Param || !p.bias.empty())
          unsupported(m, "a bias that is not one parameter");
        p.bias = b.name;
        p.bias_value = b.id;
        break;
      }
      case OpKind::Act:
        if (seen_act) unsupported(m, "more than one activation");
        seen_act = true;
        p.activation = op.attrs.activation;
        p.rate = op.attrs.rate;
        break;
      case OpKind::Leak: {
        if (seen_leak || op.result != m.state_out || op.operands[0] != m.state_in)
          unsupported(m, "a leak other than r = leak(r_prev, phi)");
        const ir::Op* act = m.producer(op.operands[1]);
        if (!act || act->kind != OpKind::Act)
          unsupported(m, "a leak of something other than act(s)");
        seen_leak = true;
        if (op.operands.size() == 3) {
          const ir::Op* a = m.producer(op.operands[2]);
          if (!a || a->kind != OpKind::AlphaFromTau)
            unsupported(m, "a per-neuron alpha not computed from tau");
          p.alpha_vector = true;
          p.tau_value = a->operands[0];
          p.tau = m.value(p.tau_value).name;
          p.dt = a->attrs.dt;
        } else {
          p.alpha = op.attrs.alpha;
        }
        break;
      }
      default:
        unsupported(m, "step op '" + std::string(ir::name(op.kind)) + "'");
    }
  }
  if (!seen_act || !seen_leak) unsupported(m, "a step without act and leak");
  return p;
}

}  // namespace rnnjit::cuda
