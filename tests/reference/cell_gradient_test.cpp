// The whole cell: every gradient the reference backend returns (each learned parameter, tau, r0,
// the gates and the inputs) against central differences of L = sum(C .* r), float64, relative
// error <= 1e-7 (issue 2). The sweep:
//   - every shape N in {1,7,64} x K in {1,3} x T in {1,5} x B in {1,3}, activations and feature
//     switches rotating so each shape meets a different combination;
//   - every activation x every feature combination (scalar / per-neuron alpha, Dale, bias, input)
//     at N=7, K=3, T=5, B=3, every entry checked;
//   - every activation at N=64 with all features, sampled entries plus a random direction.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "compiler/lower.hpp"
#include "runtime/reference/reference_executor.hpp"
#include "tests/reference/fd_check.hpp"

namespace rnnjit::reftest {
namespace {

constexpr double kTolerance = 1e-7;

std::set<std::string> expected_gradients(const CellConfig& c) {
  std::set<std::string> want{"r0", "actions", "Wo", "Wa"};  // Wf is fixed: no gradient
  if (c.input) want.insert({"stim", "Win"});
  if (c.bias || needs_bias(c.act)) want.insert("bias");
  if (c.per_neuron_alpha) want.insert("tau");
  return want;
}

void check_cell(const CellConfig& c) {
  Rng rng(seed_for(c.label()));
  const ir::Module m = compile_module(make_spec(c));
  const CellData d = random_cell_data_off_kinks(m, c.act, c.b, c.t, rng);
  FdOptions fd;
  fd.max_entries = c.n >= 64 ? 12 : (1 << 30);
  TensorMap grads;
  const std::vector<GradCheck> checks =
      check_cell_gradients(m, d.params, d.inputs, {}, fd, rng, &grads);

  std::set<std::string> got;
  for (const auto& [name, g] : grads) {
    got.insert(name);
    const Tensor& x = d.params.count(name) ? d.params.at(name) : d.inputs.at(name);
    EXPECT_EQ(g.shape(), x.shape()) << "gradient of " << name;
    EXPECT_EQ(g.dtype(), DType::F64);
  }
  EXPECT_EQ(got, expected_gradients(c));
  for (const GradCheck& r : checks)
    EXPECT_LE(r.worst(), kTolerance)
        << c.label() << ": gradient of " << r.name << " (" << r.entries << " entries, error "
        << r.entry_error << ", along a direction " << r.direction_error << ", |g| = " << r.grad_norm
        << ")";
  // The leak path alone makes dL/dr0 non-zero: a backward pass returning zeros cannot pass.
  EXPECT_GT(
      std::find_if(checks.begin(), checks.end(), [](const GradCheck& r) { return r.name == "r0"; })
          ->grad_norm,
      0.0);
}

class CellGradient : public ::testing::TestWithParam<CellConfig> {};
TEST_P(CellGradient, MatchesCentralDifferences) {
  check_cell(GetParam());
}

std::vector<CellConfig> every_shape() {
  std::vector<CellConfig> out;
  const auto& acts = ir::all_activations();
  int i = 0;
  for (int64_t n : {1, 7, 64})
    for (int64_t k : {1, 3})
      for (int64_t t : {1, 5})
        for (int64_t b : {1, 3}) {
          CellConfig c{n, k, t, b, acts[static_cast<size_t>(i) % acts.size()]};
          c = feature_combinations(c)[static_cast<size_t>(i * 5 + 3) % 16];
          out.push_back(c);
          ++i;
        }
  return out;
}

std::vector<CellConfig> every_activation_and_feature() {
  std::vector<CellConfig> out;
  for (ir::Activation a : ir::all_activations())
    for (const CellConfig& c : feature_combinations({7, 3, 5, 3, a})) out.push_back(c);
  return out;
}

std::vector<CellConfig> every_activation_large() {
  std::vector<CellConfig> out;
  for (ir::Activation a : ir::all_activations())
    out.push_back(feature_combinations({64, 3, 5, 3, a})[15]);
  return out;
}

auto label = [](const ::testing::TestParamInfo<CellConfig>& info) { return info.param.label(); };

INSTANTIATE_TEST_SUITE_P(EveryShape, CellGradient, ::testing::ValuesIn(every_shape()), label);
INSTANTIATE_TEST_SUITE_P(EveryActivationAndFeature, CellGradient,
                         ::testing::ValuesIn(every_activation_and_feature()), label);
INSTANTIATE_TEST_SUITE_P(Large, CellGradient, ::testing::ValuesIn(every_activation_large()), label);

}  // namespace
}  // namespace rnnjit::reftest

namespace rnnjit::reftest {
namespace {

// The harness itself must be able to fail: a gradient off by 1e-5 in one entry (or along the
// unsampled rest of a big tensor) is reported well above the 1e-7 bound.
TEST(FiniteDifferenceHarness, CatchesASlightlyWrongGradient) {
  const CellConfig c{7, 3, 5, 3, ir::Activation::Gelu, true, true, true, true};
  Rng rng(seed_for("harness"));
  const ir::Module m = compile_module(make_spec(c));
  const CellData d = random_cell_data(m, c.act, c.b, c.t, rng);
  reference::ReferenceExecutor ex(m);
  const Tensor r = ex.forward(d.params, d.inputs);
  const Tensor cot = random_normal_tensor(rng, r.shape());
  TensorMap grads = ex.backward(cot);
  TensorMap point = d.inputs;
  for (const auto& [name, t] : d.params) point[name] = t;
  reference::ReferenceExecutor probe(m);
  auto loss = [&](const TensorMap& p) {
    TensorMap pp, pi;
    for (const auto& [name, t] : p) (d.params.count(name) ? pp : pi)[name] = t;
    return dot(cot, probe.forward(pp, pi));
  };
  // Correct gradients pass...
  for (const GradCheck& g : check_gradients(loss, point, {{"Wo", grads["Wo"]}}, {}, rng))
    EXPECT_LE(g.worst(), kTolerance);
  // ...one entry off by a relative 1e-5 does not, whether checked entry by entry or only along a
  // direction (max_entries = 0).
  grads["Wo"].data<double>()[10] *= 1.0 + 1e-5;
  for (int64_t entries : {int64_t{1} << 30, int64_t{0}}) {
    FdOptions fd;
    fd.max_entries = entries;
    for (const GradCheck& g : check_gradients(loss, point, {{"Wo", grads["Wo"]}}, fd, rng))
      EXPECT_GT(g.worst(), 1e-7) << "entries " << entries;
  }
}

}  // namespace
}  // namespace rnnjit::reftest
