// CI (no GPU): the device optimiser's host twin (runtime/cuda/param_segments, the element functions
// of math/optimizer_math.hpp that templates/optimizer.cuh runs) against what the host trainer
// does with the same gradients: unpack_grads (the prologue's chain rule), train::Adam in float64
// and pack_params of the updated parameters. Three steps, so the moments and bias corrections
// matter; a tight clip norm, so clipping is exercised; Dale masks, input scales, bias and tau
// partial sums, non-negative projection.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "runtime/cuda/host_pack.hpp"
#include "runtime/train/cuda/param_segments.hpp"
#include "tests/cuda/cuda_test_specs.hpp"

namespace rnnjit {
namespace {

using cuda_test::SpecOptions;

struct SegCase {
  SpecOptions spec;
  double clip;
};

std::vector<SegCase> seg_cases() {
  std::vector<SegCase> v;
  auto add = [&](int64_t n, int64_t k, bool tau, bool dale, bool bias, int64_t in, bool dense,
                 double clip) {
    SpecOptions o;
    o.n = n, o.k = k, o.vector_alpha = tau, o.learn_tau = tau, o.dale = dale, o.bias = bias;
    o.inputs = in, o.dense = dense;
    v.push_back({o, clip});
  };
  add(7, 2, false, false, false, 0, true, 1.0);  // the ring: Wo and a gated bank of K = 2
  add(10, 0, true, true, true, 3, true, 1.0);    // the VWM family: Dale, W_in, bias, tau
  add(33, 1, true, true, true, 2, true, 0.05);   // N not a multiple of 32, K = 1, clipping
  add(5, 3, false, false, true, 1, false, 0.0);  // no dense term, no clipping
  return v;
}

// |a - b| <= atol + rtol |b| elementwise, with the first failure named.
void expect_close(const std::vector<float>& got, const std::vector<float>& want, double rtol,
                  double atol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t k = 0; k < got.size(); ++k)
    ASSERT_NEAR(got[k], want[k], atol + rtol * std::abs(want[k])) << what << " element " << k;
}

class ParamSegmentsTwin : public ::testing::TestWithParam<size_t> {};

TEST_P(ParamSegmentsTwin, MatchesHostAdamThroughPackAndUnpack) {
  const SegCase c = seg_cases()[GetParam()];
  const ir::Module m = cuda_test::make_module(c.spec);
  const CellPlan plan = plan_cell(m, "CUDA backend");
  std::mt19937_64 rng(0x5e9 + GetParam());
  TensorMap params = cuda_test::random_params(m, c.spec.act, rng);
  // Masters are float32 on the device: start both sides from float32-representable values.
  for (auto& [name, t] : params) t = t.to(DType::F32).to(DType::F64);
  std::set<std::string> nonneg, learned;
  for (const ir::Value& v : m.values) {
    if (v.nonnegative) nonneg.insert(v.name);
    if ((v.role == ir::Role::Param || v.role == ir::Role::Buffer) && v.learn)
      learned.insert(v.name);
  }

  std::vector<cuda::ParamSegment> segs = cuda::plan_segments(plan, m, nonneg);
  ASSERT_EQ(segs.size(), learned.size());
  // A tensor outside the cell, as the VWM readout F [2M, N]: updated like the others.
  const std::vector<int64_t> f_shape{4, plan.n};
  {
    Tensor f(DType::F64, f_shape);
    std::normal_distribution<double> nd(0.0, 0.2);
    for (int64_t e = 0; e < f.numel(); ++e) f.data<double>()[e] = static_cast<float>(nd(rng));
    params["F"] = f;
    learned.insert("F");
    cuda::append_extra_segment(segs, "F", f_shape, false);
  }
  std::vector<float> f_twin(static_cast<size_t>(4 * plan.n));
  for (size_t e = 0; e < f_twin.size(); ++e)
    f_twin[e] = static_cast<float>(params.at("F").at_f64(static_cast<int64_t>(e)));
  std::vector<float> masters = cuda::masters_from(segs, params);
  std::vector<float> mom1(masters.size(), 0.f), mom2(masters.size(), 0.f);
  cuda::PackedParams twin = cuda::pack_params(plan, m, params);

  train::AdamConfig cfg;
  cfg.lr = 1e-2;  // large steps: the packed values move visibly
  cfg.clip_norm = c.clip;
  train::Adam adam(cfg);
  cuda::PackedRun run;
  run.batch = 2, run.steps = 3;
  for (int step = 1; step <= 3; ++step) {
    // What the adjoint and weight-gradient kernels would leave on the device.
    cuda::DeviceGrads g;
    g.parts = 3;
    const int64_t n = plan.n, bt = run.batch * run.steps;
    g.dr0 = cuda_test::random_floats(static_cast<size_t>(run.batch * n), rng, 1.0);
    g.dgates = cuda_test::random_floats(static_cast<size_t>(bt * plan.gate_columns), rng, 1.0);
    g.du = cuda_test::random_floats(static_cast<size_t>(bt * plan.input_columns), rng, 1.0);
    g.dbank = cuda_test::random_floats(static_cast<size_t>(plan.m() * n * n), rng, 0.3);
    g.dw_in = cuda_test::random_floats(static_cast<size_t>(n * plan.input_columns), rng, 0.3);
    g.dalpha_part = cuda_test::random_floats(static_cast<size_t>(g.parts * n), rng, 0.3);
    g.dbias_part = cuda_test::random_floats(static_cast<size_t>(g.parts * n), rng, 0.3);

    // The host trainer's step.
    const std::vector<float> g_f = cuda_test::random_floats(f_twin.size(), rng, 0.3);
    const cuda::PackedParams before = cuda::pack_params(plan, m, params);
    TensorMap grads;
    for (auto& [name, t] : cuda::unpack_grads(plan, m, before, run, g))
      if (learned.count(name)) grads[name] = t;
    grads["F"] = Tensor::f32(f_shape, g_f);
    const double norm = adam.step(params, grads, nonneg);
    const cuda::PackedParams want = cuda::pack_params(plan, m, params);

    // The twin's, on the packed buffers in place.
    cuda::PackedBufferPtrs bufs;
    bufs.bank = twin.bank.data(), bufs.bank_t = twin.bank_t.data(), bufs.w_in = twin.w_in.data();
    bufs.bias = twin.bias.data(), bufs.alpha = twin.alpha.data();
    bufs.dbank = g.dbank.data(), bufs.dw_in = g.dw_in.data();
    bufs.dbias_part = g.dbias_part.data(), bufs.dalpha_part = g.dalpha_part.data();
    bufs.parts = g.parts;
    bufs.extra = f_twin.data(), bufs.dextra = g_f.data();
    double sumsq = 0;
    for (const cuda::ParamSegment& s : segs)
      sumsq += cuda::twin_sumsq(cuda::bind_segment(s, bufs), masters.data() + s.offset);
    ASSERT_NEAR(std::sqrt(sumsq), norm, 1e-5 * norm) << "global gradient norm, step " << step;
    const opt::AdamStep a = cuda::adam_step_scalars(cfg, step, adam.clip_scale(std::sqrt(sumsq)));
    for (const cuda::ParamSegment& s : segs)
      cuda::twin_adam(cuda::bind_segment(s, bufs), masters.data() + s.offset,
                      mom1.data() + s.offset, mom2.data() + s.offset, a);

    const std::string at = c.spec.label() + " step " + std::to_string(step);
    TensorMap from_masters;
    cuda::masters_to(segs, masters, from_masters);
    for (const cuda::ParamSegment& s : segs) {
      std::vector<float> got, exp;
      for (int64_t e = 0; e < s.view.count; ++e) {
        got.push_back(static_cast<float>(from_masters.at(s.name).at_f64(e)));
        exp.push_back(static_cast<float>(params.at(s.name).at_f64(e)));
      }
      expect_close(got, exp, 1e-5, 2e-6, at + " master " + s.name);
    }
    expect_close(twin.bank, want.bank, 1e-5, 2e-6, at + " bank");
    expect_close(twin.bank_t, want.bank_t, 1e-5, 2e-6, at + " bank_t");
    expect_close(twin.w_in, want.w_in, 1e-5, 2e-6, at + " w_in");
    expect_close(twin.bias, want.bias, 1e-5, 2e-6, at + " bias");
    expect_close(twin.alpha, want.alpha, 1e-5, 1e-7, at + " alpha");
    std::vector<float> f_want(f_twin.size());
    for (size_t e = 0; e < f_want.size(); ++e)
      f_want[e] = static_cast<float>(params.at("F").at_f64(static_cast<int64_t>(e)));
    expect_close(f_twin, f_want, 1e-5, 2e-6, at + " extra F");
    // Projection: every non-negative master stays >= 0.
    for (const cuda::ParamSegment& s : segs) {
      if (!s.view.project) continue;
      for (int64_t e = 0; e < s.view.count; ++e)
        ASSERT_GE(masters[static_cast<size_t>(s.offset + e)], 0.f) << at << " " << s.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ParamSegmentsTwin, ::testing::Range<size_t>(0, seg_cases().size()),
                         [](const auto& info) {
                           return "case" + std::to_string(info.param) + "_" +
                                  seg_cases()[info.param].spec.label();
                         });

TEST(ParamSegments, MastersRoundTripAndShapesAreChecked) {
  SpecOptions o;
  o.n = 6, o.k = 2, o.bias = true, o.inputs = 2, o.vector_alpha = true, o.learn_tau = true;
  const ir::Module m = cuda_test::make_module(o);
  const CellPlan plan = plan_cell(m, "CUDA backend");
  std::mt19937_64 rng(11);
  TensorMap params = cuda_test::random_params(m, o.act, rng);
  const auto segs = cuda::plan_segments(plan, m, {});
  const std::vector<float> masters = cuda::masters_from(segs, params);
  EXPECT_EQ(static_cast<int64_t>(masters.size()), cuda::total_elements(segs));
  TensorMap back;
  cuda::masters_to(segs, masters, back);
  for (auto& [name, t] : back) {
    ASSERT_EQ(t.shape(), params.at(name).shape()) << name;
    for (int64_t e = 0; e < t.numel(); ++e)
      ASSERT_EQ(t.at_f64(e), static_cast<float>(params.at(name).at_f64(e))) << name;
  }
  // The name filter keeps only the named tensors, in plan order.
  const std::set<std::string> only{segs.back().name};
  const auto some = cuda::plan_segments(plan, m, {}, &only);
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].name, segs.back().name);
  EXPECT_EQ(some[0].offset, 0);
  // A wrong shape names the tensor.
  const std::string first = segs.front().name;
  params[first] = Tensor(DType::F64, {1, 2});
  try {
    cuda::masters_from(segs, params);
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find(first), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rnnjit
