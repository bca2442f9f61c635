#include "runtime/cuda/host_pack.hpp"

#include <stdexcept>

namespace rnnjit::cuda {

namespace {

constexpr const char* kWhere = "cuda executor";

std::vector<int64_t> concrete(const ir::Shape& s, int64_t b, int64_t t) {
  std::vector<int64_t> out;
  for (const ir::Dim& d : s) out.push_back(d.symbol == "B" ? b : d.symbol == "T" ? t : d.size);
  return out;
}

bool learned(const ir::Value& v) {
  return (v.role == ir::Role::Param || v.role == ir::Role::Buffer) && v.learn;
}

}  // namespace

PackedParams pack_params(const CellPlan& p, const ir::Module& m, const TensorMap& params) {
  const int64_t n = p.n;
  for (const ir::Value& v : m.values)
    if (v.role == ir::Role::Param || v.role == ir::Role::Buffer)
      check_shape(v.name, require(params, v.name, kWhere), concrete(v.shape, -1, -1));
  PackedParams pp;
  pp.bank.assign(static_cast<size_t>(p.m() * n * n), 0.f);
  pp.bank_t.assign(pp.bank.size(), 0.f);
  for (const PlanBankPart& part : p.bank_parts) {
    const Tensor& w = params.at(part.param);
    for (int64_t k = 0; k < part.count; ++k)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double x = w.at_f64((k * n + i) * n + j);
          if (part.dale && j >= part.excitatory) x = -x;  // D_j = -1 for inhibitory presynaptic j
          const int64_t slot = part.first + k;
          pp.bank[static_cast<size_t>((slot * n + i) * n + j)] = static_cast<float>(x);
          pp.bank_t[static_cast<size_t>((slot * n + j) * n + i)] = static_cast<float>(x);
        }
  }
  pp.w_in.assign(static_cast<size_t>(n * p.input_columns), 0.f);
  for (const PlanInput& in : p.inputs) {
    const Tensor& w = params.at(in.weight);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t q = 0; q < in.width; ++q)
        pp.w_in[static_cast<size_t>(i * p.input_columns + in.offset + q)] =
            static_cast<float>(in.scale * w.at_f64(i * in.width + q));
  }
  pp.bias.assign(static_cast<size_t>(n), 0.f);
  if (p.has_bias())
    for (int64_t i = 0; i < n; ++i)
      pp.bias[static_cast<size_t>(i)] = static_cast<float>(params.at(p.bias).at_f64(i));
  pp.alpha.assign(static_cast<size_t>(n), static_cast<float>(p.alpha));
  if (p.alpha_vector) {
    const Tensor& tau = params.at(p.tau);
    pp.tau.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      pp.tau[static_cast<size_t>(i)] = tau.at_f64(i);
      pp.alpha[static_cast<size_t>(i)] = static_cast<float>(p.dt / tau.at_f64(i));
    }
  }
  return pp;
}

PackedRun pack_run(const CellPlan& p, const ir::Module& m, const TensorMap& inputs, int64_t steps) {
  PackedRun run;
  const int64_t n = p.n;
  const Tensor& r0 = require(inputs, "r0", kWhere);
  if (r0.rank() != 2 || r0.dim(1) != n) check_shape("r0", r0, {r0.rank() ? r0.dim(0) : 1, n});
  run.batch = r0.dim(0);
  std::string steps_from = "RunOptions::steps";
  for (const ir::Value& v : m.values) {
    if (v.role != ir::Role::GateIn && v.role != ir::Role::InputIn) continue;
    const Tensor& t = require(inputs, v.name, kWhere);
    if (t.rank() == 3 && steps < 0) steps = t.dim(1), steps_from = "input '" + v.name + "'";
    check_shape(v.name, t, {run.batch, steps < 0 ? t.dim(1) : steps, v.shape[1].size});
  }
  if (steps < 0)
    throw std::runtime_error(
        std::string(kWhere) + ": cell @" + m.name +
        " has no gate or input to fix the number of steps T; set RunOptions::steps");
  run.steps = steps;
  const int64_t b = run.batch, t = steps;
  run.r0.resize(static_cast<size_t>(b * n));
  for (int64_t k = 0; k < b * n; ++k)
    run.r0[static_cast<size_t>(k)] = static_cast<float>(r0.at_f64(k));
  run.gates.assign(static_cast<size_t>(b * t * p.gate_columns), 0.f);
  for (const PlanGate& g : p.gates) {
    const Tensor& x = inputs.at(g.name);
    for (int64_t r = 0; r < b * t; ++r)
      for (int64_t k = 0; k < g.width; ++k)
        run.gates[static_cast<size_t>(r * p.gate_columns + g.offset + k)] =
            static_cast<float>(x.at_f64(r * g.width + k));
  }
  run.u.assign(static_cast<size_t>(b * t * p.input_columns), 0.f);
  for (const PlanInput& in : p.inputs) {
    const Tensor& x = inputs.at(in.input);
    for (int64_t r = 0; r < b * t; ++r)
      for (int64_t k = 0; k < in.width; ++k)
        run.u[static_cast<size_t>(r * p.input_columns + in.offset + k)] =
            static_cast<float>(x.at_f64(r * in.width + k));
  }
  return run;
}

TensorMap unpack_grads(const CellPlan& p, const ir::Module& m, const PackedParams& pp,
                       const PackedRun& run, const DeviceGrads& g) {
  const int64_t n = p.n, b = run.batch, t = run.steps;
  TensorMap out;
  std::vector<double> dr0(g.dr0.begin(), g.dr0.end());
  out["r0"] = Tensor::f64({b, n}, dr0);
  for (const PlanGate& gb : p.gates) {
    std::vector<double> d(static_cast<size_t>(b * t * gb.width));
    for (int64_t r = 0; r < b * t; ++r)
      for (int64_t k = 0; k < gb.width; ++k)
        d[static_cast<size_t>(r * gb.width + k)] =
            g.dgates[static_cast<size_t>(r * p.gate_columns + gb.offset + k)];
    out[gb.name] = Tensor::f64({b, t, gb.width}, d);
  }
  // Inputs: every input of the cell gets a gradient (zero when no term reads it); terms that read
  // the same input add up.
  for (const ir::Value& v : m.values)
    if (v.role == ir::Role::InputIn) out[v.name] = Tensor(DType::F64, {b, t, v.shape[1].size});
  for (const PlanInput& in : p.inputs) {
    double* d = out[in.input].data<double>();
    for (int64_t r = 0; r < b * t; ++r)
      for (int64_t k = 0; k < in.width; ++k)
        d[r * in.width + k] += g.du[static_cast<size_t>(r * p.input_columns + in.offset + k)];
  }

  auto want = [&](int value) { return value >= 0 && learned(m.value(value)); };
  for (const PlanBankPart& part : p.bank_parts) {
    if (!want(part.param_value)) continue;
    const ir::Value& v = m.value(part.param_value);
    std::vector<double> d(static_cast<size_t>(part.count * n * n));
    for (int64_t k = 0; k < part.count; ++k)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double x = g.dbank[static_cast<size_t>(((part.first + k) * n + i) * n + j)];
          if (part.dale && j >= part.excitatory) x = -x;  // d(W .* D)/dW = D
          d[static_cast<size_t>((k * n + i) * n + j)] = x;
        }
    out[v.name] = Tensor::f64(concrete(v.shape, -1, -1), d);
  }
  for (const PlanInput& in : p.inputs) {
    if (!want(in.weight_value)) continue;
    std::vector<double> d(static_cast<size_t>(n * in.width));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < in.width; ++k)
        d[static_cast<size_t>(i * in.width + k)] =
            in.scale * g.dw_in[static_cast<size_t>(i * p.input_columns + in.offset + k)];
    out[in.weight] = Tensor::f64({n, in.width}, d);
  }
  auto sum_parts = [&](const std::vector<float>& part) {
    std::vector<double> s(static_cast<size_t>(n), 0.0);
    for (int64_t c = 0; c < g.parts; ++c)
      for (int64_t i = 0; i < n; ++i)
        s[static_cast<size_t>(i)] += part[static_cast<size_t>(c * n + i)];
    return s;
  };
  if (want(p.bias_value)) out[p.bias] = Tensor::f64({n}, sum_parts(g.dbias_part));
  if (p.alpha_vector && want(p.tau_value)) {
    // alpha_i = dt / tau_i  =>  dL/dtau_i = -dt / tau_i^2 * dL/dalpha_i
    std::vector<double> dtau = sum_parts(g.dalpha_part);
    for (int64_t i = 0; i < n; ++i) {
      const double tau = pp.tau[static_cast<size_t>(i)];
      dtau[static_cast<size_t>(i)] *= -p.dt / (tau * tau);
    }
    out[p.tau] = Tensor::f64({n}, dtau);
  }
  return out;
}

}  // namespace rnnjit::cuda
