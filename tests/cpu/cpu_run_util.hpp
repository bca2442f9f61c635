// Shared by the CPU backend's cache and concurrency tests: a module from the reference tests' cell
// configurations, fresh random data for it, one forward + backward through an executor, and a
// bit-for-bit comparison of the results.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "compiler/lower.hpp"
#include "runtime/core/executor.hpp"
#include "tests/reference/test_util.hpp"

namespace rnnjit::cputest {

inline ir::Module cell_module(int64_t n, int64_t k, ir::Activation act, bool input = true) {
  reftest::CellConfig c;
  c.n = n;
  c.k = k;
  c.act = act;
  c.input = input;
  c.bias = true;
  return compile_module(reftest::make_spec(c));
}

// Random parameters, r0, gates, inputs and cotangent: a seed from the random device, so every run
// draws new numbers (the seed is in the test's trace for a failure).
struct RunData {
  uint64_t seed = 0;
  reftest::CellData cell;
  Tensor dr;
};

inline RunData random_run_data(const ir::Module& m, ir::Activation act, int64_t batch,
                               int64_t steps) {
  RunData d;
  d.seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  reftest::Rng rng(d.seed);
  d.cell = reftest::random_cell_data(m, act, batch, steps, rng);
  d.dr = reftest::random_normal_tensor(rng, {batch, steps, m.neurons});
  return d;
}

struct RunResults {
  Tensor r;
  TensorMap grads;
};

inline RunResults run_once(CellExecutor& exec, const RunData& d) {
  RunResults out;
  out.r = exec.forward(d.cell.params, d.cell.inputs);
  out.grads = exec.backward(d.dr);
  return out;
}

inline bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// Bit-identical r and gradients, and results that are not trivially equal (all zero).
inline void expect_same_bits(const RunResults& got, const RunResults& want) {
  EXPECT_TRUE(same_bits(got.r, want.r)) << "forward r differs";
  ASSERT_EQ(got.grads.size(), want.grads.size());
  for (const auto& [name, w] : want.grads) {
    ASSERT_TRUE(got.grads.count(name)) << "no gradient " << name;
    EXPECT_TRUE(same_bits(got.grads.at(name), w)) << "gradient " << name << " differs";
  }
  double norm = 0;
  for (int64_t i = 0; i < want.r.numel(); ++i) norm += std::abs(want.r.at_f64(i));
  EXPECT_GT(norm, 0.0) << "the run produced only zeros";
}

}  // namespace rnnjit::cputest
