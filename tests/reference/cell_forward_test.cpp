// The forward pass against DESIGN.md section 2 written out directly (no IR), and the IR passes:
// the module straight from lower() and the one compile_module() optimises (uniform term folded,
// dense and gated terms merged into one bank) must agree in the forward pass and every gradient.
#include <gtest/gtest.h>

#include <cmath>

#include "compiler/activation_table.hpp"
#include "compiler/lower.hpp"
#include "runtime/reference/reference_executor.hpp"
#include "tests/reference/test_util.hpp"

namespace rnnjit::reftest {
namespace {

// r [B,T,N] for make_spec(c) from the equations of DESIGN.md section 2, loop by loop.
std::vector<double> direct_forward(const CellConfig& c, const ModelSpec& spec, const CellData& d) {
  const int64_t n = c.n, k = c.k, steps = c.t, batch = c.b, width = c.k + 1;
  const auto& p = d.params;
  auto at = [](const Tensor& t, int64_t i) { return t.at_f64(i); };
  const double uniform = spec.recurrent[0].value;
  const int64_t excitatory = std::llround(0.5 * static_cast<double>(n));
  std::vector<double> r(static_cast<size_t>(batch * steps * n));
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<double> prev(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) prev[i] = at(d.inputs.at("r0"), b * n + i);
    for (int64_t t = 0; t < steps; ++t) {
      std::vector<double> next(static_cast<size_t>(n));
      double total = 0.0;
      for (int64_t j = 0; j < n; ++j) total += prev[j];
      for (int64_t i = 0; i < n; ++i) {
        double s = uniform * total;
        for (int64_t j = 0; j < n; ++j) {
          const double dale = c.dale ? (j < excitatory ? 1.0 : -1.0) : 1.0;
          s += 0.5 * at(p.at("Wo"), i * n + j) * dale * prev[j];
          s += 0.3 * at(p.at("Wf"), i * n + j) * prev[j];
          for (int64_t m = 0; m < k; ++m)
            s += at(d.inputs.at("actions"), (b * steps + t) * k + m) *
                 at(p.at("Wa"), (m * n + i) * n + j) * prev[j];
        }
        if (c.input)
          for (int64_t m = 0; m < width; ++m)
            s += 0.8 * at(p.at("Win"), i * width + m) *
                 at(d.inputs.at("stim"), (b * steps + t) * width + m);
        if (spec.bias.enabled) s += at(p.at("bias"), i);
        const double alpha = c.per_neuron_alpha ? 10.0 / at(p.at("tau"), i) : 0.15;
        next[i] = (1 - alpha) * prev[i] + alpha * act_forward<double>(c.act, s, 60.0);
        r[static_cast<size_t>((b * steps + t) * n + i)] = next[i];
      }
      prev = next;
    }
  }
  return r;
}

double relative_difference(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double diff = 0.0, scale = 0.0;
  for (int64_t e = 0; e < a.numel(); ++e) {
    diff += std::pow(a.at_f64(e) - b.at_f64(e), 2);
    scale += std::pow(b.at_f64(e), 2);
  }
  return std::sqrt(diff) / std::max(std::sqrt(scale), 1e-300);
}

std::vector<CellConfig> configs() {
  std::vector<CellConfig> out;
  int i = 0;
  for (ir::Activation a : ir::all_activations())
    for (const CellConfig& c : feature_combinations({7, 3, 5, 3, a}))
      if (i++ % 4 == 0) out.push_back(c);  // every activation; features rotate
  for (CellConfig c : feature_combinations({64, 1, 5, 2, ir::Activation::Gelu})) out.push_back(c);
  out.push_back({1, 1, 1, 1, ir::Activation::Relu});
  return out;
}

class CellForward : public ::testing::TestWithParam<CellConfig> {};

TEST_P(CellForward, MatchesTheEquationsWrittenOut) {
  const CellConfig c = GetParam();
  Rng rng(seed_for("direct_" + c.label()));
  const ModelSpec spec = make_spec(c);
  const ir::Module m = compile_module(spec);
  const CellData d = random_cell_data(m, c.act, c.b, c.t, rng);
  reference::ReferenceExecutor ex(m);
  const Tensor r = ex.forward(d.params, d.inputs);
  const Tensor want = Tensor::f64({c.b, c.t, c.n}, direct_forward(c, spec, d));
  EXPECT_LE(relative_difference(r, want), 1e-13);
}

TEST_P(CellForward, PassesKeepForwardAndGradients) {
  const CellConfig c = GetParam();
  Rng rng(seed_for("passes_" + c.label()));
  const ModelSpec spec = make_spec(c);
  const ir::Module before = lower(spec), after = compile_module(spec);
  // The passes must have changed something for this test to mean anything.
  ASSERT_NE(ir::print(before), ir::print(after));
  const CellData d = random_cell_data(after, c.act, c.b, c.t, rng);
  reference::ReferenceExecutor ex_before(before), ex_after(after);
  const Tensor r_before = ex_before.forward(d.params, d.inputs);
  const Tensor r_after = ex_after.forward(d.params, d.inputs);
  EXPECT_LE(relative_difference(r_after, r_before), 1e-12);
  const Tensor dr = random_normal_tensor(rng, r_after.shape());
  const TensorMap g_before = ex_before.backward(dr), g_after = ex_after.backward(dr);
  ASSERT_EQ(g_before.size(), g_after.size());
  for (const auto& [name, g] : g_before) {
    ASSERT_TRUE(g_after.count(name)) << name;
    EXPECT_LE(relative_difference(g_after.at(name), g), 1e-12) << "gradient of " << name;
  }
}

// float32 tensors are accepted and converted; the result is the float64 run on the same values.
TEST_P(CellForward, AcceptsFloat32Inputs) {
  const CellConfig c = GetParam();
  Rng rng(seed_for("f32_" + c.label()));
  const ir::Module m = compile_module(make_spec(c));
  CellData d = random_cell_data(m, c.act, c.b, c.t, rng);
  CellData d32;
  for (auto& [name, t] : d.params)
    d32.params[name] = t.to(DType::F32), t = d32.params[name].to(DType::F64);
  for (auto& [name, t] : d.inputs)
    d32.inputs[name] = t.to(DType::F32), t = d32.inputs[name].to(DType::F64);
  reference::ReferenceExecutor a(m), b(m);
  const Tensor ra = a.forward(d32.params, d32.inputs), rb = b.forward(d.params, d.inputs);
  EXPECT_EQ(ra.dtype(), DType::F64);
  EXPECT_EQ(relative_difference(ra, rb), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Sweep, CellForward, ::testing::ValuesIn(configs()),
                         [](const auto& info) { return info.param.label(); });

}  // namespace
}  // namespace rnnjit::reftest
