// On a GPU (ctest label gpu): the CUDA executor's forward pass and every gradient against the
// float64 reference backend, relative L2 error <= 1e-5 (forward) and <= 1e-4 (gradients) at T =
// 100, over N in {7, 100, 256, 1000}, K in {1, 3, 32}, B in {1, 37, 256} and every activation, with
// both trial tiles, and with spike noise of every kind (gamma, gauss, puregauss: the kernels draw
// the same Philox counters as the reference for RunOptions::noise_seed; 2e-5 / 2e-4 there, see
// below). Fresh random inputs per case; the executor poisons its device outputs with NaN before
// each run (RNNJIT_CUDA_POISON=1), so anything a kernel fails to write shows up as an error.
// Without a device every test prints "SKIPPED: no CUDA device" and passes.
#include <gtest/gtest.h>

#include <cstdlib>

#include "compiler/cuda/cuda_codegen.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/cuda/cuda_executor.hpp"
#include "tests/cuda/cuda_test_specs.hpp"
#include "tests/cuda/require_device.hpp"

namespace rnnjit {
namespace {

using cuda_test::SpecOptions;
using ir::Activation;

struct GpuCase {
  SpecOptions spec;
  int64_t batch;
  int tile;  // forced RNNJIT_CUDA_TILE
};

// Every N, K, B and activation of the issue appears; the largest reference runs are kept to a few
// seconds (the float64 reference costs M N^2 B T).
std::vector<GpuCase> cases() {
  std::vector<GpuCase> v;
  auto add = [&](int64_t n, int64_t k, Activation a, bool tau, bool dale, bool bias, int64_t in,
                 int64_t b, int tile, ir::Noise noise = ir::Noise::None) {
    SpecOptions o;
    o.n = n, o.k = k, o.act = a, o.vector_alpha = tau, o.learn_tau = tau, o.dale = dale;
    o.bias = bias, o.inputs = in, o.noise = noise;
    v.push_back({o, b, tile});
  };
  add(7, 32, Activation::Relu, false, false, false, 0, 256, 8);
  add(7, 1, Activation::Gelu, true, true, true, 2, 37, 1);
  add(7, 3, Activation::PowerLaw, false, false, true, 0, 1, 8);
  add(100, 3, Activation::GeluTanh, true, true, false, 0, 37, 8);
  add(100, 32, Activation::Tanh, false, false, true, 3, 1, 8);
  add(100, 1, Activation::Silu, true, false, true, 0, 256, 8);
  add(100, 3, Activation::Relu, false, true, false, 5, 256, 1);
  add(256, 3, Activation::Softplus, true, false, false, 0, 1, 8);
  add(256, 1, Activation::Saturating, true, true, true, 4, 37, 8);
  add(256, 3, Activation::Tanh, false, false, false, 0, 256, 8);
  add(1000, 1, Activation::Gelu, false, false, true, 0, 1, 8);
  add(1000, 3, Activation::Silu, true, true, false, 2, 1, 1);
  add(1000, 1, Activation::Relu, false, false, false, 0, 37, 8);
  // Spike noise, with softplus or saturating rates: positive and away from 0, where the noise
  // models act (a relu cell lets rates decay towards 0, where the gamma and gauss draws become
  // arbitrarily sensitive to r and fp32 cannot follow fp64 at T = 100).
  add(7, 3, Activation::Softplus, true, true, true, 2, 37, 8, ir::Noise::Gamma);
  add(33, 32, Activation::Saturating, false, false, true, 0, 1, 8, ir::Noise::Gamma);
  add(100, 3, Activation::Softplus, false, true, false, 3, 37, 1, ir::Noise::Gamma);
  add(100, 1, Activation::Softplus, false, false, true, 0, 256, 8, ir::Noise::Gauss);
  add(1000, 1, Activation::Softplus, false, false, false, 0, 1, 8, ir::Noise::Gauss);
  add(256, 3, Activation::Softplus, true, false, false, 0, 37, 1, ir::Noise::PureGauss);
  add(7, 1, Activation::Saturating, false, false, true, 1, 256, 8, ir::Noise::PureGauss);
  return v;
}

class CudaVsReference : public ::testing::TestWithParam<size_t> {};

TEST_P(CudaVsReference, ForwardAndEveryGradient) {
  REQUIRE_CUDA_DEVICE();
  const GpuCase c = cases().at(GetParam());
  constexpr int64_t kSteps = 100;
  ::setenv("RNNJIT_CUDA_POISON", "1", 1);
  ::setenv("RNNJIT_CUDA_TILE", std::to_string(c.tile).c_str(), 1);
  // Unset on every way out of the test (an ASSERT returns early), so later tests pick their tile.
  struct UnsetTile {
    ~UnsetTile() { ::unsetenv("RNNJIT_CUDA_TILE"); }
  } unset_tile;
  const ir::Module m = cuda_test::make_module(c.spec);
  std::random_device rd;
  std::mt19937_64 rng(rd());  // fresh inputs every run
  const TensorMap params = cuda_test::random_params(m, c.spec.act, rng);
  const bool noisy = c.spec.noise != ir::Noise::None;
  const TensorMap inputs = cuda_test::random_inputs(m, c.batch, kSteps, rng, noisy);
  const Tensor dr = cuda_test::random_cotangent(c.batch, kSteps, m.neurons, rng);
  RunOptions opt;
  opt.steps = kSteps;
  opt.noise_seed = rng();

  ExecutorConfig cfg;
  cfg.backend = "cuda";
  auto gpu = make_cuda_executor(m, cfg);
  auto ref = make_reference_executor(m);
  const Tensor r_ref = ref->forward(params, inputs, opt);
  const TensorMap g_ref = ref->backward(dr);
  // With noise the fp32 draws differ from the fp64 ones by rounding (a float uniform has 23 bits,
  // and the gamma inversion amplifies it), as in the CPU backend's fp32 noise tests: 2e-5 / 2e-4.
  const double fwd_tol = noisy ? 2e-5 : 1e-5, grad_tol = noisy ? 2e-4 : 1e-4;
  for (int rep = 0; rep < 2; ++rep) {  // twice: buffers reused across runs must not leak state
    const Tensor r = gpu->forward(params, inputs, opt);
    EXPECT_EQ(r.shape(), r_ref.shape());
    EXPECT_LE(cuda_test::rel_l2(r, r_ref), fwd_tol) << c.spec.label() << " B=" << c.batch;
    const TensorMap g = gpu->backward(dr);
    EXPECT_EQ(g.size(), g_ref.size());
    for (auto& [name, want] : g_ref) {
      ASSERT_TRUE(g.count(name)) << "no gradient for " << name;
      EXPECT_LE(cuda_test::rel_l2(g.at(name), want), grad_tol)
          << name << " " << c.spec.label() << " B=" << c.batch;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CudaVsReference, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& i) {
                           const GpuCase c = cases().at(i.param);
                           return c.spec.label() + "_B" + std::to_string(c.batch) + "_tb" +
                                  std::to_string(c.tile);
                         });

// The noise seed reaches the kernels: the same seed repeats r bit for bit, another changes it.
TEST(CudaExecutorGpu, NoiseSeedDeterminesTheDraws) {
  REQUIRE_CUDA_DEVICE();
  SpecOptions o;
  o.n = 33, o.k = 2, o.act = Activation::Softplus, o.noise = ir::Noise::Gamma;
  const ir::Module m = cuda_test::make_module(o);
  std::mt19937_64 rng(5);
  const TensorMap params = cuda_test::random_params(m, o.act, rng);
  const TensorMap inputs = cuda_test::random_inputs(m, 9, 20, rng, true);
  ExecutorConfig cfg;
  auto gpu = make_cuda_executor(m, cfg);
  RunOptions opt;
  opt.noise_seed = 1;
  const Tensor a = gpu->forward(params, inputs, opt);
  const Tensor b = gpu->forward(params, inputs, opt);
  opt.noise_seed = 2;
  const Tensor c = gpu->forward(params, inputs, opt);
  EXPECT_EQ(cuda_test::rel_l2(a, b), 0.0);
  EXPECT_GT(cuda_test::rel_l2(c, a), 1e-3);
}

TEST(CudaExecutorGpu, ShapeMismatchNamesBothShapes) {
  REQUIRE_CUDA_DEVICE();
  SpecOptions o;
  o.n = 16, o.k = 3;
  const ir::Module m = cuda_test::make_module(o);
  std::mt19937_64 rng(3);
  TensorMap params = cuda_test::random_params(m, o.act, rng);
  params["Wo"] = Tensor(DType::F64, {3, 4});
  ExecutorConfig cfg;
  auto gpu = make_cuda_executor(m, cfg);
  try {
    gpu->forward(params, cuda_test::random_inputs(m, 2, 5, rng));
    FAIL() << "bad shape accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[3,4]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[16,16]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gpu->backward(Tensor(DType::F64, {2, 5, 16})), std::logic_error);
}

TEST(CudaExecutorGpu, ProbeSaysWhyWhenThereIsNoDevice) {
  std::string why;
  if (cuda_probe_device(&why)) {
    EXPECT_TRUE(why.empty());
  } else {
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(why.find('\n'), std::string::npos) << why;  // one line
  }
}

}  // namespace
}  // namespace rnnjit
