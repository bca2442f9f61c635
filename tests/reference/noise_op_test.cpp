// The Noise op of the reference backend (spike noise on the presynaptic rates, issue 6):
//   - the whole cell with gamma, gauss and puregauss noise: every gradient backward() returns
//     against float64 central differences (a fixed RunOptions::noise_seed makes the run a
//     deterministic function of its inputs), N in {1,7} x T in {1,5} x B in {1,3};
//   - reproducibility: the same seed gives the same rates, another seed other rates;
//   - the op draws step t's noise with counter t = the 0-based step index;
//   - gamma noise is unbiased: z averaged over many seeds approaches r.
// The activation is softplus, so rates stay positive (the noise models assume r >= 0), and noise
// seeds are redrawn until no element sits within a margin of a kink (the relu of gauss and
// puregauss, the shape clamp of gamma), so central differences never straddle one.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "compiler/lower.hpp"
#include "compiler/noise_kind.hpp"
#include "math/noise_math.hpp"
#include "runtime/reference/reference_executor.hpp"
#include "tests/reference/fd_check.hpp"

namespace rnnjit::reftest {
namespace {

constexpr double kTolerance = 1e-7;
constexpr double kKinkMargin = 2e-3;

struct NoiseCase {
  ir::Noise kind;
  double factor;
  int64_t n, t, b;
};

std::string case_name(const ::testing::TestParamInfo<NoiseCase>& info) {
  const NoiseCase& c = info.param;
  return std::string(ir::name(c.kind)) + "_N" + std::to_string(c.n) + "_T" + std::to_string(c.t) +
         "_B" + std::to_string(c.b);
}

CellConfig cell_config(const NoiseCase& nc) {
  CellConfig c{nc.n, 2, nc.t, nc.b, ir::Activation::Softplus};
  c.per_neuron_alpha = true;
  c.dale = true;
  c.bias = true;
  c.input = true;
  return c;
}

ir::Module noisy_module(const NoiseCase& nc) {
  ModelSpec spec = make_spec(cell_config(nc));
  spec.noise.kind = nc.kind;
  spec.noise.factor = nc.factor;
  return compile_module(spec);
}

int noise_op_operand(const ir::Module& m) {
  for (const ir::Op& op : m.step)
    if (op.kind == ir::OpKind::Noise) return op.operands[0];
  throw std::logic_error("module has no Noise op");
}

const ir::Op& noise_op(const ir::Module& m) {
  for (const ir::Op& op : m.step)
    if (op.kind == ir::OpKind::Noise) return op;
  throw std::logic_error("module has no Noise op");
}

// The distance of element (t, b, i) with rate r from the kink of its noise model: the pre-relu
// value for gauss and puregauss, the shape above its clamp for gamma (in rate units).
double kink_distance(const ir::Op& op, double r, uint64_t seed, int64_t t, int64_t b, int64_t i) {
  const auto bits = noise::noise_bits(seed, noise::kStreamRecurrent, static_cast<noise::u32>(t),
                                      static_cast<noise::u32>(b), static_cast<noise::u32>(i));
  const double k = op.attrs.factor;
  switch (op.attrs.noise) {
    case ir::Noise::Gamma:
      return r;  // the clamp sits at r lam = 1e-10
    case ir::Noise::Gauss:
      return std::abs(r + k * std::sqrt(r * 1000.0 / op.attrs.dt + 1e-10) *
                              noise::standard_normal<double>(bits));
    case ir::Noise::PureGauss:
      return std::abs(r + 15.0 * k * noise::standard_normal<double>(bits));
    case ir::Noise::None:
      break;
  }
  return 1.0;
}

// A noise seed for which every draw of the run stays kKinkMargin away from its kink.
uint64_t seed_off_kinks(const ir::Module& m, const CellData& d, uint64_t first) {
  const ir::Op& op = noise_op(m);
  const int r_id = noise_op_operand(m);
  for (uint64_t seed = first; seed < first + 200; ++seed) {
    reference::ReferenceExecutor ex(m);
    RunOptions opt;
    opt.noise_seed = seed;
    ex.forward(d.params, d.inputs, opt);
    bool ok = true;
    for (int64_t t = 0; t < ex.steps() && ok; ++t) {
      const reference::Buffer& r = ex.value_at(t, r_id);
      for (int64_t b = 0; b < ex.batch() && ok; ++b)
        for (int64_t i = 0; i < m.neurons && ok; ++i)
          ok = kink_distance(op, r[b * m.neurons + i], seed, t, b, i) > kKinkMargin;
    }
    if (ok) return seed;
  }
  throw std::runtime_error("no noise seed keeps every draw off the kinks");
}

class NoisyCellGradient : public ::testing::TestWithParam<NoiseCase> {};

TEST_P(NoisyCellGradient, MatchesCentralDifferences) {
  const NoiseCase& nc = GetParam();
  const CellConfig c = cell_config(nc);
  Rng rng(seed_for("noise_" + case_name({nc, 0})));
  const ir::Module m = noisy_module(nc);
  const CellData d = random_cell_data(m, c.act, c.b, c.t, rng);
  RunOptions opt;
  opt.noise_seed = seed_off_kinks(m, d, rng());
  TensorMap grads;
  const std::vector<GradCheck> checks =
      check_cell_gradients(m, d.params, d.inputs, opt, FdOptions{}, rng, &grads);
  ASSERT_FALSE(checks.empty());
  for (const GradCheck& r : checks)
    EXPECT_LE(r.worst(), kTolerance)
        << case_name({nc, 0}) << ": gradient of " << r.name << " (" << r.entries
        << " entries, error " << r.entry_error << ", along a direction " << r.direction_error
        << ", |g| = " << r.grad_norm << ")";
  EXPECT_TRUE(grads.count("r0"));
  EXPECT_TRUE(grads.count("Wo"));
}

std::vector<NoiseCase> every_case() {
  std::vector<NoiseCase> out;
  for (ir::Noise kind : {ir::Noise::Gamma, ir::Noise::Gauss, ir::Noise::PureGauss})
    for (int64_t n : {1, 7})
      for (int64_t t : {1, 5})
        for (int64_t b : {1, 3})
          out.push_back({kind, kind == ir::Noise::PureGauss ? 0.02 : 0.05, n, t, b});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Reference, NoisyCellGradient, ::testing::ValuesIn(every_case()),
                         case_name);

// The noise really enters the gradient: dz/dr differs from 1, so a backward pass that ignored the
// noise (identity adjoint) gives another dL/dr0 than the one with it.
TEST(NoiseOp, AdjointUsesTheNoiseSlope) {
  ir::Op op{ir::OpKind::Noise, {0}, 1, {}};
  op.attrs.noise = ir::Noise::Gamma;
  op.attrs.factor = 0.05;
  op.attrs.dt = 10;
  Rng rng(seed_for("noise_slope"));
  const TensorMap tensors{{"r", Tensor::f64({3, 7}, uniform(rng, 21, 0.2, 2.0))}};
  reference::OpSizes sz{3, 7, 4, 1234};
  const std::vector<GradCheck> checks = check_op_gradients(op, tensors, {"r"}, sz, {}, rng);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_LE(checks[0].worst(), kTolerance);

  // Saved and regenerated slopes agree, and differ from 1.
  const reference::Buffer r = uniform(rng, 21, 0.2, 2.0), dz(21, 1.0);
  reference::Buffer z, saved, d_saved(21, 0.0), d_regen(21, 0.0);
  const reference::Buffer* in[] = {&r};
  reference::OpSizes with_saved = sz;
  with_saved.saved = &saved;
  reference::forward_op(op, in, z, with_saved);
  ASSERT_EQ(saved.size(), 21u);
  reference::Buffer* d1[] = {&d_saved};
  reference::Buffer* d2[] = {&d_regen};
  reference::adjoint_op(op, in, z, dz, d1, with_saved);
  reference::adjoint_op(op, in, z, dz, d2, sz);
  double off_one = 0;
  for (size_t k = 0; k < 21; ++k) {
    EXPECT_EQ(d_saved[k], d_regen[k]);
    off_one += std::abs(d_saved[k] - 1.0);
  }
  EXPECT_GT(off_one, 0.1);
}

// Step t's draw is the counter t = the 0-based step index: the op evaluated alone at step 3 gives
// exactly noise::spike_noise's values for t = 3, and other values at t = 4.
TEST(NoiseOp, StepIndexIsTheCounter) {
  ir::Op op{ir::OpKind::Noise, {0}, 1, {}};
  op.attrs.noise = ir::Noise::Gauss;
  op.attrs.factor = 0.05;
  op.attrs.dt = 10;
  Rng rng(seed_for("noise_counter"));
  const reference::Buffer r = uniform(rng, 6, 0.5, 1.5);
  const reference::Buffer* in[] = {&r};
  reference::Buffer z3, z4;
  reference::forward_op(op, in, z3, {2, 3, 3, 99});
  reference::forward_op(op, in, z4, {2, 3, 4, 99});
  bool any_diff = false;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 3; ++i) {
      double want = 0;
      noise::spike_noise<double>(noise::NoiseKind::Gauss, r[b * 3 + i], 0.05, 10.0, 99,
                                 noise::kStreamRecurrent, 3, static_cast<noise::u32>(b),
                                 static_cast<noise::u32>(i), &want, nullptr);
      EXPECT_EQ(z3[b * 3 + i], want);
      any_diff |= z3[b * 3 + i] != z4[b * 3 + i];
    }
  EXPECT_TRUE(any_diff);
}

TEST(NoiseOp, SameSeedSameRatesOtherSeedOtherRates) {
  for (ir::Noise kind : {ir::Noise::Gamma, ir::Noise::Gauss, ir::Noise::PureGauss}) {
    const NoiseCase nc{kind, 0.05, 7, 5, 3};
    const CellConfig c = cell_config(nc);
    Rng rng(seed_for("noise_repro_" + std::string(ir::name(kind))));
    const ir::Module m = noisy_module(nc);
    const CellData d = random_cell_data(m, c.act, c.b, c.t, rng);
    reference::ReferenceExecutor ex1(m), ex2(m);
    RunOptions a, b;
    a.noise_seed = 7;
    b.noise_seed = 8;
    const Tensor ra1 = ex1.forward(d.params, d.inputs, a);
    const Tensor ra2 = ex2.forward(d.params, d.inputs, a);
    const Tensor rb = ex1.forward(d.params, d.inputs, b);
    double same = 0, other = 0;
    for (int64_t e = 0; e < ra1.numel(); ++e) {
      same += std::abs(ra1.at_f64(e) - ra2.at_f64(e));
      other += std::abs(ra1.at_f64(e) - rb.at_f64(e));
    }
    EXPECT_EQ(same, 0.0) << std::string(ir::name(kind));
    EXPECT_GT(other, 1e-6) << std::string(ir::name(kind));
  }
}

// E[z] = r for gamma noise (Gamma(r lam, rate lam) has mean r): over S seeds the sample mean of z
// is within 5 standard errors (sd sqrt(r / lam) / sqrt(S)) of r, for several rates.
TEST(NoiseOp, GammaNoiseMeanApproachesTheRate) {
  ir::Op op{ir::OpKind::Noise, {0}, 1, {}};
  op.attrs.noise = ir::Noise::Gamma;
  op.attrs.factor = 0.2;  // lam = 0.25: a noisy regime, shape 0.25 r
  op.attrs.dt = 10;
  const double lam = (op.attrs.dt / 1000.0) / (op.attrs.factor * op.attrs.factor);
  const reference::Buffer r{0.5, 2.0, 10.0, 40.0};
  const reference::Buffer* in[] = {&r};
  constexpr int kSeeds = 4000;
  reference::Buffer sum(r.size(), 0.0), z;
  for (int s = 0; s < kSeeds; ++s) {
    reference::forward_op(op, in, z, {1, static_cast<int64_t>(r.size()), 0, 1000u + s});
    for (size_t k = 0; k < r.size(); ++k) sum[k] += z[k];
  }
  for (size_t k = 0; k < r.size(); ++k) {
    const double mean = sum[k] / kSeeds, se = std::sqrt(r[k] / lam / kSeeds);
    EXPECT_NEAR(mean, r[k], 5 * se) << "rate " << r[k];
  }
}

}  // namespace
}  // namespace rnnjit::reftest
