#include "runtime/cpu/cpu_prologue.hpp"

#include <stdexcept>
#include <string>

namespace rnnjit::cpu {
namespace {

std::vector<int64_t> bound_shape(const ir::Value& v) {
  std::vector<int64_t> s;
  for (auto& d : v.shape) s.push_back(d.size);
  return s;
}

size_t elems(const ir::Value& v) {
  size_t n = 1;
  for (auto& d : v.shape) n *= static_cast<size_t>(d.size);
  return n;
}

const std::vector<double>& fetch(const ir::Module& m, const TensorMap& params, ValueMap& vals,
                                 int id) {
  if (auto it = vals.find(id); it != vals.end()) return it->second;
  const ir::Value& v = m.value(id);
  const Tensor& t = require(params, v.name, "cpu backend");
  check_shape("cpu backend: parameter '" + v.name + "'", t, bound_shape(v));
  std::vector<double> d(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) d[static_cast<size_t>(i)] = t.at_f64(i);
  return vals[id] = std::move(d);
}

}  // namespace

ValueMap run_prologue(const ir::Module& m, const TensorMap& params) {
  ValueMap vals;
  const size_t n = static_cast<size_t>(m.neurons);
  for (auto& op : m.prologue) {
    std::vector<double> out(elems(m.value(op.result)));
    switch (op.kind) {
      case ir::OpKind::DaleMask: {
        const auto& w = fetch(m, params, vals, op.operands[0]);
        for (size_t i = 0; i < n; ++i)
          for (size_t j = 0; j < n; ++j)
            out[i * n + j] =
                static_cast<int64_t>(j) < op.attrs.excitatory ? w[i * n + j] : -w[i * n + j];
        break;
      }
      case ir::OpKind::AlphaFromTau: {
        const auto& tau = fetch(m, params, vals, op.operands[0]);
        for (size_t i = 0; i < n; ++i) out[i] = op.attrs.dt / tau[i];
        break;
      }
      case ir::OpKind::ConstFill:
        for (auto& x : out) x = op.attrs.value;
        break;
      case ir::OpKind::StackBank: {
        size_t at = 0;
        for (int v : op.operands) {
          const auto& part = fetch(m, params, vals, v);
          std::copy(part.begin(), part.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
          at += part.size();
        }
        break;
      }
      default:
        throw std::logic_error("cpu backend: step op in the prologue");
    }
    vals[op.result] = std::move(out);
  }
  return vals;
}

void prologue_vjp(const ir::Module& m, const ValueMap& values, ValueMap& grads) {
  const size_t n = static_cast<size_t>(m.neurons);
  auto acc = [&](int id) -> std::vector<double>& {
    auto& g = grads[id];
    if (g.empty()) g.assign(elems(m.value(id)), 0.0);
    return g;
  };
  for (auto it = m.prologue.rbegin(); it != m.prologue.rend(); ++it) {
    const ir::Op& op = *it;
    auto git = grads.find(op.result);
    if (git == grads.end()) continue;
    const std::vector<double> g = git->second;
    switch (op.kind) {
      case ir::OpKind::DaleMask: {  // W_eff = W .* D  ->  dW = dW_eff .* D
        auto& dw = acc(op.operands[0]);
        for (size_t i = 0; i < n; ++i)
          for (size_t j = 0; j < n; ++j)
            dw[i * n + j] +=
                static_cast<int64_t>(j) < op.attrs.excitatory ? g[i * n + j] : -g[i * n + j];
        break;
      }
      case ir::OpKind::AlphaFromTau: {  // alpha = dt / tau  ->  dtau = -dt / tau^2 dalpha
        const auto& tau = values.at(op.operands[0]);
        auto& dt = acc(op.operands[0]);
        for (size_t i = 0; i < n; ++i) dt[i] += -op.attrs.dt / (tau[i] * tau[i]) * g[i];
        break;
      }
      case ir::OpKind::ConstFill:
        break;
      case ir::OpKind::StackBank: {  // the bank's rows go back to the parts they came from
        size_t at = 0;
        for (int v : op.operands) {
          auto& d = acc(v);
          for (size_t k = 0; k < d.size(); ++k) d[k] += g[at + k];
          at += d.size();
        }
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace rnnjit::cpu
