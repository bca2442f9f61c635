// An ensemble's member e gives bit for bit what the same network gives alone (runtime/core/
// executor.hpp's contract), forward and backward, on every backend this build and machine have,
// with per-member parameters, batch sizes and noise seeds.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "compiler/lower.hpp"
#include "compiler/spec.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/backends/ensemble.hpp"
#include "runtime/core/params.hpp"

namespace rnnjit {
namespace {

// A ring cell with spike noise: per-member noise seeds must key each member's own draws.
std::string spec_yaml(int n, const std::string& activation) {
  return "version: 1\nname: ens\nneurons: " + std::to_string(n) + "\nactivation: " + activation +
         "\nalpha: 0.2\ngates: {g: 2}\nrecurrent:\n  - uniform: -0.1\n"
         "  - {name: Wo, scale: 0.3, learn: true}\n  - {name: Wa, gated_by: g, learn: true}\n"
         "noise: {kind: gauss, factor: 0.05}\n";
}

TensorMap random_inputs(int64_t b, int64_t t, int64_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Tensor r0(DType::F64, {b, n}), g(DType::F64, {b, t, 2});
  for (double& x : r0.span<double>()) x = u(rng);
  for (double& x : g.span<double>()) x = u(rng);
  return {{"r0", r0}, {"g", g}};
}

std::vector<std::string> backends() {
  std::vector<std::string> b{"reference"};
  if (have_llvm_backend()) b.push_back("cpu");
  if (cuda_device_available()) b.push_back("cuda");
  return b;
}

void expect_same(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  for (int64_t i = 0; i < a.numel(); ++i)
    ASSERT_EQ(a.at_f64(i), b.at_f64(i)) << what << "[" << i << "]";
}

TEST(Ensemble, EveryMemberMatchesItsNetworkRunAlone) {
  std::mt19937_64 rng(std::random_device{}());
  const uint64_t seed = rng();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (const std::string& backend : backends()) {
    for (const auto& [n, act] : {std::pair{7, "tanh"}, std::pair{16, "gelu"}}) {
      const ModelSpec spec = parse_spec_string(spec_yaml(n, act));
      const ir::Module m = compile_module(spec);
      ExecutorConfig cfg;
      cfg.backend = backend;
      const int E = 3;
      auto ens = make_ensemble_executor(m, E, cfg);
      EXPECT_EQ(ens->members(), E);
      std::vector<TensorMap> params, inputs;
      std::vector<RunOptions> opts;
      for (int e = 0; e < E; ++e) {
        params.push_back(init_params(spec, m, seed + static_cast<uint64_t>(e)));
        inputs.push_back(random_inputs(2 + e, e == 1 ? 1 : 5, n, rng));  // T = 1 for one member
        opts.push_back(RunOptions{.noise_seed = seed ^ (17u * static_cast<uint64_t>(e))});
      }
      const std::vector<Tensor> r = ens->forward(params, inputs, opts);
      ASSERT_EQ(r.size(), static_cast<size_t>(E));
      std::vector<Tensor> dr;
      std::normal_distribution<double> g;
      for (const Tensor& t : r) {
        Tensor d(DType::F64, t.shape());
        for (double& x : d.span<double>()) x = g(rng);
        dr.push_back(d);
      }
      const std::vector<TensorMap> grads = ens->backward(dr);
      for (int e = 0; e < E; ++e) {
        const std::string what =
            backend + " n=" + std::to_string(n) + " member " + std::to_string(e);
        auto solo = make_executor(m, cfg);
        expect_same(r[e], solo->forward(params[e], inputs[e], opts[e]), what + " r");
        const TensorMap alone = solo->backward(dr[e]);
        ASSERT_EQ(grads[e].size(), alone.size()) << what;
        for (const auto& [name, t] : alone) expect_same(grads[e].at(name), t, what + " d" + name);
      }
    }
  }
}

TEST(Ensemble, MemberCountsMustAgree) {
  const ModelSpec spec = parse_spec_string(spec_yaml(5, "relu"));
  const ir::Module m = compile_module(spec);
  ExecutorConfig cfg;
  cfg.backend = "reference";
  auto ens = make_ensemble_executor(m, 2, cfg);
  std::mt19937_64 rng(3);
  const TensorMap p = init_params(spec, m, 1);
  EXPECT_THROW(ens->forward({p}, {random_inputs(2, 3, 5, rng)}, {RunOptions{}}), ShapeError);
  EXPECT_THROW(make_ensemble_executor(m, 0, cfg), UsageError);
}

}  // namespace
}  // namespace rnnjit
