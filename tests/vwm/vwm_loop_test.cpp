// One training iteration assembled from the VWM pieces on the float64 reference backend:
// config -> spec -> executor; batch -> forward -> loss (e_t, dF) -> backward. The parameter
// gradients it yields are checked against central finite differences of the whole pipeline, which
// checks that the loss's cotangent and the cell's adjoint fit together (noise draws included).
#include <gtest/gtest.h>

#include <cmath>

#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/params.hpp"
#include "runtime/vwm/vwm_loss.hpp"
#include "runtime/vwm/vwm_task.hpp"

namespace rnnjit::vwm {
namespace {

void check_iteration(bool cell_noise) {
  const VwmConfig c = parse_vwm_config_string(
      "model_params: {max_item_num: 2, item_num: [1, 2], num_neurons: 6, dt: 10, tau_min: 20,"
      " tau_max: 60, T_init: 10, T_stimi: 30, T_delay: 20, T_decode: 20, spike_noise_factor: 0.3,"
      " input_strength: 40}\n"
      "training_params: {num_trials: 4, error_def: rad, lambda_reg: 0.001}\n");
  ModelSpec spec = to_model_spec(c);
  if (!cell_noise) spec.noise = NoiseSpec{};  // the readout keeps its gamma noise (loss options)
  const ir::Module m = compile_module(spec);
  TensorMap params = init_params(spec, m, 5);
  Tensor F = init_readout(c.max_item_num, c.num_neurons, 6);
  auto exec = make_reference_executor(m);

  const VwmBatch batch = make_batch(c, 3, DType::F64);
  const uint64_t noise_seed = 77;
  TensorMap inputs;
  inputs["r0"] = Tensor(DType::F64, {batch.trials, c.num_neurons});
  inputs[kInputName] = batch.input;
  RunOptions ro;
  ro.noise_seed = noise_seed;
  const LossOptions lo = loss_options(c, noise_seed);

  // The iteration the trainer runs.
  Tensor r;
  try {
    r = exec->forward(params, inputs, ro);
  } catch (const std::exception& e) {
    if (cell_noise && std::string(e.what()).find("not supported") != std::string::npos)
      GTEST_SKIP() << e.what();
    throw;
  }
  ASSERT_EQ(r.shape(), (std::vector<int64_t>{4, make_timeline(c).steps, 6}));
  const LossResult loss = vwm_loss(r, F, batch.theta, batch.presence, lo);
  const TensorMap grads = exec->backward(loss.dr);
  ASSERT_TRUE(grads.count(kRecurrentName));
  ASSERT_TRUE(grads.count(kInputWeightName));

  LossOptions vo = lo;
  vo.gradients = false;
  auto total = [&]() {
    const Tensor rr = exec->forward(params, inputs, ro);
    return vwm_loss(rr, F, batch.theta, batch.presence, vo).total;
  };
  auto fd = [&](double& x) {
    const double h = 1e-6 * std::max(1.0, std::abs(x)), x0 = x;
    x = x0 + h;
    const double fp = total();
    x = x0 - h;
    const double fm = total();
    x = x0;
    return (fp - fm) / (2 * h);
  };
  double biggest = 0;
  for (const char* name : {kRecurrentName, kInputWeightName}) {
    auto p = params.at(name).span<double>();
    const double* g = grads.at(name).data<double>();
    for (size_t i = 0; i < p.size(); i += 5) {
      const double want = fd(p[i]);
      biggest = std::max(biggest, std::abs(want));
      EXPECT_NEAR(g[i], want, 1e-7 + 1e-5 * std::abs(want)) << name << "[" << i << "]";
    }
  }
  auto f = F.span<double>();
  for (size_t i = 0; i < f.size(); i += 3)
    EXPECT_NEAR(loss.dF.data<double>()[i], fd(f[i]),
                1e-7 + 1e-5 * std::abs(loss.dF.data<double>()[i]))
        << "F[" << i << "]";
  EXPECT_GT(biggest, 1e-4);
}

TEST(VwmLoop, ReferenceIterationGradientsWithReadoutNoise) {
  check_iteration(false);
}
TEST(VwmLoop, ReferenceIterationGradientsWithSpikeNoiseEverywhere) {
  check_iteration(true);
}

}  // namespace
}  // namespace rnnjit::vwm
