// CI (no GPU): the real CUDA text the runtime hands to NVRTC, compiled as C++ and run on the CPU by
// the thread emulator (tests/cuda/emu): one std::thread per CUDA thread, barriers for
// __syncthreads and the warp shuffles. What the GPU tests check on a device, checked here on the
// kernels' own index math, barriers and reductions:
//   cell kernels (forward, adjoint, weight gradients, both tiles, with and without spike noise)
//     against the float64 reference, the GPU tests' bounds;
//   the optimiser kernels against their host twin (itself checked against train::Adam);
//   the ring and VWM loss kernels against their host twins (themselves checked against the float64
//     losses).
// Launch configurations are the runtime's (cuda_executor.cpp, device_optimizer.cpp,
// ring_loss_device.cpp, vwm_loss_device.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compiler/cuda/cuda_codegen.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/cuda/host_pack.hpp"
#include "runtime/train/cuda/param_segments.hpp"
#include "runtime/ring/ring_loss_device.hpp"
#include "math/ring_loss_math.hpp"
#include "runtime/vwm/vwm_loss_device.hpp"
#include "math/vwm_loss_math.hpp"
#include "tests/cuda/cuda_test_specs.hpp"
#include "tests/cuda/emu/emu_module.hpp"

namespace rnnjit {
namespace {

using cuda_test::SpecOptions;
using ir::Activation;

std::vector<float> nan_filled(int64_t n) {
  return std::vector<float>(static_cast<size_t>(std::max<int64_t>(n, 1)), NAN);
}

struct TextCase {
  SpecOptions spec;
  int64_t batch, steps;
  bool zero_gates = false;  // channels >= 1 all zero, channel 0 zero for most rows
};

std::vector<TextCase> text_cases() {
  std::vector<TextCase> shapes;
  auto add = [&](int64_t n, int64_t k, bool tau, bool dale, bool bias, int64_t in, ir::Noise noise,
                 int64_t b, int64_t t) {
    SpecOptions o;
    o.n = n, o.k = k, o.vector_alpha = tau, o.learn_tau = tau, o.dale = dale;
    o.bias = bias, o.inputs = in, o.noise = noise;
    shapes.push_back({o, b, t});
  };
  // N not a multiple of 32 (and above one warp's width), K = 1 and K > 1, T = 1, B not a multiple
  // of the tile; Dale, tau, bias, inputs; every activation (cycle_activations) over these.
  add(37, 3, true, true, true, 2, ir::Noise::None, 11, 6);
  add(9, 1, false, false, true, 0, ir::Noise::None, 3, 1);
  // Zero gates, as the seed's zero-padded K = 16 ring: the kernels skip a slot whose coefficient
  // is 0 for a whole trial tile (forward) or a whole chunk of rows (weight gradients).
  add(40, 4, false, false, true, 0, ir::Noise::None, 9, 40);
  shapes.back().zero_gates = true;
  std::vector<TextCase> v = cuda_test::cycle_activations(shapes);
  // Gamma and gauss spike noise, with activations whose rates stay non-negative (the noise models
  // act on rates; gamma needs r >= 0).
  add(20, 2, true, true, false, 3, ir::Noise::Gamma, 9, 4);
  shapes.back().spec.act = Activation::Saturating;
  add(70, 1, false, false, true, 1, ir::Noise::Gauss, 2, 3);
  shapes.back().spec.act = Activation::Softplus;
  v.insert(v.end(), shapes.end() - 2, shapes.end());
  return v;
}

class KernelTextEmulation : public ::testing::TestWithParam<size_t> {};

TEST_P(KernelTextEmulation, CellKernelsMatchTheFloat64Reference) {
  const TextCase c = text_cases().at(GetParam());
  const ir::Module m = cuda_test::make_module(c.spec);
  const CellPlan plan = plan_cell(m, "CUDA backend");
  const cuda::KernelShape shape = cuda::kernel_shape(plan);
  const bool noisy = plan.has_noise();
  std::mt19937_64 rng(777 + GetParam());
  const TensorMap params = cuda_test::random_params(m, c.spec.act, rng);
  TensorMap inputs = cuda_test::random_inputs(m, c.batch, c.steps, rng, noisy);
  if (c.zero_gates) {
    // Channel 0 live only in trial 0 and in the first steps of trial 4: whole tiles and whole
    // 16-row chunks of zeros, next to live ones.
    std::string gate_name;
    for (const ir::Value& v : m.values)
      if (v.role == ir::Role::GateIn) gate_name = v.name;
    Tensor& g = inputs.at(gate_name);
    const int64_t k = g.dim(2);
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t t = 0; t < c.steps; ++t)
        for (int64_t ch = 0; ch < k; ++ch)
          if (ch > 0 || !(b == 0 || (b == 4 && t < 7)))
            g.data<double>()[(b * c.steps + t) * k + ch] = 0.0;
  }
  const Tensor dr = cuda_test::random_cotangent(c.batch, c.steps, m.neurons, rng);
  RunOptions ro;
  ro.steps = c.steps;
  ro.noise_seed = 0xe4a1ull + GetParam();
  auto ref = make_reference_executor(m);
  const Tensor r_ref = ref->forward(params, inputs, ro);
  const TensorMap g_ref = ref->backward(dr);

  const emu::EmuModule mod(cuda::emit_source(plan, "fp32"), "cell" + std::to_string(GetParam()));
  const cuda::PackedParams pp = cuda::pack_params(plan, m, params);
  const cuda::PackedRun run = cuda::pack_run(plan, m, inputs, c.steps);
  const int64_t n = plan.n, b = run.batch, t = run.steps, bt = b * t;
  std::vector<float> drf(static_cast<size_t>(dr.numel()));
  for (int64_t k = 0; k < dr.numel(); ++k) drf[static_cast<size_t>(k)] = dr.at_f64(k);
  const int bi = static_cast<int>(b), ti = static_cast<int>(t);
  const double fwd_tol = noisy ? 2e-5 : 1e-5, grad_tol = noisy ? 2e-4 : 1e-4;

  using Forward =
      void(const float*, const float*, const float*, const float*, const float*, const float*,
           const float*, float*, float*, float*, float*, unsigned long long, int, int);
  using Adjoint = void(const float*, const float*, const float*, const float*, const float*,
                       const float*, const float*, const float*, const float*, const float*, float*,
                       float*, float*, float*, float*, float*, int, int, int);
  using WeightGrad = void(const float*, const float*, const float*, const float*, const float*,
                          const float*, float*, int, int, int);
  for (int tb : cuda::kTileVariants) {
    const std::string at = c.spec.label() + " tb" + std::to_string(tb);
    std::vector<float> r = nan_filled(bt * n), s = nan_filled(bt * n);
    std::vector<float> z = nan_filled(noisy ? bt * n : 1), dz = nan_filled(noisy ? bt * n : 1);
    auto* fwd = mod.entry<Forward>(cuda::forward_entry(tb));
    const unsigned parts = static_cast<unsigned>((b + tb - 1) / tb);
    mod.launch(parts, 1, 1, static_cast<unsigned>(shape.threads), shape.forward_smem_bytes(tb),
               [&] {
                 fwd(pp.bank_t.data(), run.gates.data(), pp.w_in.data(), run.u.data(),
                     pp.bias.data(), pp.alpha.data(), run.r0.data(), r.data(), s.data(), z.data(),
                     dz.data(), ro.noise_seed, bi, ti);
               });
    EXPECT_LE(cuda_test::rel_l2(Tensor::f32({b, t, n}, r), r_ref), fwd_tol) << at << " forward";

    // The adjoint and weight gradients, as launch_backward() zeroes and launches them; with zero
    // gates also without gate gradients (RunOptions::gate_grads = false: every other gradient
    // unchanged).
    for (int gate_grads : c.zero_gates ? std::vector<int>{1, 0} : std::vector<int>{1}) {
      std::vector<float> delta = nan_filled(bt * n), dr0 = nan_filled(b * n);
      std::vector<float> du = nan_filled(bt * plan.input_columns);
      cuda::DeviceGrads g;
      g.parts = parts;
      g.dgates.assign(static_cast<size_t>(std::max<int64_t>(bt * plan.gate_columns, 1)), 0.f);
      g.dalpha_part.assign(static_cast<size_t>(parts * n), 0.f);
      g.dbias_part.assign(static_cast<size_t>(parts * n), 0.f);
      g.dbank.assign(static_cast<size_t>(std::max<int64_t>(plan.m() * n * n, 1)), 0.f);
      g.dw_in.assign(static_cast<size_t>(std::max<int64_t>(n * plan.input_columns, 1)), 0.f);
      auto* adj = mod.entry<Adjoint>(cuda::adjoint_entry(tb));
      mod.launch(parts, 1, 1, static_cast<unsigned>(shape.threads), shape.adjoint_smem_bytes(tb),
                 [&] {
                   adj(pp.bank.data(), run.gates.data(), pp.w_in.data(), pp.alpha.data(),
                       run.r0.data(), r.data(), s.data(), drf.data(), z.data(), dz.data(),
                       delta.data(), dr0.data(), g.dgates.data(), du.data(), g.dalpha_part.data(),
                       g.dbias_part.data(), bi, ti, gate_grads);
                 });
      const int64_t tile = cuda::KernelShape::kWeightGradTile;
      auto wgrad = [&](const char* entry, int64_t q, int64_t slots, float* out) {
        const int splits = 2;  // row splits: the partial tiles add up through atomicAdd
        auto* fn = mod.entry<WeightGrad>(entry);
        mod.launch(static_cast<unsigned>((n + tile - 1) / tile),
                   static_cast<unsigned>((q + tile - 1) / tile),
                   static_cast<unsigned>(slots * splits), cuda::KernelShape::kWeightGradThreads, 0,
                   [&] {
                     fn(delta.data(), run.gates.data(), run.r0.data(), r.data(), z.data(),
                        run.u.data(), out, bi, ti, splits);
                   });
      };
      if (plan.m() > 0) wgrad(cuda::kWeightGradBankEntry, n, plan.m(), g.dbank.data());
      if (plan.input_columns > 0)
        wgrad(cuda::kWeightGradInputEntry, plan.input_columns, 1, g.dw_in.data());
      g.dr0 = dr0;
      g.du = du;
      g.dbank.resize(static_cast<size_t>(plan.m() * n * n));
      g.dw_in.resize(static_cast<size_t>(n * plan.input_columns));
      g.dgates.resize(static_cast<size_t>(bt * plan.gate_columns));
      g.du.resize(static_cast<size_t>(bt * plan.input_columns));
      const TensorMap grads = cuda::unpack_grads(plan, m, pp, run, g);
      for (auto& [name, want] : g_ref) {
        ASSERT_TRUE(grads.count(name)) << at << ": no gradient for " << name;
        if (!gate_grads && m.find(name, ir::Role::GateIn)) continue;
        EXPECT_LE(cuda_test::rel_l2(grads.at(name), want), grad_tol) << at << " d" << name;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, KernelTextEmulation,
                         ::testing::Range<size_t>(0, text_cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& i) {
                           return text_cases().at(i.param).spec.label();
                         });

TEST(KernelTextEmulation, OptimizerKernelsMatchTheirHostTwin) {
  SpecOptions o;
  o.n = 37, o.k = 2, o.dale = true, o.bias = true, o.inputs = 2, o.vector_alpha = true;
  o.learn_tau = true;
  const ir::Module m = cuda_test::make_module(o);
  const CellPlan plan = plan_cell(m, "CUDA backend");
  std::mt19937_64 rng(4242);
  TensorMap params = cuda_test::random_params(m, o.act, rng);
  std::set<std::string> nonneg;
  for (const ir::Value& v : m.values)
    if (v.nonnegative) nonneg.insert(v.name);
  const auto segs = cuda::plan_segments(plan, m, nonneg);
  const emu::EmuModule mod(cuda::emit_optimizer_source(), "optimizer");
  using Sumsq = void(opt::SegmentView, const float*, float*);
  using AdamFn = void(opt::SegmentView, float*, float*, float*, opt::AdamStep);
  auto* sumsq = mod.entry<Sumsq>(cuda::kOptSumsqEntry);
  auto* adam = mod.entry<AdamFn>(cuda::kOptAdamEntry);

  // Two copies of everything: the kernels' and the twin's.
  cuda::PackedParams pk = cuda::pack_params(plan, m, params), pt = pk;
  std::vector<float> mk = cuda::masters_from(segs, params), mt = mk;
  std::vector<float> m1k(mk.size(), 0.f), m2k(mk.size(), 0.f), m1t = m1k, m2t = m2k;
  auto randv = [&](int64_t count) {
    return cuda_test::random_floats(static_cast<size_t>(count), rng, 0.3);
  };
  const int64_t n = plan.n, parts = 3;
  const std::vector<float> gb = randv(plan.m() * n * n), gi = randv(n * plan.input_columns),
                           ga = randv(parts * n), gc = randv(parts * n);
  auto bufs = [&](cuda::PackedParams& p) {
    return cuda::PackedBufferPtrs{
        p.bank.data(), p.bank_t.data(), p.w_in.data(), p.bias.data(), p.alpha.data(),
        gb.data(),     gi.data(),       gc.data(),     ga.data(),     parts};
  };
  const cuda::PackedBufferPtrs bk = bufs(pk), bt = bufs(pt);
  train::AdamConfig cfg;
  cfg.lr = 1e-2;
  for (int step = 1; step <= 2; ++step) {
    double ssq_k = 0, ssq_t = 0;
    for (const auto& s : segs) {
      const unsigned grid = 3;  // several CTAs: the partial sums and the grid-stride loop
      std::vector<float> partial(grid, NAN);
      const opt::SegmentView v = cuda::bind_segment(s, bk);
      mod.launch(grid, 1, 1, cuda::kOptThreads, 0,
                 [&] { sumsq(v, mk.data() + s.offset, partial.data()); });
      for (float p : partial) ssq_k += p;
      ssq_t += cuda::twin_sumsq(cuda::bind_segment(s, bt), mt.data() + s.offset);
    }
    ASSERT_NEAR(ssq_k, ssq_t, 1e-5 * ssq_t) << "step " << step;
    const opt::AdamStep a = cuda::adam_step_scalars(cfg, step, 0.7);
    for (const auto& s : segs) {
      const opt::SegmentView v = cuda::bind_segment(s, bk);
      mod.launch(2, 1, 1, cuda::kOptThreads, 0, [&] {
        adam(v, mk.data() + s.offset, m1k.data() + s.offset, m2k.data() + s.offset, a);
      });
      cuda::twin_adam(cuda::bind_segment(s, bt), mt.data() + s.offset, m1t.data() + s.offset,
                      m2t.data() + s.offset, a);
    }
    // The same element functions on the same inputs: equal to the last bit.
    EXPECT_EQ(mk, mt);
    EXPECT_EQ(m1k, m1t);
    EXPECT_EQ(m2k, m2t);
    EXPECT_EQ(pk.bank, pt.bank);
    EXPECT_EQ(pk.bank_t, pt.bank_t);
    EXPECT_EQ(pk.w_in, pt.w_in);
    EXPECT_EQ(pk.bias, pt.bias);
    EXPECT_EQ(pk.alpha, pt.alpha);
  }
}

TEST(KernelTextEmulation, RingLossKernelMatchesItsHostTwin) {
  using namespace train::ring;
  const emu::EmuModule mod(ring_loss_kernel_source(), "ring_loss");
  using Kernel = void(const float*, const float*, const float*, const float*, float, float, float,
                      float, float, int, int, int, float*, float*);
  auto* kernel = mod.entry<Kernel>("rnnjit_ring_loss");
  std::mt19937_64 rng(99);
  for (int64_t n : {7, 100}) {
    for (int64_t t : {1, 13}) {  // 13 steps: more than the 8 warps of a CTA
      const int64_t b = 3;
      const RingLossTables tb = make_ring_loss_tables(make_readout(n, true));
      std::uniform_real_distribution<float> rate(0.05f, 1.f), ang(0.f, 6.28f);
      std::vector<float> r(static_cast<size_t>(b * t * n)), angle(static_cast<size_t>(b * t));
      for (float& x : r) x = rate(rng);
      for (float& x : angle) x = ang(rng);
      std::vector<float> dr_k(r.size(), NAN), dr_t(r.size()), p_k(2 * b, NAN), p_t(2 * b);
      ring_loss_twin(tb, r.data(), angle.data(), b, t, 0.2f, dr_t.data(), p_t.data());
      mod.launch(static_cast<unsigned>(b), 1, 1, ring_math::kRingLossThreads,
                 static_cast<size_t>(4 * t + 1) * 4, [&] {
                   kernel(r.data(), angle.data(), tb.cos_q.data(), tb.sin_q.data(),
                          static_cast<float>(tb.a_cc), static_cast<float>(tb.a_sc),
                          static_cast<float>(tb.a_cs), static_cast<float>(tb.a_ss), 0.2f,
                          static_cast<int>(b), static_cast<int>(t), static_cast<int>(n),
                          dr_k.data(), p_k.data());
                 });
      // The twin follows the kernel's order of operations: equal up to the host's libm.
      for (size_t e = 0; e < dr_k.size(); ++e)
        ASSERT_NEAR(dr_k[e], dr_t[e], 1e-6 * (1 + std::abs(dr_t[e]))) << "N=" << n << " T=" << t;
      for (size_t e = 0; e < p_k.size(); ++e)
        ASSERT_NEAR(p_k[e], p_t[e], 1e-6 * (1 + std::abs(p_t[e]))) << "N=" << n << " T=" << t;
    }
  }
}

TEST(KernelTextEmulation, VwmLossKernelsMatchTheirHostTwin) {
  using namespace vwm;
  const emu::EmuModule mod(vwm_loss_kernel_source(), "vwm_loss");
  const int64_t B = 3, T = 6, N = 40, M = 3, t0 = 2, K = T - t0, O = 2 * M, P = B * K;
  LossOptions opt;
  opt.error_def = ErrorDef::Rad;
  opt.lambda_err = 1.0;
  opt.lambda_reg = 0.05;
  opt.decode_start = t0;
  opt.noise.kind = noise::NoiseKind::Gamma;
  opt.noise.factor = 0.3;
  opt.noise.dt = 10.0;
  opt.noise.seed = 0x77ull;
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<float> rate(0.5f, 30.f), ang(-3.14f, 3.14f);
  std::normal_distribution<float> nd(0.f, 0.2f);
  std::vector<float> r(static_cast<size_t>(B * T * N)), F(static_cast<size_t>(O * N));
  std::vector<float> theta(static_cast<size_t>(B * M)), presence(theta.size());
  for (float& x : r) x = rate(rng);
  for (float& x : F) x = nd(rng);
  for (size_t k = 0; k < theta.size(); ++k) {
    theta[k] = ang(rng);
    presence[k] = (k % M == 0 || rng() % 2) ? 1.f : 0.f;  // item 0 always, others at random
  }
  std::vector<float> dr_t(r.size()), dF_t(F.size()), trial_t(4 * B), dec_t(B * M);
  vwm_loss_twin(opt, B, T, N, M, r.data(), F.data(), theta.data(), presence.data(), dr_t.data(),
                dF_t.data(), trial_t.data(), dec_t.data());

  // The launch sequence of DeviceVwmLoss::launch, on host buffers.
  const int b = B, t = T, n = N, m = M, o = O, it0 = t0, kind = static_cast<int>(opt.noise.kind);
  const int def = vwm_error_def_code(opt.error_def), pairs = P, on = O * N;
  const float factor = 0.3f, dt = 10.f, lambda_err = 1.f, reg = vwm_reg_scale(opt, B, T, N);
  const vwm_math::VwmSlabs slabs = vwm_math::vwm_df_slabs(pairs);
  std::vector<float> z = nan_filled(P * N), slope = nan_filled(P * N), y = nan_filled(P * O);
  std::vector<float> gy = nan_filled(P * O), part = nan_filled(slabs.count * on);
  std::vector<float> dr = nan_filled(B * T * N), dF = nan_filled(O * N), trial = nan_filled(4 * B);
  std::vector<float> dec = nan_filled(B * M);
  const unsigned threads = vwm_math::kVwmLossThreads;
  using Readout = void(const float*, const float*, int, int, int, int, int, float, float,
                       unsigned long long, float*, float*, float*);
  using Trial = void(const float*, const float*, const float*, const float*, int, int, int, int,
                     int, int, float, float*, float*, float*);
  using Dr = void(const float*, const float*, const float*, const float*, int, int, int, int, float,
                  float*);
  using Partial = void(const float*, const float*, int, int, int, int, float*);
  using Reduce = void(const float*, int, int, float*);
  auto* readout = mod.entry<Readout>(kVwmLossEntries[0]);
  auto* trial_k = mod.entry<Trial>(kVwmLossEntries[1]);
  auto* dr_k = mod.entry<Dr>(kVwmLossEntries[2]);
  auto* partial = mod.entry<Partial>(kVwmLossEntries[3]);
  auto* reduce = mod.entry<Reduce>(kVwmLossEntries[4]);
  mod.launch(b, static_cast<unsigned>(K), 1, threads, 0, [&] {
    readout(r.data(), F.data(), t, n, o, it0, kind, factor, dt, opt.noise.seed, z.data(),
            slope.data(), y.data());
  });
  mod.launch(b, 1, 1, threads, 0, [&] {
    trial_k(r.data(), y.data(), theta.data(), presence.data(), b, t, n, m, it0, def, lambda_err,
            gy.data(), trial.data(), dec.data());
  });
  mod.launch(b, t, 1, threads, 0, [&] {
    dr_k(r.data(), F.data(), slope.data(), gy.data(), t, n, o, it0, reg, dr.data());
  });
  mod.launch((n + threads - 1) / threads, static_cast<unsigned>(slabs.count), 1, threads, 0,
             [&] { partial(z.data(), gy.data(), n, o, pairs, slabs.chunk, part.data()); });
  int nslabs = slabs.count;
  mod.launch((on + threads - 1) / threads, 1, 1, threads, 0,
             [&] { reduce(part.data(), nslabs, on, dF.data()); });

  auto expect_near = [](const std::vector<float>& got, const std::vector<float>& want,
                        const char* what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t e = 0; e < got.size(); ++e)
      ASSERT_NEAR(got[e], want[e], 1e-5 * (1 + std::abs(want[e]))) << what << " element " << e;
  };
  expect_near(dr, dr_t, "dr");
  expect_near(dF, dF_t, "dF");
  expect_near(trial, trial_t, "trial_out");
  expect_near(dec, dec_t, "decoded");
}

}  // namespace
}  // namespace rnnjit
