#include "compiler/lower.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace rnnjit {

using ir::Dim;
using ir::Op;
using ir::OpKind;
using ir::Role;
using ir::Shape;

namespace {

int emit(ir::Module& m, std::vector<Op>& list, OpKind kind, std::vector<int> operands,
         const std::string& name, Shape shape, ir::Attrs attrs = {}) {
  const Role role = &list == &m.prologue ? Role::Derived : Role::Temp;
  int id = m.add_value(name, std::move(shape), role);
  list.push_back(Op{kind, std::move(operands), id, std::move(attrs)});
  return id;
}

}  // namespace

ir::Module lower(const ModelSpec& spec) {
  ir::Module m;
  m.name = spec.name;
  m.neurons = spec.neurons;
  const int64_t n = spec.neurons;
  const Shape bn{ir::dim_b(), ir::dim_n(n)};
  const Shape nn{ir::dim_n(n), ir::dim_n(n)};

  m.state_in = m.add_value("r_prev", bn, Role::StateIn);
  std::map<std::string, int> gate_ids, input_ids;
  for (auto& g : spec.gates)
    gate_ids[g.name] = m.add_value(g.name, {ir::dim_b(), ir::dim_k(g.name, g.size)}, Role::GateIn);
  for (auto& in : spec.inputs)
    input_ids[in.name] =
        m.add_value(in.name, {ir::dim_b(), ir::dim_i(in.name, in.size)}, Role::InputIn);

  // Presynaptic rates: z_t = nu(r_{t-1}).
  int z = m.state_in;
  if (spec.noise.kind != ir::Noise::None) {
    ir::Attrs a;
    a.noise = spec.noise.kind;
    a.factor = spec.noise.factor;
    a.dt = spec.leak.per_neuron ? spec.leak.dt : 10.0;
    z = emit(m, m.step, OpKind::Noise, {m.state_in}, "z", bn, a);
  }

  std::vector<int> contributions;
  for (auto& term : spec.recurrent) {
    switch (term.kind) {
      case TermKind::Uniform: {
        ir::Attrs fill;
        fill.value = term.value;
        int c = emit(m, m.prologue, OpKind::ConstFill, {}, "uniform", nn, fill);
        contributions.push_back(emit(m, m.step, OpKind::MatVec, {c, z}, "s_uniform", bn));
        break;
      }
      case TermKind::Dense: {
        int w = m.add_value(term.name, nn, Role::Param);
        m.value(w).learn = term.learn;
        m.value(w).nonnegative = term.nonnegative || term.dale;
        int w_eff = w;
        if (term.dale) {
          ir::Attrs a;
          a.excitatory = excitatory_neurons(term.excitatory, n);
          w_eff = emit(m, m.prologue, OpKind::DaleMask, {w}, term.name + "_eff", nn, a);
        }
        ir::Attrs a;
        a.scale = term.scale;
        contributions.push_back(emit(m, m.step, OpKind::MatVec, {w_eff, z}, "s_" + term.name, bn, a));
        break;
      }
      case TermKind::Gated: {
        const GateSpec* g = spec.find_gate(term.gated_by);
        Shape knn{ir::dim_k(g->name, g->size), ir::dim_n(n), ir::dim_n(n)};
        int w = m.add_value(term.name, knn, Role::Param);
        m.value(w).learn = term.learn;
        m.value(w).nonnegative = term.nonnegative;
        contributions.push_back(emit(m, m.step, OpKind::GatedMatVec, {w, gate_ids.at(g->name), z},
                                     "s_" + term.name, bn));
        break;
      }
    }
  }
  for (auto& term : spec.input_terms) {
    const InputSpec* in = spec.find_input(term.from);
    int w = m.add_value(term.name, {ir::dim_n(n), ir::dim_i(in->name, in->size)}, Role::Param);
    m.value(w).learn = term.learn;
    m.value(w).nonnegative = term.nonnegative;
    ir::Attrs a;
    a.scale = term.scale;
    contributions.push_back(
        emit(m, m.step, OpKind::InputMatVec, {w, input_ids.at(in->name)}, "s_" + term.name, bn, a));
  }

  int s;
  if (contributions.empty()) {
    // No term at all: s = 0. Expressed as a uniform term with c = 0 so every op list is non-empty.
    ir::Attrs a;
    a.value = 0.0;
    s = emit(m, m.step, OpKind::RowSum, {z}, "s", bn, a);
  } else if (contributions.size() == 1) {
    s = contributions[0];
  } else {
    s = emit(m, m.step, OpKind::Add, contributions, "s_sum", bn);
  }
  if (spec.bias.enabled) {
    int b = m.add_value("bias", {ir::dim_n(n)}, Role::Param);
    m.value(b).learn = spec.bias.learn;
    s = emit(m, m.step, OpKind::AddBias, {s, b}, "s", bn);
  }

  ir::Attrs act;
  act.activation = spec.activation.kind;
  act.rate = spec.activation.rate;
  int phi = emit(m, m.step, OpKind::Act, {s}, "phi", bn, act);

  ir::Attrs leak;
  std::vector<int> leak_operands{m.state_in, phi};
  if (spec.leak.per_neuron) {
    int tau = m.add_value("tau", {ir::dim_n(n)}, Role::Buffer);
    m.value(tau).learn = spec.leak.learn_tau;
    ir::Attrs a;
    a.dt = spec.leak.dt;
    leak_operands.push_back(emit(m, m.prologue, OpKind::AlphaFromTau, {tau}, "alpha", {ir::dim_n(n)}, a));
  } else {
    leak.alpha = spec.leak.alpha;
  }
  m.state_out = emit(m, m.step, OpKind::Leak, leak_operands, "r", bn, leak);
  return m;
}

void fold_uniform(ir::Module& m) {
  for (auto& op : m.step) {
    if (op.kind != OpKind::MatVec) continue;
    const Op* def = m.producer(op.operands[0]);
    if (!def || def->kind != OpKind::ConstFill) continue;
    ir::Attrs a;
    a.value = def->attrs.value * op.attrs.scale;
    op = Op{OpKind::RowSum, {op.operands[1]}, op.result, a};
  }
  remove_dead(m);
}

void merge_bank(ir::Module& m) {
  // Collect the matrix terms; they all read the same presynaptic rates z by construction.
  std::vector<size_t> terms;
  for (size_t i = 0; i < m.step.size(); ++i)
    if (m.step[i].kind == OpKind::MatVec || m.step[i].kind == OpKind::GatedMatVec) terms.push_back(i);
  if (terms.empty()) return;

  const int64_t n = m.neurons;
  std::vector<int> stack_operands;
  std::vector<int> bank_operands{-1 /* bank, filled below */, -1 /* z */};
  std::vector<ir::BankSlot> slots;
  int64_t count = 0;
  for (size_t i : terms) {
    const Op& op = m.step[i];
    bank_operands[1] = op.kind == OpKind::MatVec ? op.operands[1] : op.operands[2];
    stack_operands.push_back(op.operands[0]);
    if (op.kind == OpKind::MatVec) {
      slots.push_back({op.attrs.scale, -1, 0});
      ++count;
    } else {
      const int64_t k = m.value(op.operands[0]).shape[0].size;
      int gate_operand = -1;
      for (size_t j = 2; j < bank_operands.size(); ++j)
        if (bank_operands[j] == op.operands[1]) gate_operand = static_cast<int>(j);
      if (gate_operand < 0) {
        gate_operand = static_cast<int>(bank_operands.size());
        bank_operands.push_back(op.operands[1]);
      }
      for (int64_t c = 0; c < k; ++c) slots.push_back({1.0, gate_operand, c});
      count += k;
    }
  }
  int bank = m.add_value("bank", {{"M", count}, ir::dim_n(n), ir::dim_n(n)}, Role::Derived);
  m.prologue.push_back(Op{OpKind::StackBank, stack_operands, bank, {}});
  bank_operands[0] = bank;

  // The merged op takes the place of the first term; uses of the other terms' results are
  // replaced by it in the Add, which is dropped if it has a single operand left.
  const int merged = m.step[terms[0]].result;
  ir::Attrs a;
  a.slots = slots;
  m.step[terms[0]] = Op{OpKind::BankMatVec, bank_operands, merged, a};
  std::vector<int> removed;
  for (size_t j = 1; j < terms.size(); ++j) removed.push_back(m.step[terms[j]].result);
  std::vector<Op> kept;
  for (size_t i = 0; i < m.step.size(); ++i)
    if (std::find(terms.begin() + 1, terms.end(), i) == terms.end()) kept.push_back(m.step[i]);
  m.step = std::move(kept);
  for (auto it = m.step.begin(); it != m.step.end(); ++it) {
    if (it->kind != OpKind::Add) continue;
    std::erase_if(it->operands, [&](int v) {
      return std::find(removed.begin(), removed.end(), v) != removed.end();
    });
    if (it->operands.size() == 1) {
      // Forward the single operand to every use of the Add's result.
      const int from = it->result, to = it->operands[0];
      m.step.erase(it);
      for (auto& op : m.step)
        for (int& v : op.operands)
          if (v == from) v = to;
      if (m.state_out == from) m.state_out = to;
      break;
    }
  }
  remove_dead(m);
}

void remove_dead(ir::Module& m) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (auto it = m.prologue.begin(); it != m.prologue.end(); ++it) {
      bool used = false;
      for (auto* list : {&m.prologue, &m.step})
        for (auto& op : *list)
          for (int v : op.operands) used |= v == it->result;
      if (!used) {
        m.prologue.erase(it);
        changed = true;
        break;
      }
    }
  }
}

ir::Module compile_module(const ModelSpec& spec) {
  ir::Module m = lower(spec);
  fold_uniform(m);
  merge_bank(m);
  ir::verify(m);
  return m;
}

}  // namespace rnnjit
