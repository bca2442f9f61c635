// Cases shared by the eager GPU reference's host and device tests: every activation, N not a
// multiple of 32, K = 1, T = 1, Dale's law, per-neuron leak (learned tau), bias, input terms, and a
// cell without a bank.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/references/eager_gpu.hpp"
#include "runtime/backends/backends.hpp"
#include "tests/cuda/cuda_test_specs.hpp"

namespace rnnjit::cuda_test {

using ir::Activation;

struct EagerCase {
  SpecOptions spec;
  int64_t batch, steps;
};

inline std::vector<EagerCase> eager_cases() {
  std::vector<EagerCase> v;
  auto add = [&](int64_t n, int64_t k, bool tau, bool dale, bool bias, int64_t in, int64_t b,
                 int64_t t) {
    SpecOptions o;
    o.n = n, o.k = k, o.vector_alpha = tau, o.learn_tau = tau, o.dale = dale;
    o.bias = bias, o.inputs = in;
    v.push_back({o, b, t});
  };
  add(37, 3, false, false, false, 0, 5, 9);
  add(7, 3, true, true, true, 2, 11, 7);
  add(9, 1, true, false, true, 3, 3, 1);  // K = 1, T = 1
  add(5, 4, false, true, false, 0, 9, 6);
  add(12, 2, true, true, true, 1, 4, 5);
  add(6, 2, true, false, true, 2, 10, 6);
  add(8, 1, false, false, true, 0, 3, 5);
  add(33, 3, true, true, true, 4, 17, 8);
  v = cycle_activations(v);  // every activation
  {
    SpecOptions o;  // no bank at all: only the input term drives the cell
    o.n = 6, o.k = 0, o.dense = false, o.uniform = false, o.inputs = 3, o.bias = true;
    o.act = Activation::Tanh;
    v.push_back({o, 4, 5});
  }
  return v;
}

inline void check_eager_against_reference(bench::EagerGpuReference& eager, const EagerCase& c,
                                          uint64_t seed) {
  const ir::Module m = make_module(c.spec);
  std::mt19937_64 rng(seed);
  const TensorMap params = random_params(m, c.spec.act, rng);
  const TensorMap inputs = random_inputs(m, c.batch, c.steps, rng);
  const Tensor dr = random_cotangent(c.batch, c.steps, m.neurons, rng);
  auto ref = make_reference_executor(m);
  const Tensor r_ref = ref->forward(params, inputs);
  const TensorMap g_ref = ref->backward(dr);

  const Tensor r = eager.forward(params, inputs);
  EXPECT_LE(rel_l2(r, r_ref), 1e-5) << c.spec.label();
  const TensorMap g = eager.backward(dr);
  EXPECT_EQ(g.size(), g_ref.size());
  for (auto& [name, want] : g_ref) {
    ASSERT_TRUE(g.count(name)) << "no gradient for " << name;
    EXPECT_EQ(g.at(name).shape(), want.shape()) << name;
    EXPECT_LE(rel_l2(g.at(name), want), 1e-4) << name << " " << c.spec.label();
  }
  // A second backward on the same forward gives the same gradients (buffers are reset).
  const TensorMap g2 = eager.backward(dr);
  for (auto& [name, t] : g) EXPECT_EQ(rel_l2(g2.at(name), t), 0.0) << name;
}

inline std::string eager_case_name(const ::testing::TestParamInfo<size_t>& i) {
  const EagerCase c = eager_cases().at(i.param);
  return c.spec.label() + "_B" + std::to_string(c.batch) + "_T" + std::to_string(c.steps);
}

}  // namespace rnnjit::cuda_test
