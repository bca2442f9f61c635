#include "ir/module.hpp"

#include <sstream>
#include <stdexcept>

namespace rnnjit::ir {

int Module::add_value(std::string n, Shape shape, Role role) {
  Value v;
  v.id = static_cast<int>(values.size());
  v.name = std::move(n);
  v.shape = std::move(shape);
  v.role = role;
  values.push_back(std::move(v));
  return values.back().id;
}

const Value* Module::find(const std::string& n, Role role) const {
  for (auto& v : values)
    if (v.name == n && v.role == role) return &v;
  return nullptr;
}

std::vector<const Value*> Module::with_role(Role role) const {
  std::vector<const Value*> out;
  for (auto& v : values)
    if (v.role == role) out.push_back(&v);
  return out;
}

const Op* Module::producer(int id) const {
  for (auto* list : {&prologue, &step})
    for (auto& op : *list)
      if (op.result == id) return &op;
  return nullptr;
}

std::string_view name(OpKind k) {
  switch (k) {
    case OpKind::DaleMask: return "dale";
    case OpKind::AlphaFromTau: return "alpha_from_tau";
    case OpKind::ConstFill: return "constfill";
    case OpKind::StackBank: return "stack";
    case OpKind::Noise: return "noise";
    case OpKind::MatVec: return "matvec";
    case OpKind::GatedMatVec: return "gated_matvec";
    case OpKind::BankMatVec: return "bank_matvec";
    case OpKind::RowSum: return "rowsum";
    case OpKind::InputMatVec: return "input_matvec";
    case OpKind::AddBias: return "add_bias";
    case OpKind::Add: return "add";
    case OpKind::Act: return "act";
    case OpKind::Leak: return "leak";
  }
  return "?";
}

std::string_view name(Role r) {
  switch (r) {
    case Role::Param: return "param";
    case Role::Buffer: return "buffer";
    case Role::StateIn: return "state";
    case Role::GateIn: return "gate";
    case Role::InputIn: return "input";
    case Role::Derived: return "derived";
    case Role::Temp: return "temp";
  }
  return "?";
}

namespace {

std::string attrs_text(const Op& op) {
  std::ostringstream o;
  const Attrs& a = op.attrs;
  switch (op.kind) {
    case OpKind::DaleMask: o << "{excitatory=" << a.excitatory << "}"; break;
    case OpKind::AlphaFromTau: o << "{dt=" << a.dt << "}"; break;
    case OpKind::ConstFill: o << "{value=" << a.value << "}"; break;
    case OpKind::Noise:
      o << "{kind=" << name(a.noise) << ", factor=" << a.factor << ", dt=" << a.dt << "}";
      break;
    case OpKind::MatVec:
    case OpKind::InputMatVec: o << "{scale=" << a.scale << "}"; break;
    case OpKind::RowSum: o << "{value=" << a.value << "}"; break;
    case OpKind::Act:
      o << "{fn=" << name(a.activation);
      if (a.activation == Activation::Saturating) o << ", rate=" << a.rate;
      o << "}";
      break;
    case OpKind::Leak:
      if (op.operands.size() == 2) o << "{alpha=" << a.alpha << "}";
      break;
    case OpKind::BankMatVec: {
      o << "{slots=[";
      for (size_t i = 0; i < a.slots.size(); ++i) {
        const auto& s = a.slots[i];
        if (i) o << ", ";
        if (s.gate_operand < 0)
          o << s.coef;
        else
          o << (s.coef == 1.0 ? "" : std::to_string(s.coef) + "*") << "%" << op.operands[s.gate_operand]
            << "[" << s.channel << "]";
      }
      o << "]}";
      break;
    }
    default: break;
  }
  return o.str();
}

void print_op(std::ostringstream& o, const Module& m, const Op& op) {
  const Value& r = m.value(op.result);
  o << "    %" << r.id << ":" << to_string(r.shape) << " = " << name(op.kind);
  for (size_t i = 0; i < op.operands.size(); ++i) o << (i ? ", %" : " %") << op.operands[i];
  std::string a = attrs_text(op);
  if (!a.empty()) o << " " << a;
  o << "    // " << r.name << "\n";
}

}  // namespace

std::string print(const Module& m) {
  std::ostringstream o;
  o << "cell @" << m.name << " {N=" << m.neurons << "}\n";
  for (auto& v : m.values) {
    if (v.role == Role::Temp || v.role == Role::Derived) continue;
    o << "  " << name(v.role) << " %" << v.id << " " << v.name << ":" << to_string(v.shape);
    if (v.learn) o << " learn";
    if (v.nonnegative) o << " nonneg";
    o << "\n";
  }
  o << "  prologue {\n";
  for (auto& op : m.prologue) print_op(o, m, op);
  o << "  }\n  step(t = 1..T) {\n";
  for (auto& op : m.step) print_op(o, m, op);
  o << "    yield %" << m.state_out << "    // r_t, the next step's %" << m.state_in << "\n  }\n}\n";
  return o.str();
}

namespace {

[[noreturn]] void fail(const Module& m, const Op& op, const std::string& what) {
  std::ostringstream o;
  o << "IR verifier: op %" << op.result << " = " << name(op.kind) << " in cell @" << m.name << ": "
    << what;
  throw std::runtime_error(o.str());
}

std::string sym(const Shape& s) { return to_string(s); }

void expect_shape(const Module& m, const Op& op, int value, const Shape& want, const char* what) {
  const Shape& got = m.value(value).shape;
  if (got != want)
    fail(m, op, std::string(what) + " %" + std::to_string(value) + " has shape " + sym(got) +
                    " but " + sym(want) + " is required");
}

}  // namespace

void verify(const Module& m) {
  const int64_t n = m.neurons;
  const Shape bn{dim_b(), dim_n(n)}, nn{dim_n(n), dim_n(n)}, vn{dim_n(n)};
  if (m.state_in < 0 || m.state_out < 0) throw std::runtime_error("IR verifier: state not set");
  std::vector<bool> defined(m.values.size(), false);
  for (auto& v : m.values)
    if (v.role != Role::Temp && v.role != Role::Derived) defined[static_cast<size_t>(v.id)] = true;

  auto check_ops = [&](const std::vector<Op>& ops, bool in_step) {
    for (auto& op : ops) {
      for (int v : op.operands) {
        if (v < 0 || static_cast<size_t>(v) >= m.values.size()) fail(m, op, "operand out of range");
        if (!defined[static_cast<size_t>(v)]) fail(m, op, "operand %" + std::to_string(v) + " used before definition");
        if (!in_step) {
          Role r = m.value(v).role;
          if (r == Role::StateIn || r == Role::GateIn || r == Role::InputIn || r == Role::Temp)
            fail(m, op, "prologue op reads per-step value %" + std::to_string(v));
        }
      }
      if (defined[static_cast<size_t>(op.result)]) fail(m, op, "result defined twice");
      defined[static_cast<size_t>(op.result)] = true;
      const auto& a = op.operands;
      auto arity = [&](size_t lo, size_t hi) {
        if (a.size() < lo || a.size() > hi)
          fail(m, op, "expects " + std::to_string(lo) + (lo == hi ? "" : ".." + std::to_string(hi)) +
                          " operands, has " + std::to_string(a.size()));
      };
      switch (op.kind) {
        case OpKind::DaleMask:
          arity(1, 1);
          expect_shape(m, op, a[0], nn, "weight");
          if (op.attrs.excitatory < 0 || op.attrs.excitatory > n) fail(m, op, "excitatory out of range");
          break;
        case OpKind::AlphaFromTau: arity(1, 1); expect_shape(m, op, a[0], vn, "tau"); break;
        case OpKind::ConstFill: arity(0, 0); break;
        case OpKind::StackBank: {
          arity(1, 1 << 20);
          int64_t count = 0;
          for (int v : a) {
            const Shape& s = m.value(v).shape;
            if (s.size() == 2 && s == nn) count += 1;
            else if (s.size() == 3 && s[1] == dim_n(n) && s[2] == dim_n(n)) count += s[0].size;
            else fail(m, op, "cannot stack %" + std::to_string(v) + " of shape " + sym(s));
          }
          const Shape& r = m.value(op.result).shape;
          if (r.size() != 3 || r[0].size != count) fail(m, op, "bank size does not match its parts");
          break;
        }
        case OpKind::Noise: arity(1, 1); expect_shape(m, op, a[0], bn, "rates"); break;
        case OpKind::MatVec:
          arity(2, 2);
          expect_shape(m, op, a[0], nn, "weight");
          expect_shape(m, op, a[1], bn, "rates");
          break;
        case OpKind::GatedMatVec: {
          arity(3, 3);
          const Shape& w = m.value(a[0]).shape;
          if (w.size() != 3) fail(m, op, "gated weight must be [K,N,N], is " + sym(w));
          expect_shape(m, op, a[0], {w[0], dim_n(n), dim_n(n)}, "gated weight");
          expect_shape(m, op, a[1], {dim_b(), w[0]}, "gate");
          expect_shape(m, op, a[2], bn, "rates");
          break;
        }
        case OpKind::BankMatVec: {
          arity(2, 1 << 20);
          const Shape& w = m.value(a[0]).shape;
          if (w.size() != 3 || w[1] != dim_n(n) || w[2] != dim_n(n))
            fail(m, op, "bank must be [M,N,N], is " + sym(w));
          expect_shape(m, op, a[1], bn, "rates");
          if (static_cast<int64_t>(op.attrs.slots.size()) != w[0].size)
            fail(m, op, "has " + std::to_string(op.attrs.slots.size()) + " slots for a bank of " +
                            std::to_string(w[0].size));
          for (auto& s : op.attrs.slots) {
            if (s.gate_operand < 0) continue;
            if (s.gate_operand < 2 || static_cast<size_t>(s.gate_operand) >= a.size())
              fail(m, op, "slot gate operand out of range");
            const Shape& g = m.value(a[static_cast<size_t>(s.gate_operand)]).shape;
            if (g.size() != 2 || s.channel < 0 || s.channel >= g[1].size)
              fail(m, op, "slot channel " + std::to_string(s.channel) + " outside gate " + sym(g));
          }
          break;
        }
        case OpKind::RowSum: arity(1, 1); expect_shape(m, op, a[0], bn, "rates"); break;
        case OpKind::InputMatVec: {
          arity(2, 2);
          const Shape& w = m.value(a[0]).shape;
          if (w.size() != 2 || w[0] != dim_n(n)) fail(m, op, "input weight must be [N,I], is " + sym(w));
          expect_shape(m, op, a[1], {dim_b(), w[1]}, "input");
          break;
        }
        case OpKind::AddBias:
          arity(2, 2);
          expect_shape(m, op, a[0], bn, "pre-activation");
          expect_shape(m, op, a[1], vn, "bias");
          break;
        case OpKind::Add:
          arity(2, 1 << 20);
          for (int v : a) expect_shape(m, op, v, bn, "summand");
          break;
        case OpKind::Act: arity(1, 1); expect_shape(m, op, a[0], bn, "pre-activation"); break;
        case OpKind::Leak:
          arity(2, 3);
          expect_shape(m, op, a[0], bn, "previous state");
          expect_shape(m, op, a[1], bn, "activation");
          if (a.size() == 3) expect_shape(m, op, a[2], vn, "alpha");
          break;
      }
      const bool step_op = op.kind != OpKind::DaleMask && op.kind != OpKind::AlphaFromTau &&
                           op.kind != OpKind::ConstFill && op.kind != OpKind::StackBank;
      if (step_op != in_step) fail(m, op, in_step ? "parameter op inside the step" : "step op in the prologue");
    }
  };
  check_ops(m.prologue, false);
  check_ops(m.step, true);
  if (m.value(m.state_out).shape != bn) throw std::runtime_error("IR verifier: state_out is not [B,N]");
  if (m.producer(m.state_out) == nullptr || m.producer(m.state_out)->kind != OpKind::Leak)
    throw std::runtime_error("IR verifier: the step must end in a leak op producing r_t");
}

}  // namespace rnnjit::ir
