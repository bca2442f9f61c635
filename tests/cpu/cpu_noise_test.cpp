// Spike noise in the CPU backend (issue 6): z_t = nu(r_{t-1}) feeds the contraction and the weight
// gradients, the leak keeps r_{t-1}, and the adjoint adds dz/dr .* dL/dz to dL/dr_{t-1}. Checked
// against the float64 reference interpreter (same Philox counters, so the same draws) for gamma,
// gauss and puregauss noise, in fp64 (to roundoff) and fp32; against central finite differences of
// the fp64 forward; and for seed determinism. Shapes are small so the suite stays fast.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"

namespace rnnjit {
namespace {

struct NoiseCase {
  ir::Noise noise = ir::Noise::Gamma;
  double factor = 0.05;
  int64_t n = 7, b = 5, t = 20, k = 2;
  bool per_neuron = true;  // tau-derived alpha (d alpha needs phi - r_{t-1}, not phi - z)
  std::string precision = "fp64";
};

std::string label(const NoiseCase& c) {
  return std::string(ir::name(c.noise)) + " k=" + std::to_string(c.factor) +
         " N=" + std::to_string(c.n) + " B=" + std::to_string(c.b) + " T=" + std::to_string(c.t) +
         (c.per_neuron ? " tau" : " alpha") + " " + c.precision;
}

// Every term the CPU kernels treat differently under noise: a uniform term (rowsum of z), a dense
// Dale matrix, a gated bank, an input, a bias and a per-neuron or scalar leak. Softplus keeps the
// rates positive, where the noise models are meant to act.
ModelSpec make_spec(const NoiseCase& c) {
  ModelSpec s;
  s.name = "cpu_noise_test";
  s.neurons = c.n;
  s.activation.kind = ir::Activation::Softplus;
  if (c.per_neuron) {
    s.leak.per_neuron = true;
    s.leak.dt = 10.0;
    s.leak.tau_min = 50.0;
    s.leak.tau_max = 300.0;
    s.leak.learn_tau = true;
  } else {
    s.leak.alpha = 0.2;
  }
  RecurrentTerm u;
  u.kind = TermKind::Uniform;
  u.value = -0.3 / static_cast<double>(c.n);
  s.recurrent.push_back(u);
  RecurrentTerm w;
  w.kind = TermKind::Dense;
  w.name = "W";
  w.learn = true;
  w.dale = true;
  w.excitatory = 0.5;
  s.recurrent.push_back(w);
  if (c.k > 0) {
    s.gates.push_back({"g", c.k, {}});
    RecurrentTerm wg;
    wg.kind = TermKind::Gated;
    wg.name = "Wg";
    wg.gated_by = "g";
    wg.learn = true;
    s.recurrent.push_back(wg);
  }
  s.inputs.push_back({"u", 3, {}});
  InputTerm in;
  in.name = "Win";
  in.from = "u";
  in.scale = 0.5;
  s.input_terms.push_back(in);
  s.bias.enabled = true;
  s.noise.kind = c.noise;
  s.noise.factor = c.factor;
  return s;
}

Tensor uniform(std::mt19937_64& rng, std::vector<int64_t> shape, double lo, double hi) {
  Tensor t(DType::F64, std::move(shape));
  std::uniform_real_distribution<double> d(lo, hi);
  for (auto& x : t.span<double>()) x = d(rng);
  return t;
}

Tensor normal(std::mt19937_64& rng, std::vector<int64_t> shape, double sd) {
  Tensor t(DType::F64, std::move(shape));
  std::normal_distribution<double> d(0.0, sd);
  for (auto& x : t.span<double>()) x = d(rng);
  return t;
}

double rel_l2(const Tensor& got, const Tensor& want) {
  EXPECT_EQ(got.shape(), want.shape());
  if (got.shape() != want.shape()) return INFINITY;
  double num = 0, den = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double d = got.at_f64(i) - want.at_f64(i);
    num += d * d;
    den += want.at_f64(i) * want.at_f64(i);
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-300);
}

struct Problem {
  ir::Module m;
  TensorMap params, inputs;
  Tensor dr;
  RunOptions opt;
};

Problem make_problem(const NoiseCase& c, uint64_t seed) {
  Problem p{compile_module(make_spec(c)), {}, {}, Tensor(), {}};
  std::mt19937_64 rng(0x9015e ^ static_cast<uint64_t>(c.n * 1009 + c.b * 31 + c.t));
  const double sd = 0.6 / std::sqrt(static_cast<double>(c.n));
  for (auto& v : p.m.values) {
    if (v.role != ir::Role::Param && v.role != ir::Role::Buffer) continue;
    std::vector<int64_t> shape;
    for (auto& d : v.shape) shape.push_back(d.size);
    if (v.name == "tau")
      p.params[v.name] = uniform(rng, shape, 50.0, 300.0);
    else if (v.name == "W")
      p.params[v.name] = uniform(rng, shape, 0.0, 2 * sd);
    else
      p.params[v.name] = normal(rng, shape, sd);
  }
  p.inputs["r0"] = uniform(rng, {c.b, c.n}, 0.2, 1.5);
  if (c.k > 0) p.inputs["g"] = uniform(rng, {c.b, c.t, c.k}, 0.0, 1.0);
  p.inputs["u"] = normal(rng, {c.b, c.t, 3}, 1.0);
  p.dr = normal(rng, {c.b, c.t, c.n}, 1.0);
  p.opt.steps = c.t;
  p.opt.noise_seed = seed;
  return p;
}

std::unique_ptr<CellExecutor> cpu_executor(const ir::Module& m, const std::string& precision) {
  ExecutorConfig cfg;
  cfg.backend = "cpu";
  cfg.precision = precision;
  return make_cpu_executor(m, cfg);
}

void check_against_reference(const NoiseCase& c) {
  SCOPED_TRACE(label(c));
  Problem p = make_problem(c, 0xabcdef12345ull);
  auto ref = make_reference_executor(p.m);
  const Tensor r_ref = ref->forward(p.params, p.inputs, p.opt);
  const TensorMap g_ref = ref->backward(p.dr);
  auto cpu = cpu_executor(p.m, c.precision);
  // fp32: the draws themselves are float (gamma's inverse CDF in float), and the relu of the
  // gauss models can flip where fp32 and fp64 pre-activations straddle 0.
  const bool f64 = c.precision == "fp64";
  const double fwd_tol = f64 ? 1e-11 : 2e-5, grad_tol = f64 ? 1e-10 : 2e-4;
  for (int rep = 0; rep < 2; ++rep) {  // twice: a stale saved buffer must not hide a missing write
    SCOPED_TRACE("repeat " + std::to_string(rep));
    const Tensor r = cpu->forward(p.params, p.inputs, p.opt);
    EXPECT_LE(rel_l2(r, r_ref), fwd_tol) << "forward r";
    const TensorMap g = cpu->backward(p.dr);
    EXPECT_EQ(g.size(), g_ref.size());
    for (auto& [name, want] : g_ref) {
      ASSERT_TRUE(g.count(name)) << "cpu backend returned no gradient for " << name;
      EXPECT_LE(rel_l2(g.at(name), want), grad_tol) << "gradient " << name;
    }
  }
}

class EveryNoise : public ::testing::TestWithParam<ir::Noise> {};

TEST_P(EveryNoise, Fp64MatchesReferenceToRoundoff) {
  for (int64_t n : {7, 33})
    for (int64_t b : {1, 5})
      for (int64_t t : {1, 20}) {
        NoiseCase c;
        c.noise = GetParam();
        c.n = n;
        c.b = b;
        c.t = t;
        c.per_neuron = (n + b + t) % 2 == 0;
        c.k = n == 7 ? 2 : 0;
        check_against_reference(c);
      }
}

TEST_P(EveryNoise, Fp32MatchesReference) {
  for (int64_t n : {7, 33}) {
    NoiseCase c;
    c.noise = GetParam();
    c.n = n;
    c.b = 5;
    c.t = 20;
    c.precision = "fp32";
    check_against_reference(c);
  }
}

// The noise must actually be there: a different seed changes r, the same seed repeats it bit for
// bit (also across executors), and the noisy run differs from the noise-free cell.
TEST_P(EveryNoise, SeedDeterminesTheDraws) {
  NoiseCase c;
  c.noise = GetParam();
  c.n = 33;
  for (const char* precision : {"fp32", "fp64"}) {
    SCOPED_TRACE(precision);
    Problem p = make_problem(c, 7);
    auto a = cpu_executor(p.m, precision);
    auto b = cpu_executor(p.m, precision);
    const Tensor r1 = a->forward(p.params, p.inputs, p.opt);
    const Tensor r2 = b->forward(p.params, p.inputs, p.opt);
    EXPECT_EQ(rel_l2(r1, r2), 0.0) << "same seed, different r";
    p.opt.noise_seed = 8;
    const Tensor r3 = a->forward(p.params, p.inputs, p.opt);
    EXPECT_GT(rel_l2(r3, r1), 1e-3) << "different seed, same r";
    NoiseCase quiet = c;
    quiet.noise = ir::Noise::None;
    Problem q = make_problem(quiet, 7);
    const Tensor r0 = cpu_executor(q.m, precision)->forward(p.params, p.inputs, p.opt);
    EXPECT_GT(rel_l2(r1, r0), 1e-3) << "noise changed nothing";
  }
}

// Central finite differences of L = <dr, r> through the fp64 CPU forward at a fixed seed (the draws
// are smooth in r almost everywhere), independent of the reference backend: r0, one weight of each
// matrix, tau and the bias.
TEST_P(EveryNoise, Fp64GradientMatchesFiniteDifferences) {
  NoiseCase c;
  c.noise = GetParam();
  c.n = 7;
  c.b = 2;
  c.t = 20;
  Problem p = make_problem(c, 1234);
  auto cpu = cpu_executor(p.m, "fp64");
  auto loss = [&]() {
    const Tensor r = cpu->forward(p.params, p.inputs, p.opt);
    double l = 0;
    for (int64_t i = 0; i < r.numel(); ++i) l += r.at_f64(i) * p.dr.at_f64(i);
    return l;
  };
  cpu->forward(p.params, p.inputs, p.opt);
  const TensorMap g = cpu->backward(p.dr);
  std::mt19937_64 rng(99);
  auto check = [&](TensorMap& where, const std::string& name) {
    Tensor& x = where.at(name);
    for (int probe = 0; probe < 3; ++probe) {
      const int64_t k = static_cast<int64_t>(rng() % static_cast<uint64_t>(x.numel()));
      double* v = x.template data<double>() + k;
      const double x0 = *v, h = 1e-6 * std::max(1.0, std::abs(x0));
      *v = x0 + h;
      const double lp = loss();
      *v = x0 - h;
      const double lm = loss();
      *v = x0;
      const double fd = (lp - lm) / (2 * h), an = g.at(name).at_f64(k);
      EXPECT_NEAR(an, fd, 1e-5 * std::max(1.0, std::abs(fd))) << name << "[" << k << "]";
    }
  };
  for (const char* name : {"W", "Wg", "Win", "bias", "tau"}) check(p.params, name);
  check(p.inputs, "r0");
}

INSTANTIATE_TEST_SUITE_P(CpuNoise, EveryNoise,
                         ::testing::Values(ir::Noise::Gamma, ir::Noise::Gauss,
                                           ir::Noise::PureGauss),
                         [](const auto& info) { return std::string(ir::name(info.param)); });

}  // namespace
}  // namespace rnnjit
