#include "compiler/cell_plan.hpp"

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace rnnjit {

using ir::OpKind;

namespace {

class Planner {
 public:
  Planner(const ir::Module& m, std::string_view backend) : m_(m), backend_(backend) {}

  CellPlan run() {
    p_.name = m_.name;
    p_.n = m_.neurons;
    for (const ir::Value* g : m_.with_role(ir::Role::GateIn)) {
      p_.gates.push_back({g->name, g->id, g->shape.at(1).size, p_.gate_columns});
      p_.gate_columns += g->shape.at(1).size;
    }
    for (const ir::Op& op : m_.step) def_[op.result] = &op;
    noise();
    const ir::Op& act = leak();
    pre_activation(act);
    for (const ir::Op& op : m_.step)
      if (!used_.count(op.result)) refuse(op, "an op outside the fused cell step");
    return std::move(p_);
  }

 private:
  [[noreturn]] void refuse(const ir::Op& op, const std::string& what) const {
    throw PlanError(std::string(backend_) + ": op %" + std::to_string(op.result) + " = " +
                    std::string(ir::name(op.kind)) + " in cell @" + m_.name + ": " + what +
                    " is not supported yet");
  }
  const ir::Op* step_def(int value) const {
    auto it = def_.find(value);
    return it == def_.end() ? nullptr : it->second;
  }

  // z = nu(r_prev): the presynaptic rates every bank and row-sum term reads.
  void noise() {
    bool z_read = false;  // a bank or row sum came before the noise op in the step
    for (const ir::Op& op : m_.step) {
      if (op.kind == OpKind::BankMatVec || op.kind == OpKind::RowSum) z_read = true;
      if (op.kind != OpKind::Noise) continue;
      if (presyn_ != m_.state_in) refuse(op, "more than one spike noise");
      if (op.operands.at(0) != m_.state_in)
        refuse(op, "spike noise of something other than r_prev");
      // The kernels feed the draw to every bank and row-sum term, so none may come before it
      // reading r_prev itself (lower() always emits the noise first; hand-built IR may not).
      if (z_read) refuse(op, "spike noise after a term that reads r_prev");
      presyn_ = op.result;  // a "none" noise op: z = r_prev
      used_.insert(op.result);
      p_.noise = op.attrs.noise;
      p_.noise_factor = op.attrs.factor;
      p_.noise_dt = op.attrs.dt;
    }
  }

  // r = leak(r_prev, act(s)); returns the act op.
  const ir::Op& leak() {
    const ir::Op* leak = step_def(m_.state_out);
    if (!leak)
      throw PlanError(std::string(backend_) + ": cell @" + m_.name +
                      ": a state r_t not computed by a step op is not supported yet");
    if (leak->kind != OpKind::Leak || leak->operands.at(0) != m_.state_in)
      refuse(*leak, "a state r_t other than leak(r_prev, phi)");
    const ir::Op* act = step_def(leak->operands.at(1));
    if (!act || act->kind != OpKind::Act) refuse(*leak, "a leak of something other than act(s)");
    p_.activation = act->attrs.activation;
    p_.rate = act->attrs.rate;
    if (leak->operands.size() == 3) {
      const ir::Op* a = m_.producer(leak->operands[2]);
      if (!a || a->kind != OpKind::AlphaFromTau)
        refuse(*leak, "a per-neuron alpha not computed from tau");
      p_.alpha_vector = true;
      p_.alpha_value = leak->operands[2];
      p_.tau_value = a->operands.at(0);
      p_.tau = m_.value(p_.tau_value).name;
      p_.dt = a->attrs.dt;
    } else {
      p_.alpha = leak->attrs.alpha;
    }
    used_.insert({leak->result, act->result});
    return *act;
  }

  // s = (sum of the terms) (+ bias).
  void pre_activation(const ir::Op& act) {
    int s = act.operands.at(0);
    if (const ir::Op* ab = step_def(s); ab && ab->kind == OpKind::AddBias) {
      const ir::Value& b = m_.value(ab->operands.at(1));
      if (b.role != ir::Role::Param) refuse(*ab, "a bias that is not a parameter");
      p_.bias = b.name;
      p_.bias_value = b.id;
      used_.insert(s);
      s = ab->operands[0];
    }
    std::vector<int> terms{s};
    if (const ir::Op* add = step_def(s); add && add->kind == OpKind::Add) {
      used_.insert(s);
      terms = add->operands;
    }
    for (int t : terms) {
      const ir::Op* op = step_def(t);
      if (!op)
        refuse(act, "a pre-activation term that no step op computes (%" + std::to_string(t) + ")");
      used_.insert(t);
      term(*op);
    }
  }

  void term(const ir::Op& op) {
    switch (op.kind) {
      case OpKind::BankMatVec:
        bank(op);
        break;
      case OpKind::RowSum:
        if (op.operands.at(0) != presyn_)
          refuse(op, p_.has_noise() ? "a rowsum of something other than the noisy rates"
                                    : "a rowsum of something other than r_prev");
        p_.has_rowsum = true;
        p_.rowsum += op.attrs.value;
        break;
      case OpKind::InputMatVec: {
        const ir::Value& w = m_.value(op.operands.at(0));
        const ir::Value& u = m_.value(op.operands.at(1));
        if (w.role != ir::Role::Param || u.role != ir::Role::InputIn)
          refuse(op, "an input_matvec not of a parameter and an input");
        p_.inputs.push_back(
            {w.name, w.id, u.name, u.id, w.shape.at(1).size, p_.input_columns, op.attrs.scale});
        p_.input_columns += w.shape.at(1).size;
        break;
      }
      case OpKind::MatVec:
      case OpKind::GatedMatVec:
        refuse(op, "an unmerged '" + std::string(ir::name(op.kind)) + "' (run merge_bank first)");
      default:
        refuse(op, "a pre-activation term '" + std::string(ir::name(op.kind)) + "'");
    }
  }

  void bank(const ir::Op& op) {
    if (p_.bank_value >= 0) refuse(op, "more than one bank_matvec");
    if (op.operands.at(1) != presyn_)
      refuse(op, p_.has_noise() ? "a bank applied to something other than the noisy rates"
                                : "a bank applied to something other than r_prev");
    const ir::Op* stack = m_.producer(op.operands[0]);
    if (!stack || stack->kind != OpKind::StackBank) refuse(op, "a bank not built by 'stack'");
    p_.bank_value = op.operands[0];
    int64_t first = 0;
    for (int v : stack->operands) {
      p_.bank_parts.push_back(bank_part(*stack, v, first));
      first += p_.bank_parts.back().count;
    }
    if (first != static_cast<int64_t>(op.attrs.slots.size()))
      refuse(op, "a bank whose parts do not match its slots");
    for (const ir::BankSlot& s : op.attrs.slots) {
      PlanSlot slot;
      slot.coef = s.coef;
      if (s.gate_operand >= 0) {
        const int value = op.operands.at(static_cast<size_t>(s.gate_operand));
        for (size_t g = 0; g < p_.gates.size(); ++g)
          if (p_.gates[g].value == value) slot.gate = static_cast<int>(g);
        if (slot.gate < 0) refuse(op, "a bank gate operand that is not a gate input");
        slot.channel = s.channel;
        slot.column = p_.gates[static_cast<size_t>(slot.gate)].offset + s.channel;
      }
      p_.slots.push_back(slot);
    }
  }

  // One StackBank operand: a parameter, or a parameter through a Dale mask.
  PlanBankPart bank_part(const ir::Op& stack, int value, int64_t first) const {
    PlanBankPart part;
    part.first = first;
    const ir::Value& v = m_.value(value);
    part.count = v.shape.size() == 3 ? v.shape[0].size : 1;
    int param = value;
    if (const ir::Op* def = m_.producer(value)) {
      if (def->kind != OpKind::DaleMask)
        refuse(stack, "a bank operand produced by '" + std::string(ir::name(def->kind)) + "'");
      part.dale = true;
      part.excitatory = def->attrs.excitatory;
      param = def->operands.at(0);
    }
    if (m_.value(param).role != ir::Role::Param)
      refuse(stack, "a bank operand that is not a parameter (%" + std::to_string(param) + ")");
    part.param = m_.value(param).name;
    part.param_value = param;
    return part;
  }

  const ir::Module& m_;
  std::string_view backend_;
  CellPlan p_;
  std::map<int, const ir::Op*> def_;  // step op by result
  std::set<int> used_;                // step results the fused step accounts for
  int presyn_ = m_.state_in;          // z: r_prev, or the spike-noise draw
};

std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

}  // namespace

CellPlan plan_cell(const ir::Module& m, std::string_view backend) {
  return Planner(m, backend).run();
}

std::string CellPlan::key() const {
  std::ostringstream o;
  o << "n=" << n << ";act=" << ir::name(activation) << ":" << hex(rate) << ";slots=";
  for (const PlanSlot& s : slots) o << hex(s.coef) << "/" << s.gate << "/" << s.channel << ",";
  o << ";gates=";
  for (const PlanGate& g : gates) o << g.name << ":" << g.width << ",";
  o << ";rowsum=" << has_rowsum << ":" << hex(rowsum) << ";inputs=";
  for (const PlanInput& i : inputs)
    o << i.weight << ":" << i.input << ":" << i.width << ":" << hex(i.scale) << ",";
  o << ";bias=" << bias << ";alpha=" << alpha_vector << ":" << hex(alpha) << ":" << hex(dt);
  o << ";noise=" << ir::name(noise) << ":" << hex(noise_factor) << ":" << hex(noise_dt);
  return o.str();
}

}  // namespace rnnjit
