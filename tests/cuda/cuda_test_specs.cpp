#include "tests/cuda/cuda_test_specs.hpp"

#include <fmt/core.h>

namespace rnnjit::cuda_test {

std::string SpecOptions::label() const {
  return fmt::format("n{}_k{}_{}{}{}{}{}{}", n, k, ir::name(act), vector_alpha ? "_tau" : "",
                     dale ? "_dale" : "", bias ? "_bias" : "",
                     inputs ? fmt::format("_in{}", inputs) : "",
                     noise != ir::Noise::None ? fmt::format("_{}", ir::name(noise)) : "");
}

ModelSpec make_spec(const SpecOptions& o) {
  ModelSpec s;
  s.name = "cuda_test_" + o.label();
  s.path = "<cuda_test>";
  s.neurons = o.n;
  s.activation.kind = o.act;
  s.activation.rate = 40.0;
  if (o.vector_alpha) {
    s.leak.per_neuron = true;
    s.leak.dt = 10.0;
    s.leak.tau_min = 20.0;
    s.leak.tau_max = 200.0;
    s.leak.learn_tau = o.learn_tau;
  } else {
    s.leak.alpha = 0.15;
  }
  if (o.uniform) {
    RecurrentTerm u;
    u.kind = TermKind::Uniform;
    u.value = -0.1;
    s.recurrent.push_back(u);
  }
  if (o.dense) {
    RecurrentTerm d;
    d.kind = TermKind::Dense;
    d.name = "Wo";
    d.scale = 0.1;
    d.learn = true;
    d.dale = o.dale;
    d.excitatory = 0.5;
    s.recurrent.push_back(d);
  }
  if (o.k > 0) {
    s.gates.push_back({"actions", o.k, {}});
    RecurrentTerm g;
    g.kind = TermKind::Gated;
    g.name = "Wa";
    g.learn = true;
    g.gated_by = "actions";
    s.recurrent.push_back(g);
  }
  if (o.inputs > 0) {
    s.inputs.push_back({"stimulus", o.inputs, {}});
    InputTerm t;
    t.name = "B";
    t.from = "stimulus";
    t.scale = 0.5;
    s.input_terms.push_back(t);
  }
  s.bias.enabled = o.bias;
  s.noise.kind = o.noise;
  s.noise.factor = o.noise_factor;
  return s;
}

}  // namespace rnnjit::cuda_test

#include <cmath>
#include <limits>

namespace rnnjit::cuda_test {

namespace {

std::vector<int64_t> fixed_shape(const ir::Shape& s) {
  std::vector<int64_t> out;
  for (auto& d : s) out.push_back(d.size);
  return out;
}

}  // namespace

TensorMap random_params(const ir::Module& m, ir::Activation act, std::mt19937_64& rng) {
  TensorMap p;
  const double sd = 1.0 / std::sqrt(static_cast<double>(m.neurons));
  for (const ir::Value& v : m.values) {
    if (v.role != ir::Role::Param && v.role != ir::Role::Buffer) continue;
    Tensor t(DType::F64, fixed_shape(v.shape));
    double* x = t.data<double>();
    std::normal_distribution<double> normal(0.0, sd);
    const double offset = act_domain(act).offset;
    std::uniform_real_distribution<double> tau(20.0, 200.0), around(offset - 3.0, offset + 1.0);
    std::normal_distribution<double> small(0.0, 0.1);
    for (int64_t k = 0; k < t.numel(); ++k) {
      if (v.name == "tau")
        x[k] = tau(rng);
      else if (v.name == "bias")
        x[k] = offset != 0.0 ? around(rng) : small(rng);
      else
        x[k] = v.nonnegative ? std::abs(normal(rng)) : normal(rng);
    }
    p[v.name] = std::move(t);
  }
  return p;
}

TensorMap random_inputs(const ir::Module& m, int64_t batch, int64_t steps, std::mt19937_64& rng,
                        bool positive_rates) {
  TensorMap in;
  std::uniform_real_distribution<double> unit(0.0, 1.0), rate(0.2, 1.5);
  std::normal_distribution<double> normal(0.0, 1.0);
  Tensor r0(DType::F64, {batch, m.neurons});
  for (double& x : r0.span<double>()) x = positive_rates ? rate(rng) : unit(rng);
  in["r0"] = std::move(r0);
  for (const ir::Value& v : m.values) {
    if (v.role != ir::Role::GateIn && v.role != ir::Role::InputIn) continue;
    Tensor t(DType::F64, {batch, steps, v.shape[1].size});
    for (double& x : t.span<double>()) x = v.role == ir::Role::GateIn ? normal(rng) : unit(rng);
    in[v.name] = std::move(t);
  }
  return in;
}

std::vector<float> random_floats(size_t count, std::mt19937_64& rng, double sd) {
  std::normal_distribution<double> nd(0.0, sd);
  std::vector<float> out(count);
  for (float& x : out) x = static_cast<float>(nd(rng));
  return out;
}

Tensor random_cotangent(int64_t batch, int64_t steps, int64_t n, std::mt19937_64& rng) {
  Tensor t(DType::F64, {batch, steps, n});
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double& x : t.span<double>()) x = normal(rng);
  return t;
}

double rel_l2(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel()) return std::numeric_limits<double>::infinity();
  double num = 0, den = 0;
  for (int64_t k = 0; k < a.numel(); ++k) {
    const double x = a.at_f64(k), y = b.at_f64(k);
    if (!std::isfinite(x)) return std::numeric_limits<double>::infinity();
    num += (x - y) * (x - y);
    den += y * y;
  }
  if (den == 0) return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return std::sqrt(num / den);
}

}  // namespace rnnjit::cuda_test
