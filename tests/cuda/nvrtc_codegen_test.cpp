// CI tests of the CUDA code generator (no GPU needed): NVRTC compiles the generated kernels for
// sm_80 and sm_90 across the specialisation matrix, the PTX holds every kernel entry, and bad input
// gets a clear error.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <chrono>
#include <fstream>
#include <set>

#include "compiler/cuda/cuda_codegen.hpp"
#include "runtime/cuda/nvrtc_api.hpp"
#include "runtime/cuda/nvrtc_compile.hpp"
#include "tests/cuda/cuda_test_specs.hpp"

namespace rnnjit {
namespace {

using cuda_test::SpecOptions;
using ir::Activation;

#define REQUIRE_NVRTC()                                                   \
  do {                                                                    \
    std::string why;                                                      \
    if (!cuda::nvrtc_available(&why)) GTEST_SKIP() << "SKIPPED: " << why; \
  } while (0)

void expect_entries(const std::string& ptx, const std::string& what) {
  for (int tb : cuda::kTileVariants) {
    EXPECT_NE(ptx.find(".entry " + cuda::forward_entry(tb)), std::string::npos) << what;
    EXPECT_NE(ptx.find(".entry " + cuda::adjoint_entry(tb)), std::string::npos) << what;
  }
  EXPECT_NE(ptx.find(std::string(".entry ") + cuda::kWeightGradBankEntry), std::string::npos)
      << what;
  EXPECT_NE(ptx.find(std::string(".entry ") + cuda::kWeightGradInputEntry), std::string::npos)
      << what;
  EXPECT_NE(ptx.find(cuda::kLayoutSymbol), std::string::npos) << what;
}

// The specialisations CI compiles: N in {1, 7, 100, 256, 1000}, K in {1, 3, 32}, scalar and
// per-neuron alpha, Dale's law, bias and input terms, and every activation (cycle_activations: 12
// specs while there are at most 12 activations).
std::vector<SpecOptions> ci_matrix() {
  std::vector<SpecOptions> v;
  auto add = [&](int64_t n, int64_t k, bool tau, bool dale, bool bias, int64_t in) {
    SpecOptions o;
    o.n = n, o.k = k, o.vector_alpha = tau, o.dale = dale, o.bias = bias, o.inputs = in;
    v.push_back(o);
  };
  add(1, 1, false, false, false, 0);
  add(7, 3, true, true, false, 0);
  add(100, 32, false, false, true, 0);
  add(256, 3, true, false, false, 5);
  add(1000, 1, false, true, true, 0);
  add(7, 32, false, false, false, 2);
  add(100, 1, true, true, true, 6);
  add(256, 32, true, true, false, 0);
  add(1000, 3, true, false, true, 3);
  add(1, 3, true, true, true, 1);
  add(256, 0, false, true, false, 0);  // no gated term: a constant-slot bank
  SpecOptions only_input;              // no bank at all: uniform term and input only
  only_input.n = 100, only_input.k = 0, only_input.dense = false, only_input.inputs = 4;
  v.push_back(only_input);
  return cuda_test::cycle_activations(v);
}

class CudaCodegenMatrix : public ::testing::TestWithParam<size_t> {};

// One spec of the matrix per test case; alternate specs go to sm_80 and sm_90 so both
// architectures see every N and activation family while CI compiles each spec only once.
TEST_P(CudaCodegenMatrix, NvrtcCompilesAndPtxHasTheKernels) {
  REQUIRE_NVRTC();
  const SpecOptions o = ci_matrix().at(GetParam());
  const std::string src = emit_cuda_source(cuda_test::make_module(o), "fp32");
  const std::string arch = GetParam() % 2 == 0 ? "sm_80" : "sm_90";
  std::string log;
  const std::string ptx = nvrtc_compile(src, arch, /*cubin=*/false, &log);
  expect_entries(ptx, o.label() + " " + arch);
  EXPECT_NE(ptx.find(".target " + arch), std::string::npos) << o.label();
}

INSTANTIATE_TEST_SUITE_P(Specs, CudaCodegenMatrix, ::testing::Range<size_t>(0, ci_matrix().size()),
                         [](const ::testing::TestParamInfo<size_t>& i) {
                           return ci_matrix().at(i.param).label();
                         });

TEST(CudaCodegen, MatrixCoversTheIssue) {
  const auto m = ci_matrix();
  EXPECT_GE(m.size(), 12u);
  std::set<int64_t> ns, ks;
  std::set<Activation> acts;
  bool tau = false, scalar = false, dale = false, bias = false, input = false;
  for (auto& o : m) {
    ns.insert(o.n), ks.insert(o.k), acts.insert(o.act);
    tau |= o.vector_alpha, scalar |= !o.vector_alpha, dale |= o.dale, bias |= o.bias;
    input |= o.inputs > 0;
  }
  for (int64_t n : {1, 7, 100, 256, 1000}) EXPECT_TRUE(ns.count(n)) << n;
  for (int64_t k : {1, 3, 32}) EXPECT_TRUE(ks.count(k)) << k;
  EXPECT_EQ(acts.size(), ir::all_activations().size());
  EXPECT_TRUE(tau && scalar && dale && bias && input);
}

TEST(CudaCodegen, CubinIsAnElfImage) {
  REQUIRE_NVRTC();
  SpecOptions o;  // small: ptxas time grows with N
  o.n = 7, o.k = 1, o.act = Activation::Gelu;
  const std::string src = emit_cuda_source(cuda_test::make_module(o), "fp32");
  for (const char* arch : {"sm_90"}) {
    const std::string cubin = nvrtc_compile(src, arch, /*cubin=*/true);
    ASSERT_GT(cubin.size(), 4u) << arch;
    EXPECT_EQ(cubin.substr(0, 4), std::string("\x7f"
                                              "ELF",
                                              4))
        << arch;
  }
}

TEST(CudaCodegen, SourceIsSpecialisedOnTheCell) {
  SpecOptions o;
  o.n = 100, o.k = 3, o.act = Activation::Saturating, o.vector_alpha = true, o.bias = true;
  const std::string src = emit_cuda_source(cuda_test::make_module(o), "fp32");
  EXPECT_NE(src.find("static constexpr int N = 100, M = 4, G = 3, I = 0"), std::string::npos)
      << src;
  // phi printed from compiler/activation_table.hpp with S = 40 baked in: (S/2) (1 + tanh v).
  EXPECT_NE(src.find("// phi = saturating"), std::string::npos);
  EXPECT_NE(src.find("tanhf(t1)"), std::string::npos);
  EXPECT_NE(src.find(" = 20.0f * t3;"), std::string::npos);
  EXPECT_NE(src.find("return rnnjit_phi(s);"), std::string::npos);
  EXPECT_NE(src.find("kAlphaVector = true"), std::string::npos);
  EXPECT_NE(src.find("kBias = true"), std::string::npos);
  EXPECT_NE(src.find("kRowSum = -0.100000001f"), std::string::npos);
  // Slots: the dense term with its scale, then the three gate channels.
  EXPECT_NE(src.find("rnnjit_slot_coef[4] = {0.100000001f, 1.0f, 1.0f, 1.0f}"), std::string::npos);
  EXPECT_NE(src.find("rnnjit_slot_gate[4] = {-1, 0, 1, 2}"), std::string::npos);
  EXPECT_EQ(src.find("#pragma once"), std::string::npos);
  EXPECT_EQ(src.find("#include"), std::string::npos);  // self-contained for NVRTC
}

TEST(CudaCodegen, ReducedPrecisionsAreNotSupportedYet) {
  const ir::Module m = cuda_test::make_module({});
  for (const char* p : {"tf32", "bf16"}) {
    try {
      emit_cuda_source(m, p);
      FAIL() << p << " accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("not supported yet"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(emit_cuda_source(m, "fp16"), std::runtime_error);
}

// Spike noise z = nu(r_prev): every kind compiles (the Philox and gamma-inversion code of
// math/noise_math.hpp is pasted into the unit), on both architectures between the kinds.
class CudaCodegenNoise : public ::testing::TestWithParam<ir::Noise> {};

TEST_P(CudaCodegenNoise, NvrtcCompilesAndPtxHasTheKernels) {
  REQUIRE_NVRTC();
  SpecOptions o;
  o.n = 33, o.k = 3, o.act = Activation::Softplus, o.vector_alpha = true, o.dale = true;
  o.bias = true, o.inputs = 2, o.noise = GetParam(), o.noise_factor = 0.1;
  const std::string src = emit_cuda_source(cuda_test::make_module(o), "fp32");
  EXPECT_NE(src.find(fmt::format("kNoise = {};", static_cast<int>(GetParam()))), std::string::npos)
      << src;
  EXPECT_NE(src.find("kNoiseFactor = 0.100000001f, kNoiseDt = 10.0f"), std::string::npos);
  EXPECT_EQ(src.find("#include"), std::string::npos);  // self-contained for NVRTC
  const std::string arch = GetParam() == ir::Noise::Gauss ? "sm_80" : "sm_90";
  std::string log;
  const std::string ptx = nvrtc_compile(src, arch, /*cubin=*/false, &log);
  expect_entries(ptx, o.label() + " " + arch);
}

INSTANTIATE_TEST_SUITE_P(Kinds, CudaCodegenNoise,
                         ::testing::Values(ir::Noise::Gamma, ir::Noise::Gauss,
                                           ir::Noise::PureGauss),
                         [](const ::testing::TestParamInfo<ir::Noise>& i) {
                           return std::string(ir::name(i.param));
                         });

TEST(CudaCodegen, NoiseFreeCellCompilesTheNoiseOut) {
  const std::string src = emit_cuda_source(cuda_test::make_module({}), "fp32");
  EXPECT_NE(src.find("kNoise = 0;"), std::string::npos) << src;
}

TEST(CudaCodegen, NoiseOfTheWrongKindOfOperandIsRejected) {
  ir::Module m = cuda_test::make_module([] {
    SpecOptions o;
    o.noise = ir::Noise::Gauss;
    return o;
  }());
  for (ir::Op& op : m.step)  // the bank now reads r_prev instead of the draw
    if (op.kind == ir::OpKind::BankMatVec) op.operands[1] = m.state_in;
  try {
    emit_cuda_source(m, "fp32");
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not supported yet"), std::string::npos) << e.what();
  }
}

// A noise op after the terms that read r_prev (hand-built IR; lower() puts it first) would have the
// kernels feed them the draw: rejected, not silently changed.
TEST(CudaCodegen, NoiseAfterItsUsersIsRejected) {
  ir::Module m = cuda_test::make_module([] {
    SpecOptions o;
    o.noise = ir::Noise::Gamma;
    return o;
  }());
  for (ir::Op& op : m.step)
    if (op.kind == ir::OpKind::BankMatVec || op.kind == ir::OpKind::RowSum)
      op.operands[op.kind == ir::OpKind::BankMatVec ? 1 : 0] = m.state_in;
  auto noise = std::find_if(m.step.begin(), m.step.end(),
                            [](const ir::Op& op) { return op.kind == ir::OpKind::Noise; });
  ASSERT_NE(noise, m.step.end());
  std::rotate(noise, noise + 1, m.step.end());  // the noise op is now the last one
  try {
    emit_cuda_source(m, "fp32");
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("spike noise after a term that reads r_prev"),
              std::string::npos)
        << e.what();
  }
}

TEST(CudaCodegen, BrokenSourceReportsTheLogAndTheSourcePath) {
  REQUIRE_NVRTC();
  const std::string broken = "extern \"C\" __global__ void k() { this_is_not_declared = 1; }\n";
  try {
    nvrtc_compile(broken, "sm_90", false);
    FAIL() << "broken source compiled";
  } catch (const NvrtcCompileError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("this_is_not_declared"), std::string::npos) << what;  // the NVRTC log
    EXPECT_FALSE(e.source_path().empty());
    EXPECT_NE(what.find(e.source_path()), std::string::npos) << what;
    std::ifstream in(e.source_path());
    std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(written, broken);
  }
}

TEST(CudaCodegen, MalformedArchitectureIsRejected) {
  EXPECT_THROW(nvrtc_compile("", "90", false), std::runtime_error);
  EXPECT_THROW(nvrtc_compile("", "compute_90; rm", false), std::runtime_error);
}

}  // namespace
}  // namespace rnnjit
