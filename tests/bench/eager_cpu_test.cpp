// The CPU eager reference (bench/references/eager_cpu.*) against the float64 interpreter: forward
// states and every gradient on fresh random inputs, for the ring cell (uniform + dense + gated
// bank) and a Dale / per-neuron-leak / input / bias cell. Its adjoint is hand-written, so the
// interpreter (itself checked by finite differences in tests/reference) is the oracle here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "bench/references/eager_cpu.hpp"
#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/params.hpp"

namespace {

using namespace rnnjit;

double rel_l2(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double num = 0, den = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    num += std::pow(a.at_f64(i) - b.at_f64(i), 2);
    den += b.at_f64(i) * b.at_f64(i);
  }
  return std::sqrt(num / den);
}

void compare_with_interpreter(const std::string& yaml, uint64_t seed) {
  const ModelSpec spec = parse_spec_string(yaml);
  const ir::Module m = compile_module(spec);
  const TensorMap params = init_params(spec, m, seed);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int64_t b = 3, t = 6, n = spec.neurons;
  TensorMap inputs;
  inputs["r0"] = Tensor(DType::F64, {b, n});
  for (double& v : inputs["r0"].span<double>()) v = unit(rng);
  for (auto& g : spec.gates) {
    inputs[g.name] = Tensor(DType::F64, {b, t, g.size});
    for (double& v : inputs[g.name].span<double>()) v = unit(rng);
  }
  for (auto& u : spec.inputs) {
    inputs[u.name] = Tensor(DType::F64, {b, t, u.size});
    for (double& v : inputs[u.name].span<double>()) v = normal(rng);
  }
  Tensor dr(DType::F64, {b, t, n});
  for (double& v : dr.span<double>()) v = normal(rng);

  ExecutorConfig cfg;
  cfg.backend = "reference";
  auto ref = make_executor(m, cfg);
  auto eager = bench::make_eager_cpu_reference(m, 1);
  EXPECT_EQ(eager->backend(), "eager-cpu");
  const Tensor r_ref = ref->forward(params, inputs), r_eager = eager->forward(params, inputs);
  EXPECT_LT(rel_l2(r_eager, r_ref), 1e-5);
  const TensorMap g_ref = ref->backward(dr), g_eager = eager->backward(dr);
  for (auto& [name, g] : g_ref) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(g_eager.count(name));
    EXPECT_LT(rel_l2(g_eager.at(name), g), 1e-4);
  }
}

TEST(EagerCpu, RingMatchesInterpreter) {
  compare_with_interpreter(R"(
version: 1
name: ring
neurons: 24
activation: gelu
alpha: 0.15
gates:
  actions: 3
recurrent:
  - uniform: -0.1
  - name: Wo
    scale: 0.1
    learn: true
  - name: Wa
    gated_by: actions
    learn: true
)",
                           11);
}

TEST(EagerCpu, DaleLearnedTauInputBiasMatchesInterpreter) {
  compare_with_interpreter(R"(
version: 1
name: vwm_small
neurons: 20
activation: tanh
leak:
  dt: 10
  tau: {min: 50, max: 300}
  learn_tau: true
inputs:
  stimulus: 5
recurrent:
  - name: W
    learn: true
    dale: true
    excitatory: 0.5
input_terms:
  - name: B
    from: stimulus
    learn: true
bias: true
)",
                           5);
}

TEST(EagerCpu, BackwardBeforeForwardThrows) {
  const ModelSpec spec = parse_spec_file(std::string(RNNJIT_SOURCE_DIR) + "/examples/ring.yaml");
  auto eager = bench::make_eager_cpu_reference(compile_module(spec), 1);
  EXPECT_THROW(eager->backward(Tensor(DType::F32, {1, 1, spec.neurons})), std::logic_error);
}

}  // namespace
