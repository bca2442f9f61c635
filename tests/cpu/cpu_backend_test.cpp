// The CPU (LLVM ORC JIT) backend against the float64 reference: forward r and every gradient
// (learned parameters, r0, gates, inputs) at T = 100, relative L2 error <= 1e-5 (forward) and
// <= 1e-4 (gradients) in fp32, <= 1e-12 in fp64. The cross product of shapes x activations x
// variants is sampled so the suite stays fast: every activation at one shape, every shape at one
// activation, and the Dale / per-neuron alpha / bias / input variants at a few.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "compiler/activation_table.hpp"
#include "compiler/cpu/cpu_codegen.hpp"
#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"

namespace rnnjit {
namespace {

struct Case {
  int64_t n = 7, k = 3, b = 5, t = 100;
  ir::Activation act = ir::Activation::Gelu;
  bool per_neuron = false, dale = false, bias = false, uniform = true;
  int64_t input = 0;  // width of an input term (0: none)
  std::string precision = "fp32";
};

std::string label(const Case& c) {
  return "N=" + std::to_string(c.n) + " K=" + std::to_string(c.k) + " B=" + std::to_string(c.b) +
         " " + std::string(ir::name(c.act)) + (c.per_neuron ? " tau" : " alpha") +
         (c.dale ? " dale" : "") + (c.bias ? " bias" : "") + (c.input ? " input" : "") + " " +
         c.precision;
}

ModelSpec make_spec(const Case& c) {
  ModelSpec s;
  s.name = "cpu_test";
  s.neurons = c.n;
  s.activation.kind = c.act;
  s.activation.rate = 60.0;
  if (c.per_neuron) {
    s.leak.per_neuron = true;
    s.leak.dt = 10.0;
    s.leak.tau_min = 50.0;
    s.leak.tau_max = 300.0;
    s.leak.learn_tau = true;
  } else {
    s.leak.alpha = 0.15;
  }
  if (c.uniform) {
    RecurrentTerm u;
    u.kind = TermKind::Uniform;
    u.value = -0.5 / static_cast<double>(c.n);
    s.recurrent.push_back(u);
  }
  RecurrentTerm wo;
  wo.kind = TermKind::Dense;
  wo.name = "Wo";
  wo.scale = 0.5;
  wo.learn = true;
  wo.dale = c.dale;
  wo.excitatory = 0.5;
  s.recurrent.push_back(wo);
  if (c.k > 0) {
    s.gates.push_back({"actions", c.k, {}});
    RecurrentTerm wa;
    wa.kind = TermKind::Gated;
    wa.name = "Wa";
    wa.gated_by = "actions";
    wa.learn = true;
    s.recurrent.push_back(wa);
  }
  if (c.input > 0) {
    s.inputs.push_back({"stim", c.input, {}});
    InputTerm in;
    in.name = "Win";
    in.from = "stim";
    in.scale = 0.5;
    s.input_terms.push_back(in);
  }
  s.bias.enabled = c.bias;
  return s;
}

Tensor random_tensor(std::mt19937_64& rng, std::vector<int64_t> shape, double lo, double hi) {
  Tensor t(DType::F64, std::move(shape));
  std::uniform_real_distribution<double> u(lo, hi);
  for (auto& x : t.span<double>()) x = u(rng);
  return t;
}

Tensor normal_tensor(std::mt19937_64& rng, std::vector<int64_t> shape, double mean, double sd) {
  Tensor t(DType::F64, std::move(shape));
  std::normal_distribution<double> g(mean, sd);
  for (auto& x : t.span<double>()) x = g(rng);
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

// Where the activation does something interesting (saturating is centred at 30, powerlaw is flat
// below 10): a bias-like offset added to the pre-activation through the bias or the input.
double act_offset(ir::Activation a) {
  return act_domain(a).offset;
}

void check_case(Case c) {
  SCOPED_TRACE(label(c));
  if (act_offset(c.act) != 0.0) c.bias = true;
  const ir::Module m = compile_module(make_spec(c));
  std::mt19937_64 rng(0x5eed ^ static_cast<uint64_t>(c.n * 131 + c.k * 17 + c.b));
  const double sd = 0.8 / std::sqrt(static_cast<double>(c.n * (1 + c.k)));
  // Rates scale with the activation: saturating and powerlaw give rates of order 10, so their
  // weights are smaller to keep the recurrence contractive.
  const double wscale = act_offset(c.act) != 0.0 ? 0.05 : 1.0;
  TensorMap params;
  for (auto& v : m.values) {
    if (v.role != ir::Role::Param && v.role != ir::Role::Buffer) continue;
    std::vector<int64_t> shape;
    for (auto& d : v.shape) shape.push_back(d.size);
    if (v.name == "tau")
      params[v.name] = random_tensor(rng, shape, 50.0, 300.0);
    else if (v.name == "bias")
      params[v.name] = normal_tensor(rng, shape, act_offset(c.act), 0.1);
    else if (c.dale && v.name == "Wo")
      params[v.name] = random_tensor(rng, shape, 0.0, 2 * sd * wscale);
    else
      params[v.name] = normal_tensor(rng, shape, 0.0, sd * wscale);
  }
  TensorMap inputs;
  inputs["r0"] = random_tensor(rng, {c.b, c.n}, 0.0, 0.5);
  if (c.k > 0) inputs["actions"] = random_tensor(rng, {c.b, c.t, c.k}, 0.0, 1.0);
  if (c.input > 0) inputs["stim"] = normal_tensor(rng, {c.b, c.t, c.input}, 0.0, 1.0);
  RunOptions opt;
  opt.steps = c.t;
  const Tensor dr = normal_tensor(rng, {c.b, c.t, c.n}, 0.0, 1.0);

  auto ref = make_reference_executor(m);
  const Tensor r_ref = ref->forward(params, inputs, opt);
  const TensorMap g_ref = ref->backward(dr);

  ExecutorConfig cfg;
  cfg.backend = "cpu";
  cfg.precision = c.precision;
  auto cpu = make_cpu_executor(m, cfg);
  EXPECT_EQ(cpu->backend(), "cpu");
  EXPECT_EQ(cpu->dtype(), c.precision == "fp64" ? DType::F64 : DType::F32);
  const double fwd_tol = c.precision == "fp64" ? 1e-12 : 1e-5;
  const double grad_tol = c.precision == "fp64" ? 1e-12 : 1e-4;
  // Twice, so state left over from a previous run cannot hide a missing write.
  for (int rep = 0; rep < 2; ++rep) {
    SCOPED_TRACE("repeat " + std::to_string(rep));
    Tensor r = cpu->forward(params, inputs, opt);
    EXPECT_LE(rel_l2(r, r_ref), fwd_tol) << "forward r";
    TensorMap g = cpu->backward(dr);
    for (auto& [name, want] : g_ref) {
      ASSERT_TRUE(g.count(name)) << "cpu backend returned no gradient for " << name;
      EXPECT_LE(rel_l2(g.at(name), want), grad_tol) << "gradient " << name;
    }
    EXPECT_EQ(g.size(), g_ref.size());
    // Fresh inputs for the second run: a stale buffer would now disagree.
    inputs["r0"] = random_tensor(rng, {c.b, c.n}, 0.0, 0.5);
    if (rep == 0) {
      auto ref2 = make_reference_executor(m);
      const_cast<Tensor&>(r_ref) = ref2->forward(params, inputs, opt);
      const_cast<TensorMap&>(g_ref) = ref2->backward(dr);
    }
  }
}

class EveryActivation : public ::testing::TestWithParam<ir::Activation> {};
TEST_P(EveryActivation, MatchesReference) {
  Case c;
  c.n = 100;
  c.k = 3;
  c.b = 5;
  c.act = GetParam();
  check_case(c);
}
INSTANTIATE_TEST_SUITE_P(CpuBackend, EveryActivation, ::testing::ValuesIn(ir::all_activations()),
                         [](const auto& info) { return std::string(ir::name(info.param)); });

struct Shape {
  int64_t n, k, b;
};
class EveryShape : public ::testing::TestWithParam<Shape> {};
TEST_P(EveryShape, MatchesReference) {
  Case c;
  c.n = GetParam().n;
  c.k = GetParam().k;
  c.b = GetParam().b;
  c.act = ir::Activation::Tanh;
  check_case(c);
}
INSTANTIATE_TEST_SUITE_P(CpuBackend, EveryShape,
                         ::testing::Values(Shape{1, 1, 1}, Shape{1, 3, 37}, Shape{7, 1, 37},
                                           Shape{7, 3, 1}, Shape{7, 32, 37}, Shape{100, 1, 37},
                                           Shape{100, 32, 1}, Shape{256, 1, 1}, Shape{256, 3, 1}),
                         [](const auto& info) {
                           return "N" + std::to_string(info.param.n) + "_K" +
                                  std::to_string(info.param.k) + "_B" +
                                  std::to_string(info.param.b);
                         });

// A smooth activation: with relu, fp32 and fp64 runs legitimately disagree wherever an s_t lands
// on the other side of the kink, which says nothing about the kernels (fp64 covers relu + Dale).
TEST(CpuBackend, DaleAndPerNeuronAlpha) {
  for (bool dale : {false, true})
    for (bool tau : {false, true}) {
      Case c;
      c.n = 100;
      c.k = 1;
      c.b = 37;
      c.act = ir::Activation::Silu;
      c.dale = dale;
      c.per_neuron = tau;
      check_case(c);
    }
}

TEST(CpuBackend, BiasInputNoUniformNoGates) {
  Case c;
  c.n = 7;
  c.k = 0;
  c.b = 37;
  c.act = ir::Activation::Silu;
  c.bias = true;
  c.uniform = false;
  c.input = 30;
  c.per_neuron = true;
  c.dale = true;
  check_case(c);
  c.n = 256;
  c.b = 5;
  c.k = 3;
  c.input = 3;
  c.act = ir::Activation::Saturating;
  check_case(c);
}

TEST(CpuBackend, Fp64AgreesToRoundoff) {
  for (ir::Activation a : {ir::Activation::Relu, ir::Activation::Gelu, ir::Activation::Softplus,
                           ir::Activation::PowerLaw}) {
    Case c;
    c.n = 7;
    c.k = 3;
    c.b = 37;
    c.act = a;
    c.precision = "fp64";
    c.per_neuron = true;
    c.dale = true;
    c.input = 4;
    check_case(c);
  }
}

TEST(CpuBackend, RejectsUnknownPrecision) {
  Case c;
  const ir::Module m = compile_module(make_spec(c));
  ExecutorConfig cfg;
  cfg.precision = "bf16";
  try {
    make_cpu_executor(m, cfg);
    FAIL() << "bf16 accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bf16"), std::string::npos) << e.what();
  }
}

TEST(CpuBackend, ShapeErrorNamesBothShapes) {
  Case c;
  const ir::Module m = compile_module(make_spec(c));
  auto cpu = make_cpu_executor(m, ExecutorConfig{});
  TensorMap inputs{{"r0", Tensor(DType::F32, {2, c.n + 1})}};
  try {
    cpu->forward({}, inputs);
    FAIL() << "bad r0 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[2,8]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cpu->backward(Tensor(DType::F32, {2, 3, c.n})), std::logic_error);
}

TEST(CpuBackend, KernelCacheReusesTheJit) {
  Case c;
  c.n = 13;
  const ir::Module m = compile_module(make_spec(c));
  auto a = make_cpu_executor(m, ExecutorConfig{});
  auto b = make_cpu_executor(m, ExecutorConfig{});
  EXPECT_EQ(b->compile_seconds(), 0.0);
  EXPECT_NE(a->device().find("threads"), std::string::npos);
}

// Gate inputs are run inputs like the reference's: every one is read, and every one gets a
// gradient (zero for a gate no term uses), whatever order the terms use them in.
TEST(CpuBackend, EveryGateInputGetsAGradientAsInTheReference) {
  Case c;
  c.n = 9, c.b = 4, c.t = 6, c.precision = "fp64";
  ModelSpec spec = make_spec(c);
  spec.gates.insert(spec.gates.begin(), {{"unused", 2, {}}, {"heading", 2, {}}});
  RecurrentTerm wh;
  wh.kind = TermKind::Gated;
  wh.name = "Wh";
  wh.gated_by = "heading";
  wh.learn = true;
  spec.recurrent.push_back(wh);
  const ir::Module m = compile_module(spec);
  std::mt19937_64 rng(77);
  TensorMap params;
  for (auto& v : m.values) {
    if (v.role != ir::Role::Param && v.role != ir::Role::Buffer) continue;
    std::vector<int64_t> shape;
    for (auto& d : v.shape) shape.push_back(d.size);
    params[v.name] = normal_tensor(rng, shape, 0.0, 0.3);
  }
  TensorMap inputs{{"r0", random_tensor(rng, {c.b, c.n}, 0.0, 0.5)}};
  for (const char* g : {"unused", "heading", "actions"})
    inputs[g] = random_tensor(rng, {c.b, c.t, g == std::string("actions") ? c.k : 2}, 0.0, 1.0);
  const Tensor dr = normal_tensor(rng, {c.b, c.t, c.n}, 0.0, 1.0);
  auto ref = make_reference_executor(m);
  const Tensor r_ref = ref->forward(params, inputs);
  const TensorMap g_ref = ref->backward(dr);
  ExecutorConfig cfg;
  cfg.precision = "fp64";
  auto cpu = make_cpu_executor(m, cfg);
  EXPECT_LE(rel_l2(cpu->forward(params, inputs), r_ref), 1e-12);
  const TensorMap g = cpu->backward(dr);
  ASSERT_TRUE(g_ref.count("unused"));
  EXPECT_EQ(g.size(), g_ref.size());
  for (auto& [name, want] : g_ref) {
    ASSERT_TRUE(g.count(name)) << "no gradient for " << name;
    if (name == "unused")
      for (int64_t i = 0; i < want.numel(); ++i) ASSERT_EQ(g.at(name).at_f64(i), 0.0) << i;
    else
      EXPECT_LE(rel_l2(g.at(name), want), 1e-12) << name;
  }
  inputs.erase("unused");
  EXPECT_THROW(cpu->forward(params, inputs), std::runtime_error);
}

// RNNJIT_CPU_DUMP=prefix writes prefix.ll and prefix.s of the ring-sized cell, for reading the
// register tiles LLVM made.
TEST(CpuBackend, EmitsLlvmIrAndAssembly) {
  Case c;
  c.n = 256;
  c.k = 3;
  const ir::Module m = compile_module(make_spec(c));
  const std::string ll = emit_cpu_llvm_ir(m, "fp32");
  EXPECT_NE(ll.find("define void @rnnjit_fwd"), std::string::npos);
  EXPECT_NE(ll.find("fma"), std::string::npos);
  const std::string s = emit_cpu_asm(m, "fp32");
  EXPECT_NE(s.find("rnnjit_bwd"), std::string::npos);
  if (const char* prefix = std::getenv("RNNJIT_CPU_DUMP")) {
    std::ofstream(std::string(prefix) + ".ll") << ll;
    std::ofstream(std::string(prefix) + ".s") << s;
  }
}

}  // namespace
}  // namespace rnnjit
