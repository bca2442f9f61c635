#include "compiler/cpu/cpu_plan.hpp"

#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "compiler/cpu/cpu_abi.hpp"

namespace rnnjit::cpu {
namespace {

[[noreturn]] void unsupported(const ir::Module& m, const ir::Op& op, const std::string& why) {
  throw std::runtime_error("cpu backend: op %" + std::to_string(op.result) + " = " +
                           std::string(ir::name(op.kind)) + " in cell @" + m.name + ": " + why);
}

std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

}  // namespace

CpuPlan analyse_cpu_cell(const ir::Module& m) {
  CpuPlan p;
  p.n = m.neurons;
  // Which value feeds the activation: s = sum of contributions (+ bias).
  std::map<int, const ir::Op*> def;
  for (auto& op : m.step) def[op.result] = &op;
  // The presynaptic rates the bank and the rowsums read: r_{t-1}, or z_t = nu(r_{t-1}).
  int presyn = m.state_in;
  std::set<int> used;
  for (auto& op : m.step) {
    if (op.kind != ir::OpKind::Noise) continue;
    if (p.has_noise()) unsupported(m, op, "more than one noise op");
    if (op.operands.at(0) != m.state_in) unsupported(m, op, "noise must read the previous state");
    p.noise = op.attrs.noise;
    p.noise_factor = op.attrs.factor;
    p.noise_dt = op.attrs.dt;
    presyn = op.result;
    used.insert(op.result);
  }
  const ir::Op* leak = def.at(m.state_out);
  if (leak->operands[0] != m.state_in) unsupported(m, *leak, "leak must read the previous state");
  const ir::Op* act = def.count(leak->operands[1]) ? def.at(leak->operands[1]) : nullptr;
  if (!act || act->kind != ir::OpKind::Act) unsupported(m, *leak, "leak must read an act op");
  p.act = act->attrs.activation;
  p.rate = act->attrs.rate;
  if (leak->operands.size() == 3) {
    p.alpha_vector = true;
    p.alpha_value = leak->operands[2];
  } else {
    p.alpha = leak->attrs.alpha;
  }

  // Walk s back through add_bias and add to the contribution ops.
  int s = act->operands[0];
  std::vector<int> contributions;
  used.insert({m.state_out, leak->operands[1]});
  if (def.count(s) && def.at(s)->kind == ir::OpKind::AddBias) {
    const ir::Op* ab = def.at(s);
    p.has_bias = true;
    p.bias_name = m.value(ab->operands[1]).name;
    used.insert(s);
    s = ab->operands[0];
  }
  if (def.count(s) && def.at(s)->kind == ir::OpKind::Add) {
    used.insert(s);
    contributions = def.at(s)->operands;
  } else {
    contributions = {s};
  }
  for (int c : contributions) {
    if (!def.count(c))
      throw std::runtime_error("cpu backend: pre-activation reads a non-step value");
    const ir::Op& op = *def.at(c);
    used.insert(c);
    switch (op.kind) {
      case ir::OpKind::BankMatVec: {
        if (p.bank_value >= 0) unsupported(m, op, "more than one bank");
        if (op.operands[1] != presyn)
          unsupported(m, op, "bank must read the (noisy) previous state");
        p.bank_value = op.operands[0];
        std::map<int, int> gate_index;  // operand position -> CpuPlan::gates index
        for (auto& sl : op.attrs.slots) {
          BankSlotPlan bs;
          bs.coef = sl.coef;
          bs.channel = sl.channel;
          if (sl.gate_operand >= 0) {
            if (!gate_index.count(sl.gate_operand)) {
              const ir::Value& g = m.value(op.operands[static_cast<size_t>(sl.gate_operand)]);
              gate_index[sl.gate_operand] = static_cast<int>(p.gates.size());
              p.gates.push_back({g.name, g.shape.at(1).size});
            }
            bs.gate = gate_index[sl.gate_operand];
          }
          p.slots.push_back(bs);
        }
        break;
      }
      case ir::OpKind::RowSum:
        if (op.operands[0] != presyn)
          unsupported(m, op, "rowsum must read the (noisy) previous state");
        p.has_rowsum = true;
        p.rowsum += op.attrs.value;
        break;
      case ir::OpKind::InputMatVec: {
        InputTermPlan in;
        in.weight = m.value(op.operands[0]).name;
        in.input = m.value(op.operands[1]).name;
        in.width = m.value(op.operands[0]).shape.at(1).size;
        in.scale = op.attrs.scale;
        in.offset = p.input_columns;
        p.input_columns += in.width;
        p.inputs.push_back(in);
        break;
      }
      default:
        unsupported(m, op, "unexpected op feeding the pre-activation");
    }
  }
  for (auto& op : m.step) {
    if (!used.count(op.result)) unsupported(m, op, "op outside the canonical cell step");
  }
  return p;
}

std::string CpuPlan::key() const {
  std::ostringstream o;
  o << "n=" << n << ";act=" << static_cast<int>(act) << ":" << hex(rate) << ";slots=";
  for (auto& s : slots) o << hex(s.coef) << "/" << s.gate << "/" << s.channel << ",";
  o << ";gates=";
  for (auto& g : gates) o << g.name << ":" << g.width << ",";
  o << ";rowsum=" << has_rowsum << ":" << hex(rowsum) << ";inputs=";
  for (auto& i : inputs)
    o << i.weight << ":" << i.input << ":" << i.width << ":" << hex(i.scale) << ",";
  o << ";bias=" << has_bias << ";alpha=" << alpha_vector << ":" << hex(alpha);
  o << ";noise=" << static_cast<int>(noise) << ":" << hex(noise_factor) << ":" << hex(noise_dt);
  return o.str();
}

CpuLayout make_layout(const CpuPlan& plan, int vector_bits, int elem_bytes) {
  CpuLayout l;
  l.n = plan.n;
  l.vw = std::max<int64_t>(1, vector_bits / (8 * elem_bytes));
  l.np = (plan.n + l.vw - 1) / l.vw * l.vw;
  // Register tile: tp trials x qv vectors of accumulators plus qv weight vectors and a broadcast
  // must fit the register file (16 registers with AVX2, 32 with AVX-512).
  if (vector_bits >= 512) {
    l.tp = 8;
    l.qv = 3;
  } else {
    l.tp = 4;
    l.qv = 3;
  }
  if (l.np % l.tp != 0) l.tp = l.vw;  // rows of the wgrad output are tiled over np
  l.m = plan.m();
  // Padded to whole vectors: the backward panel's rows are read as vectors too.
  l.kcols = (l.m * l.np + plan.input_columns + l.vw - 1) / l.vw * l.vw;
  const int64_t line = 64 / elem_bytes;
  l.ldf = l.np + line;
  l.ldb = l.kcols + line;
  l.ldz = l.np + line;
  return l;
}

}  // namespace rnnjit::cpu
