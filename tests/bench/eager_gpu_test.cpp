// The eager GPU reference (bench/references/eager_gpu.*) without a GPU (CI):
//  - its op sequence on the host twin of the kernels against the float64 interpreter, forward
//    and every gradient, for every activation, N not a multiple of 32, K = 1, T = 1, Dale's law,
//    per-neuron leak, bias and input terms (eager_gpu_cases.hpp);
//  - its CUDA kernels compiled by NVRTC for sm_80 and sm_90 for every activation.
// eager_gpu_device_test.cpp runs the same cases on a GPU.
#include <gtest/gtest.h>

#include "bench/references/eager_gpu.hpp"
#include "bench/references/eager_ops.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/cuda/nvrtc_compile.hpp"
#include "runtime/core/executor.hpp"
#include "tests/bench/eager_gpu_cases.hpp"

namespace rnnjit {
namespace {

using cuda_test::SpecOptions;
using ir::Activation;

using cuda_test::eager_cases;
using cuda_test::EagerCase;

class EagerGpuHost : public ::testing::TestWithParam<size_t> {};

TEST_P(EagerGpuHost, OpSequenceMatchesTheFloat64Reference) {
  const EagerCase c = eager_cases().at(GetParam());
  auto eager = bench::make_eager_gpu_host_emulation(cuda_test::make_module(c.spec));
  EXPECT_EQ(eager->backend(), "eager-gpu-host");
  cuda_test::check_eager_against_reference(*eager, c, 4000 + GetParam());
}

INSTANTIATE_TEST_SUITE_P(Cases, EagerGpuHost, ::testing::Range<size_t>(0, eager_cases().size()),
                         cuda_test::eager_case_name);

TEST(EagerGpuHostErrors, SpikeNoiseAndWrongShapesAreRefusedClearly) {
  const ModelSpec spec = parse_spec_string(
      "version: 1\nname: v\nneurons: 4\nactivation: relu\nalpha: 0.1\n"
      "recurrent: [{name: W, learn: true}]\nnoise: {kind: gauss, factor: 0.1}\n");
  try {
    bench::make_eager_gpu_host_emulation(compile_module(spec));
    FAIL() << "noise accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("spike noise"), std::string::npos) << e.what();
  }
  SpecOptions o;
  o.n = 5, o.k = 2;
  const ir::Module m = cuda_test::make_module(o);
  std::mt19937_64 rng(3);
  auto eager = bench::make_eager_gpu_host_emulation(m);
  eager->forward(cuda_test::random_params(m, o.act, rng), cuda_test::random_inputs(m, 2, 3, rng));
  try {
    eager->backward(cuda_test::random_cotangent(2, 4, 5, rng));
    FAIL() << "wrong dr shape accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[2,4,5]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[2,3,5]"), std::string::npos) << e.what();
  }
}

// NVRTC needs no GPU: the kernel source compiles for both architectures and every activation.
TEST(EagerGpuKernels, CompileWithNvrtcForEveryActivation) {
  for (Activation a : ir::all_activations()) {
    const std::string src = bench::eager_kernels_source(a, 60.0);
    for (const char* arch : {"sm_80", "sm_90"}) {
      std::string ptx;
      try {
        ptx = nvrtc_compile(src, arch, false);
      } catch (const NvrtcCompileError& e) {
        FAIL() << ir::name(a) << " " << arch << ": " << e.what() << "\n" << e.log();
      } catch (const std::runtime_error& e) {
        GTEST_SKIP() << "NVRTC unavailable: " << e.what();
      }
      for (const char* k :
           {"eager_gate_combine", "eager_gate_spread", "eager_gate_grads", "eager_row_sum",
            "eager_act", "eager_leak", "eager_leak_backward", "eager_act_backward",
            "eager_col_sum_add", "eager_add", "eager_add_bias", "eager_add_row_scalar"})
        EXPECT_NE(ptx.find(k), std::string::npos) << k << " missing for " << ir::name(a);
    }
  }
  // The device loads SASS (cubin), compiled the same way.
  const std::string cubin =
      nvrtc_compile(bench::eager_kernels_source(Activation::Gelu, 60.0), "sm_90", true);
  EXPECT_GT(cubin.size(), 1000u);
  EXPECT_EQ(cubin.substr(1, 3), "ELF");
}

}  // namespace
}  // namespace rnnjit
