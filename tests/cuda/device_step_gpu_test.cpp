// On a GPU (ctest label gpu): the device-resident training step.
//   DeviceOptimizerGpu: the optimiser kernels against their host twin (param_segments.hpp, itself
//     checked in CI against train::Adam through pack_params/unpack_grads), three steps, on buffers
//     this test owns: sum of squares, masters, moments, every packed buffer.
//   RingDeviceStepGpu: a few training steps of the ring with everything on the device against the
//     host loop on the same CUDA executor (model.run + Adam::step in float64): with and without
//     gain networks, and K = 16 zero padded (the kernels skip its 14 empty slots): losses,
//     gradient norms and the parameters afterwards.
//   RingDeviceStepGpu.ResumeRestoresMastersAndMoments: train_ring 10 steps straight against 5
//     steps, a checkpoint and 5 resumed steps, on the device (equal up to the weight gradients'
//     atomics).
//   VwmDeviceStepGpu: train_vwm on the device against train_vwm's host loop (RNNJIT_DEVICE_STEP=0)
//     on the same CUDA executor, spike noise included: the losses of every iteration.
// Without a device every test prints "SKIPPED: no CUDA device" and passes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "runtime/backends/backends.hpp"
#include "runtime/cuda/cuda_executor.hpp"
#include "runtime/train/cuda/device_optimizer.hpp"
#include "runtime/cuda/host_pack.hpp"
#include "runtime/ring/ring_device_step.hpp"
#include "runtime/ring/ring_trainer.hpp"
#include "runtime/vwm/vwm_config.hpp"
#include "runtime/vwm/vwm_trainer.hpp"
#include "tests/cuda/cuda_test_specs.hpp"
#include "tests/cuda/require_device.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit {
namespace {

using cuda_test::SpecOptions;

void expect_close(const std::vector<float>& got, const std::vector<float>& want, double rtol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t k = 0; k < got.size(); ++k)
    ASSERT_NEAR(got[k], want[k], 1e-7 + rtol * std::abs(want[k])) << what << " element " << k;
}

float* dev(const cuda::DeviceBuffer& b) {
  return reinterpret_cast<float*>(static_cast<uintptr_t>(b.ptr()));
}

class DeviceOptimizerGpu : public ::testing::TestWithParam<int> {};

TEST_P(DeviceOptimizerGpu, MatchesTheHostTwin) {
  REQUIRE_CUDA_DEVICE();
  SpecOptions o;
  if (GetParam() == 0) {
    o.n = 100, o.k = 2;  // the ring family, N not a multiple of 32
  } else {
    o.n = 70, o.k = 0, o.dale = true, o.bias = true, o.inputs = 3, o.vector_alpha = true,
    o.learn_tau = true;  // the VWM family
  }
  const ir::Module m = cuda_test::make_module(o);
  const CellPlan plan = plan_cell(m, "CUDA backend");
  std::mt19937_64 rng(0xd0 + GetParam());
  TensorMap params = cuda_test::random_params(m, o.act, rng);
  std::set<std::string> nonneg;
  for (const ir::Value& v : m.values)
    if (v.nonnegative) nonneg.insert(v.name);
  const auto segs = cuda::plan_segments(plan, m, nonneg);

  train::AdamConfig cfg;
  cfg.lr = 1e-2;
  cfg.clip_norm = 0.5;
  train::Adam host_adam(cfg);  // only lends its (empty) moments to the device optimiser
  cuda::device();
  cuda::DeviceOptimizer opt(segs, params, host_adam, nullptr);
  cuda::PackedParams twin = cuda::pack_params(plan, m, params);
  cuda::DeviceBuffer bank, bank_t, w_in, bias, alpha, dbank, dw_in, dbias, dalpha;
  bank.upload(twin.bank), bank_t.upload(twin.bank_t), w_in.upload(twin.w_in);
  bias.upload(twin.bias), alpha.upload(twin.alpha);
  std::vector<float> masters = cuda::masters_from(segs, params);
  std::vector<float> m1(masters.size(), 0.f), m2(masters.size(), 0.f);

  const int64_t n = plan.n, parts = 5;
  for (int step = 1; step <= 3; ++step) {
    const std::vector<float> gb =
        cuda_test::random_floats(static_cast<size_t>(plan.m() * n * n), rng, 0.3);
    const std::vector<float> gi =
        cuda_test::random_floats(static_cast<size_t>(n * plan.input_columns), rng, 0.3);
    const std::vector<float> ga =
        cuda_test::random_floats(static_cast<size_t>(parts * n), rng, 0.3);
    const std::vector<float> gc =
        cuda_test::random_floats(static_cast<size_t>(parts * n), rng, 0.3);
    dbank.upload(gb), dw_in.upload(gi), dalpha.upload(ga), dbias.upload(gc);

    cuda::PackedBufferPtrs hb{
        twin.bank.data(), twin.bank_t.data(), twin.w_in.data(), twin.bias.data(), twin.alpha.data(),
        gb.data(),        gi.data(),          gc.data(),        ga.data(),        parts};
    cuda::PackedBufferPtrs db{dev(bank),  dev(bank_t), dev(w_in),  dev(bias),   dev(alpha),
                              dev(dbank), dev(dw_in),  dev(dbias), dev(dalpha), parts};
    double twin_sq = 0;
    for (const auto& s : segs)
      twin_sq += cuda::twin_sumsq(cuda::bind_segment(s, hb), masters.data() + s.offset);
    const double dev_sq = opt.grad_sumsq(db);
    ASSERT_NEAR(dev_sq, twin_sq, 1e-5 * twin_sq) << "step " << step;
    const opt::AdamStep a =
        cuda::adam_step_scalars(cfg, step, host_adam.clip_scale(std::sqrt(twin_sq)));
    for (const auto& s : segs)
      cuda::twin_adam(cuda::bind_segment(s, hb), masters.data() + s.offset, m1.data() + s.offset,
                      m2.data() + s.offset, a);
    opt.step(db, a);

    const std::string at = o.label() + " step " + std::to_string(step);
    TensorMap got;
    train::Adam moments(cfg);
    opt.copy_to_host(got, moments);
    TensorMap want;
    cuda::masters_to(segs, masters, want);
    for (const auto& s : segs)
      for (int64_t e = 0; e < s.view.count; ++e)
        ASSERT_NEAR(got.at(s.name).at_f64(e), want.at(s.name).at_f64(e),
                    1e-7 + 1e-6 * std::abs(want.at(s.name).at_f64(e)))
            << at << " master " << s.name << " element " << e;
    expect_close(bank.download(twin.bank.size()), twin.bank, 1e-6, at + " bank");
    expect_close(bank_t.download(twin.bank_t.size()), twin.bank_t, 1e-6, at + " bank_t");
    expect_close(w_in.download(twin.w_in.size()), twin.w_in, 1e-6, at + " w_in");
    expect_close(bias.download(twin.bias.size()), twin.bias, 1e-6, at + " bias");
    expect_close(alpha.download(twin.alpha.size()), twin.alpha, 1e-6, at + " alpha");
    // The moments the device keeps (copied into `moments`) against the twin's.
    for (const auto& s : segs) {
      Tensor dm, dv;
      ASSERT_TRUE(moments.moments(s.name, &dm, &dv)) << at << " " << s.name;
      std::vector<float> gm, gv, wm, wv;
      for (int64_t e = 0; e < s.view.count; ++e) {
        gm.push_back(static_cast<float>(dm.at_f64(e)));
        gv.push_back(static_cast<float>(dv.at_f64(e)));
        wm.push_back(m1[static_cast<size_t>(s.offset + e)]);
        wv.push_back(m2[static_cast<size_t>(s.offset + e)]);
      }
      expect_close(gm, wm, 1e-6, at + " first moment of " + s.name);
      expect_close(gv, wv, 1e-6, at + " second moment of " + s.name);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, DeviceOptimizerGpu, ::testing::Values(0, 1));

// A few steps of train_ring's loop body, on the device and on the host, from the same start.
struct RingStepCase {
  int gain_hidden;  // 0: no gain networks; 3: the seed's gain model
  int k;            // gate channels (left/right, zero padded beyond 2)
};
class RingDeviceStepGpu : public ::testing::TestWithParam<RingStepCase> {};

TEST_P(RingDeviceStepGpu, MatchesTheHostLoop) {
  REQUIRE_CUDA_DEVICE();
  using namespace train::ring;
  RingTrainConfig cfg;
  cfg.batch = 37;
  cfg.task.seq_len = 20;
  cfg.gain_hidden = GetParam().gain_hidden;
  cfg.seed = 21;
  ExecutorConfig ec;
  ec.backend = "cuda";
  RingModel host(train::testing::ring_spec(70, GetParam().k), cfg, ec);
  RingModel device(train::testing::ring_spec(70, GetParam().k), cfg, ec);
  train::Adam host_adam(train::AdamConfig{.lr = 1e-3, .clip_norm = 1.0});
  train::Adam dev_adam(train::AdamConfig{.lr = 1e-3, .clip_norm = 1.0});
  RingDeviceStep step(device, dev_adam);
  for (int s = 0; s < 5; ++s) {
    const AvBatch d = generate_av_batch(cfg.task, cfg.batch, cfg.seed, static_cast<uint64_t>(s));
    RingStepResult h = host.run(d, true);
    const double host_norm = host_adam.step(host.params(), h.grads, host.nonnegative());
    const DeviceStepResult g = step.step(d);
    EXPECT_NEAR(g.loss.heading, h.loss.heading, 1e-4 * h.loss.heading) << "step " << s;
    EXPECT_NEAR(g.loss.bump, h.loss.bump, 1e-3 * h.loss.bump + 1e-7) << "step " << s;
    EXPECT_NEAR(g.grad_norm, host_norm, 1e-3 * host_norm) << "step " << s;
  }
  step.sync_to_host();
  EXPECT_EQ(dev_adam.steps(), host_adam.steps());
  for (auto& [name, want] : host.params()) {
    const Tensor& got = device.params().at(name);
    double diff = 0, norm = 0;
    for (int64_t e = 0; e < want.numel(); ++e) {
      diff += std::pow(got.at_f64(e) - want.at_f64(e), 2);
      norm += std::pow(want.at_f64(e), 2);
    }
    EXPECT_LE(std::sqrt(diff / norm), 1e-4) << name;
    Tensor m, v;
    EXPECT_TRUE(dev_adam.moments(name, &m, &v)) << name << ": no moments after sync";
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, RingDeviceStepGpu,
                         ::testing::Values(RingStepCase{0, 2}, RingStepCase{3, 2},
                                           RingStepCase{0, 16}),
                         [](const auto& info) {
                           return "gain" + std::to_string(info.param.gain_hidden) + "_k" +
                                  std::to_string(info.param.k);
                         });

// The readout noise is drawn in float32 on the device and in float64 by the host loss (the same
// Philox counters), so the two runs differ by rounding from the first iteration; 1e-3 over 8 steps.
TEST(VwmDeviceStepGpu, TrainerMatchesTheHostLoop) {
  REQUIRE_CUDA_DEVICE();
  const vwm::VwmConfig c = vwm::parse_vwm_config_string(
      "model_params: {max_item_num: 3, item_num: [1, 3], num_neurons: 70, T_init: 10,"
      " T_stimi: 50, T_delay: 50, T_decode: 50}\n"
      "training_params: {num_trials: 24, num_iterations: 8, eta: 0.01, logging_period: 4}\n");
  auto run = [&](const char* device_step) {
    ::setenv("RNNJIT_DEVICE_STEP", device_step, 1);
    vwm::VwmTrainOptions o;
    o.backend = "cuda";
    o.seed = 5;
    o.progress = false;
    o.figures = false;
    o.out_dir = (std::filesystem::temp_directory_path() /
                 (std::string("rnnjit_vwm_device_step_") + device_step))
                    .string();
    std::filesystem::remove_all(o.out_dir);
    return vwm::train_vwm(c, o);
  };
  const vwm::VwmTrainSummary host = run("0"), dev = run("1");
  ::unsetenv("RNNJIT_DEVICE_STEP");
  ASSERT_EQ(dev.losses.size(), host.losses.size());
  for (size_t k = 0; k < host.losses.size(); ++k)
    EXPECT_NEAR(dev.losses[k], host.losses[k], 1e-3 * std::abs(host.losses[k]))
        << "iteration " << k;
  ASSERT_EQ(dev.last_groups.size(), host.last_groups.size());
  for (size_t g = 0; g < host.last_groups.size(); ++g)
    EXPECT_NEAR(dev.last_groups[g].error, host.last_groups[g].error, 1e-2)
        << "set size group " << g;
}

// A resumed run continues where the checkpoint left off: masters and Adam moments come back from
// the checkpoint onto the device. Fresh moments at step 6 would move the parameters by ~lr (3e-2);
// the weight gradients' atomicAdd order alone moves them by ~1e-7.
TEST(RingDeviceStepGpu, ResumeRestoresMastersAndMoments) {
  REQUIRE_CUDA_DEVICE();
  using namespace train::ring;
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / "rnnjit_ring_device_resume";
  fs::remove_all(root);
  RingTrainOptions full;
  full.cfg.batch = 16;
  full.cfg.task.seq_len = 30;
  full.cfg.steps = 10;
  full.cfg.lr = 3e-2;
  full.cfg.eval_every = 0;
  full.cfg.eval_trials = 32;
  full.cfg.checkpoint_every = 5;
  full.exec.backend = "cuda";
  full.quiet = true;
  full.figures = false;
  full.out_dir = (root / "full").string();
  const RingTrainResult a = train_ring(train::testing::ring_spec(40, 2), full);
  RingTrainOptions half = full;
  half.out_dir = (root / "half").string();
  half.steps = 5;
  train_ring(train::testing::ring_spec(40, 2), half);
  RingTrainOptions rest;
  rest.out_dir = half.out_dir;
  rest.resume = true;
  rest.steps = 10;
  rest.exec.backend = "cuda";
  rest.quiet = true;
  rest.figures = false;
  const RingTrainResult b = train_ring(train::testing::ring_spec(40, 2), rest);
  EXPECT_EQ(b.start_step, 5);
  for (auto& [name, want] : a.params) {
    const Tensor& got = b.params.at(name);
    double diff = 0, norm = 0;
    for (int64_t e = 0; e < want.numel(); ++e) {
      diff += std::pow(got.at_f64(e) - want.at_f64(e), 2);
      norm += std::pow(want.at_f64(e), 2);
    }
    EXPECT_LE(std::sqrt(diff / norm), 1e-4) << name;
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace rnnjit
