// CI (no GPU): the host emulation of the CUDA kernels' index math (runtime/cuda/kernel_emulation)
// together with the host packing and the hand-written prologue adjoint (runtime/cuda/host_pack)
// against the float64 reference backend. Same bounds as the GPU tests: forward <= 1e-5, every
// gradient <= 1e-4 (relative L2), trial counts that are not multiples of the tile.
#include <gtest/gtest.h>

#include "compiler/cuda/cuda_codegen.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/cuda/host_pack.hpp"
#include "tests/cuda/kernel_emulation.hpp"
#include "tests/cuda/cuda_test_specs.hpp"

namespace rnnjit {
namespace {

using cuda_test::SpecOptions;
using ir::Activation;

struct EmuCase {
  SpecOptions spec;
  int64_t batch, steps;
  int tile;
};

// Shapes at the kernels' edges (N = 1, K = 32, T = 1 tiles, B not a multiple of the tile), each
// feature, and every activation (cycle_activations).
std::vector<EmuCase> cases() {
  std::vector<EmuCase> v;
  auto add = [&](int64_t n, int64_t k, bool tau, bool dale, bool bias, int64_t in, int64_t b,
                 int64_t t, int tile) {
    SpecOptions o;
    o.n = n, o.k = k, o.vector_alpha = tau, o.learn_tau = tau, o.dale = dale;
    o.bias = bias, o.inputs = in;
    v.push_back({o, b, t, tile});
  };
  add(7, 3, false, false, false, 0, 5, 20, 8);
  add(7, 3, true, true, true, 2, 11, 20, 8);
  add(9, 1, true, false, true, 3, 3, 15, 1);
  add(5, 32, false, true, false, 0, 9, 10, 8);
  add(12, 2, true, true, true, 1, 4, 12, 1);
  add(6, 2, true, false, true, 2, 10, 12, 8);
  add(8, 1, false, false, true, 0, 3, 10, 8);
  add(10, 3, true, true, true, 4, 17, 25, 8);
  add(1, 1, false, false, true, 1, 2, 8, 8);
  return cuda_test::cycle_activations(v);
}

// The emulated adjoint for cotangent dr, unpacked to names, against the reference's gradients:
// every name present with its shape, relative L2 error <= 1e-4.
void expect_gradients_match(const CellPlan& plan, const ir::Module& m, const cuda::PackedParams& pp,
                            const cuda::PackedRun& run, const cuda::EmulatedForward& fwd,
                            const Tensor& dr, int tile, const TensorMap& g_ref,
                            const std::string& label) {
  std::vector<float> drf(static_cast<size_t>(dr.numel()));
  for (int64_t k = 0; k < dr.numel(); ++k)
    drf[static_cast<size_t>(k)] = static_cast<float>(dr.at_f64(k));
  const cuda::DeviceGrads dg = cuda::emulate_backward(plan, pp, run, fwd, drf, tile);
  const TensorMap g = cuda::unpack_grads(plan, m, pp, run, dg);
  EXPECT_EQ(g.size(), g_ref.size());
  for (auto& [name, want] : g_ref) {
    ASSERT_TRUE(g.count(name)) << "no gradient for " << name;
    EXPECT_EQ(g.at(name).shape(), want.shape()) << name;
    EXPECT_LE(cuda_test::rel_l2(g.at(name), want), 1e-4) << name << " " << label;
  }
}

class KernelEmulation : public ::testing::TestWithParam<size_t> {};

TEST_P(KernelEmulation, MatchesTheFloat64Reference) {
  const EmuCase c = cases().at(GetParam());
  const ir::Module m = cuda_test::make_module(c.spec);
  std::mt19937_64 rng(1000 + GetParam());
  const TensorMap params = cuda_test::random_params(m, c.spec.act, rng);
  const TensorMap inputs = cuda_test::random_inputs(m, c.batch, c.steps, rng);
  const Tensor dr = cuda_test::random_cotangent(c.batch, c.steps, m.neurons, rng);

  auto ref = make_reference_executor(m);
  const Tensor r_ref = ref->forward(params, inputs);
  const TensorMap g_ref = ref->backward(dr);

  const CellPlan plan = plan_cell(m, "CUDA backend");
  const cuda::PackedParams pp = cuda::pack_params(plan, m, params);
  const cuda::PackedRun run = cuda::pack_run(plan, m, inputs, -1);
  const cuda::EmulatedForward fwd = cuda::emulate_forward(plan, pp, run, c.tile);
  const Tensor r = Tensor::f32({c.batch, c.steps, m.neurons}, fwd.r);
  EXPECT_LE(cuda_test::rel_l2(r, r_ref), 1e-5) << c.spec.label();

  expect_gradients_match(plan, m, pp, run, fwd, dr, c.tile, g_ref, c.spec.label());
}

INSTANTIATE_TEST_SUITE_P(Cases, KernelEmulation, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& i) {
                           const EmuCase c = cases().at(i.param);
                           return c.spec.label() + "_B" + std::to_string(c.batch) + "_tb" +
                                  std::to_string(c.tile);
                         });

// Spike noise z_t = nu(r_{t-1}) for each kind, over shapes the kernels handle at their edges: N not
// a multiple of 32, K = 1, T = 1, B not a multiple of the tile. Non-negative activations and r0 in
// [0.2, 1.5) keep the rates where the noise models act (gamma needs r >= 0). Same bounds as above.
struct NoiseEmuCase {
  SpecOptions spec;
  int64_t batch, steps;
  int tile;
};

std::vector<NoiseEmuCase> noise_cases() {
  std::vector<NoiseEmuCase> v;
  for (ir::Noise kind : {ir::Noise::Gamma, ir::Noise::Gauss, ir::Noise::PureGauss}) {
    auto add = [&](int64_t n, int64_t k, Activation a, bool tau, bool dale, bool bias, int64_t in,
                   int64_t b, int64_t t, int tile) {
      SpecOptions o;
      o.n = n, o.k = k, o.act = a, o.vector_alpha = tau, o.learn_tau = tau, o.dale = dale;
      o.bias = bias, o.inputs = in, o.noise = kind;
      v.push_back({o, b, t, tile});
    };
    add(7, 3, Activation::Softplus, true, true, true, 2, 5, 20, 8);
    add(33, 1, Activation::Relu, false, false, true, 0, 11, 12, 8);
    add(9, 2, Activation::Saturating, true, false, false, 3, 3, 1, 1);
    add(12, 1, Activation::Softplus, false, true, true, 1, 10, 15, 1);
  }
  return v;
}

RunOptions noise_options(int64_t steps, uint64_t seed) {
  RunOptions opt;
  opt.steps = steps;
  opt.noise_seed = seed;
  return opt;
}

class KernelEmulationNoise : public ::testing::TestWithParam<size_t> {};

TEST_P(KernelEmulationNoise, MatchesTheFloat64Reference) {
  const NoiseEmuCase c = noise_cases().at(GetParam());
  const ir::Module m = cuda_test::make_module(c.spec);
  std::mt19937_64 rng(5000 + GetParam());
  const TensorMap params = cuda_test::random_params(m, c.spec.act, rng);
  const TensorMap inputs = cuda_test::random_inputs(m, c.batch, c.steps, rng, true);
  const Tensor dr = cuda_test::random_cotangent(c.batch, c.steps, m.neurons, rng);
  const uint64_t seed = 0x5eed0000ull + GetParam();
  const RunOptions opt = noise_options(c.steps, seed);

  auto ref = make_reference_executor(m);
  const Tensor r_ref = ref->forward(params, inputs, opt);
  const TensorMap g_ref = ref->backward(dr);

  const CellPlan plan = plan_cell(m, "CUDA backend");
  ASSERT_TRUE(plan.has_noise());
  const cuda::PackedParams pp = cuda::pack_params(plan, m, params);
  const cuda::PackedRun run = cuda::pack_run(plan, m, inputs, c.steps);
  const cuda::EmulatedForward fwd = cuda::emulate_forward(plan, pp, run, c.tile, seed);
  const Tensor r = Tensor::f32({c.batch, c.steps, m.neurons}, fwd.r);
  EXPECT_LE(cuda_test::rel_l2(r, r_ref), 1e-5) << c.spec.label();

  // The draws do something: the same run without noise (z = r_prev) ends elsewhere.
  CellPlan quiet = plan;
  quiet.noise = ir::Noise::None;
  const Tensor r_quiet =
      Tensor::f32({c.batch, c.steps, m.neurons}, cuda::emulate_forward(quiet, pp, run, c.tile).r);
  EXPECT_GT(cuda_test::rel_l2(r_quiet, r_ref), 1e-4) << c.spec.label();

  expect_gradients_match(plan, m, pp, run, fwd, dr, c.tile, g_ref, c.spec.label());
}

INSTANTIATE_TEST_SUITE_P(Cases, KernelEmulationNoise,
                         ::testing::Range<size_t>(0, noise_cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& i) {
                           const NoiseEmuCase c = noise_cases().at(i.param);
                           return c.spec.label() + "_B" + std::to_string(c.batch) + "_T" +
                                  std::to_string(c.steps) + "_tb" + std::to_string(c.tile);
                         });

// The seed keys the draws: the same seed repeats them bit for bit, another one changes them, and
// the trial index is global (tiles of 1 and of 8 see the same draws).
TEST(KernelEmulationNoiseSelfCheck, SeedAndTileDetermineTheDraws) {
  SpecOptions o;
  o.n = 9, o.k = 2, o.act = Activation::Softplus, o.noise = ir::Noise::Gamma;
  const ir::Module m = cuda_test::make_module(o);
  std::mt19937_64 rng(11);
  const TensorMap params = cuda_test::random_params(m, o.act, rng);
  const TensorMap inputs = cuda_test::random_inputs(m, 10, 6, rng, true);
  const CellPlan plan = plan_cell(m, "CUDA backend");
  const cuda::PackedParams pp = cuda::pack_params(plan, m, params);
  const cuda::PackedRun run = cuda::pack_run(plan, m, inputs, 6);
  const auto a = cuda::emulate_forward(plan, pp, run, 8, 42);
  const auto b = cuda::emulate_forward(plan, pp, run, 1, 42);
  const auto c = cuda::emulate_forward(plan, pp, run, 8, 43);
  EXPECT_EQ(a.r, b.r);
  EXPECT_EQ(a.z, b.z);
  EXPECT_NE(a.r, c.r);
}

// The emulation must be able to fail: a wrong sign in the Dale mask's adjoint is caught.
TEST(KernelEmulationSelfCheck, DetectsAWrongGradient) {
  SpecOptions o;
  o.n = 6, o.k = 2, o.dale = true, o.act = Activation::Tanh;
  const ir::Module m = cuda_test::make_module(o);
  std::mt19937_64 rng(7);
  const TensorMap params = cuda_test::random_params(m, o.act, rng);
  const TensorMap inputs = cuda_test::random_inputs(m, 3, 6, rng);
  const Tensor dr = cuda_test::random_cotangent(3, 6, m.neurons, rng);
  auto ref = make_reference_executor(m);
  ref->forward(params, inputs);
  const TensorMap g_ref = ref->backward(dr);
  CellPlan plan = plan_cell(m, "CUDA backend");
  const cuda::PackedParams pp = cuda::pack_params(plan, m, params);
  const cuda::PackedRun run = cuda::pack_run(plan, m, inputs, -1);
  const auto fwd = cuda::emulate_forward(plan, pp, run, 8);
  std::vector<float> drf(static_cast<size_t>(dr.numel()));
  for (int64_t k = 0; k < dr.numel(); ++k)
    drf[static_cast<size_t>(k)] = static_cast<float>(dr.at_f64(k));
  const auto dg = cuda::emulate_backward(plan, pp, run, fwd, drf, 8);
  for (auto& part : plan.bank_parts) part.dale = false;  // forget the mask on the way back
  const TensorMap g = cuda::unpack_grads(plan, m, pp, run, dg);
  EXPECT_GT(cuda_test::rel_l2(g.at("Wo"), g_ref.at("Wo")), 1e-2);
}

}  // namespace
}  // namespace rnnjit
