#include "tests/reference/test_util.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "compiler/activation_table.hpp"
#include "runtime/reference/reference_executor.hpp"

namespace rnnjit::reftest {

std::vector<double> normal(Rng& rng, size_t count, double sd) {
  std::normal_distribution<double> d(0.0, sd);
  std::vector<double> v(count);
  for (double& x : v) x = d(rng);
  return v;
}

std::vector<double> uniform(Rng& rng, size_t count, double lo, double hi) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(count);
  for (double& x : v) x = d(rng);
  return v;
}

std::string CellConfig::label() const {
  std::string s = "N" + std::to_string(n) + "_K" + std::to_string(k) + "_T" + std::to_string(t) +
                  "_B" + std::to_string(b) + "_" + std::string(ir::name(act));
  if (per_neuron_alpha) s += "_tau";
  if (dale) s += "_dale";
  if (bias) s += "_bias";
  if (input) s += "_input";
  return s;
}

std::vector<CellConfig> feature_combinations(CellConfig shape) {
  std::vector<CellConfig> out;
  for (int bits = 0; bits < 16; ++bits) {
    CellConfig c = shape;
    c.per_neuron_alpha = bits & 1;
    c.dale = bits & 2;
    c.bias = bits & 4;
    c.input = bits & 8;
    out.push_back(c);
  }
  return out;
}

bool needs_bias(ir::Activation act) {
  return act_domain(act).offset != 0.0;
}

ModelSpec make_spec(const CellConfig& c) {
  ModelSpec s;
  s.name = "test_" + c.label();
  s.neurons = c.n;
  s.activation.kind = c.act;
  s.activation.rate = 60.0;
  if (c.per_neuron_alpha) {
    s.leak.per_neuron = true;
    s.leak.dt = 10.0;
    s.leak.tau_min = 50.0;
    s.leak.tau_max = 300.0;
    s.leak.learn_tau = true;
  } else {
    s.leak.alpha = 0.15;
  }
  s.gates.push_back({"actions", c.k, {}});

  RecurrentTerm uniform_term;
  uniform_term.kind = TermKind::Uniform;
  // -0.5 / N keeps the global inhibition's size independent of N (-0.1 would swamp N = 64).
  uniform_term.value = -0.5 / static_cast<double>(c.n);
  s.recurrent.push_back(uniform_term);

  RecurrentTerm wo;
  wo.kind = TermKind::Dense;
  wo.name = "Wo";
  wo.scale = 0.5;
  wo.learn = true;
  wo.dale = c.dale;
  wo.excitatory = 0.5;
  s.recurrent.push_back(wo);

  RecurrentTerm wf;
  wf.kind = TermKind::Dense;
  wf.name = "Wf";
  wf.scale = 0.3;
  wf.learn = false;
  s.recurrent.push_back(wf);

  RecurrentTerm wa;
  wa.kind = TermKind::Gated;
  wa.name = "Wa";
  wa.gated_by = "actions";
  wa.learn = true;
  s.recurrent.push_back(wa);

  if (c.input) {
    s.inputs.push_back({"stim", c.k + 1, {}});
    InputTerm in;
    in.name = "Win";
    in.from = "stim";
    in.scale = 0.8;
    in.learn = true;
    s.input_terms.push_back(in);
  }
  s.bias.enabled = needs_bias(c.act) || c.bias;
  s.bias.learn = true;
  return s;
}

namespace {

std::vector<int64_t> concrete(const ir::Shape& s, int64_t batch, int64_t steps) {
  std::vector<int64_t> out;
  for (auto& d : s) out.push_back(d.symbol == "B" ? batch : d.symbol == "T" ? steps : d.size);
  return out;
}

int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

}  // namespace

Tensor random_normal_tensor(Rng& rng, std::vector<int64_t> shape, double sd) {
  const size_t count = static_cast<size_t>(numel(shape));
  return Tensor::f64(std::move(shape), normal(rng, count, sd));
}

CellData random_cell_data(const ir::Module& m, ir::Activation act, int64_t batch, int64_t steps,
                          Rng& rng) {
  CellData d;
  const double n = static_cast<double>(m.neurons);
  for (const ir::Value& v : m.values) {
    std::vector<int64_t> shape = concrete(v.shape, batch, steps);
    const size_t count = static_cast<size_t>(numel(shape));
    std::vector<double> x;
    if (v.role == ir::Role::Param || v.role == ir::Role::Buffer) {
      if (v.name == "tau") {
        x = uniform(rng, count, 50.0, 300.0);
      } else if (v.name == "bias") {
        // Around the offset where phi bends, half way to the nearer end of that region (the power
        // law: [11, 13], clear of its kink at 10; the saturating rate: [20, 40]).
        const act::Domain d = act_domain(act);
        const double w = 0.5 * std::min(d.offset - d.lo, d.hi - d.offset);
        x = d.offset != 0.0 ? uniform(rng, count, d.offset - w, d.offset + w)
                            : normal(rng, count, 0.5);
      } else {
        x = normal(rng, count, 1.0 / std::sqrt(n));
        if (v.nonnegative)
          for (double& e : x) e = std::abs(e);
      }
      d.params[v.name] = Tensor::f64(shape, x);
    } else if (v.role == ir::Role::GateIn || v.role == ir::Role::InputIn) {
      std::vector<int64_t> file_shape{batch, steps, shape[1]};
      const size_t file_count = static_cast<size_t>(numel(file_shape));
      x = v.role == ir::Role::GateIn ? uniform(rng, file_count, -1.0, 1.0)
                                     : uniform(rng, file_count, 0.0, 1.0);
      d.inputs[v.name] = Tensor::f64(file_shape, x);
    }
  }
  d.inputs["r0"] = Tensor::f64({batch, m.neurons},
                               uniform(rng, static_cast<size_t>(batch * m.neurons), 0.0, 1.0));
  return d;
}

CellData random_cell_data_off_kinks(const ir::Module& m, ir::Activation act, int64_t batch,
                                    int64_t steps, Rng& rng, double margin) {
  const std::optional<double> kink = act_kink(act);
  // The finite-difference step near a kink away from 0 is about 1e-4 |kink| (the power law's 10):
  // keep the pre-activations further away than that.
  if (kink) margin = std::max(margin, 1e-3 * std::abs(*kink));
  int act_input = -1;
  for (const ir::Op& op : m.step)
    if (op.kind == ir::OpKind::Act) act_input = op.operands[0];
  for (int attempt = 0; attempt < 200; ++attempt) {
    CellData d = random_cell_data(m, act, batch, steps, rng);
    if (!kink) return d;
    reference::ReferenceExecutor ex(m);
    RunOptions opt;
    opt.steps = steps;
    ex.forward(d.params, d.inputs, opt);
    bool clear = true;
    for (int64_t t = 0; t < steps && clear; ++t)
      for (double s : ex.value_at(t, act_input)) clear &= std::abs(s - *kink) >= margin;
    if (clear) return d;
  }
  throw std::runtime_error("could not draw pre-activations away from the kink of " +
                           std::string(ir::name(act)));
}

double dot(const Tensor& c, const Tensor& r) {
  double sum = 0.0;
  for (int64_t e = 0; e < c.numel(); ++e) sum += c.at_f64(e) * r.at_f64(e);
  return sum;
}

}  // namespace rnnjit::reftest

namespace rnnjit::reftest {
uint64_t seed_for(const std::string& label) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : label) h = (h ^ ch) * 1099511628211ull;
  return h;
}
}  // namespace rnnjit::reftest
