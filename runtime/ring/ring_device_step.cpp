#include "runtime/ring/ring_device_step.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "runtime/ring/gain_net.hpp"

#ifdef RNNJIT_HAVE_CUDA
#include "runtime/cuda/cuda_executor.hpp"
#include "runtime/train/cuda/device_optimizer.hpp"
#include "runtime/ring/ring_loss_device.hpp"
#endif

namespace rnnjit::train::ring {

#ifdef RNNJIT_HAVE_CUDA
namespace {

// Why the device step cannot train this model ("" when it can): the loss kernel's step limit, a
// cell that packs other gate columns than the ring's, or a learned tensor the device optimiser
// does not map (it would silently never be trained).
std::string device_step_obstacle(RingModel& model) {
  if (model.config().task.seq_len > kRingLossMaxT)
    return "trials longer than " + std::to_string(kRingLossMaxT) + " steps";
  const CellPlan& plan = cuda::plan_of(model.executor());
  if (plan.gate_columns != model.gate_channels())
    return "the cell packs other gate columns than the ring's";
  std::vector<cuda::ParamSegment> segs;
  try {
    segs = cuda::plan_segments(plan, model.module(), model.nonnegative(), &model.learned());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  for (const ir::Value& v : model.module().values) {
    if (!model.learned().count(v.name)) continue;
    bool mapped = false;
    for (const cuda::ParamSegment& s : segs) mapped = mapped || s.name == v.name;
    if (!mapped) return "the device optimiser does not map the learned tensor '" + v.name + "'";
  }
  return "";
}

}  // namespace
#endif

bool use_device_step(RingModel& model) {
  const char* e = std::getenv("RNNJIT_DEVICE_STEP");
  if (model.executor().backend() != "cuda" || (e && std::string(e) == "0")) return false;
#ifdef RNNJIT_HAVE_CUDA
  const std::string why = device_step_obstacle(model);
  if (!why.empty())
    std::fprintf(stderr, "rnnjit train: the host loop trains this model on cuda (%s)\n",
                 why.c_str());
  return why.empty();
#else
  return false;
#endif
}

#ifdef RNNJIT_HAVE_CUDA

struct RingDeviceStep::Impl {
  Impl(RingModel& m, Adam& a)
      : model(m),
        adam(a),
        // Exactly the host loop's learned set (RingModel::learned: Params, not learned buffers).
        opt(cuda::plan_segments(cuda::plan_of(m.executor()), m.module(), m.nonnegative(),
                                &m.learned()),
            m.params(), a, cuda::stream_of(m.executor())),
        loss(m.readout()) {}

  RingModel& model;
  Adam& adam;
  cuda::DeviceOptimizer opt;
  DeviceRingLoss loss;
  cuda::DeviceBuffer angle, parts;
  bool uploaded = false;  // the packed parameters are on the device
  bool dirty = false;     // the device has updates the host has not seen

  TensorMap cell_params() const {
    TensorMap out;
    for (const ir::Value& v : model.module().values)
      if (v.role == ir::Role::Param || v.role == ir::Role::Buffer)
        out[v.name] = require(model.params(), v.name, "ring device step");
    return out;
  }
};

RingDeviceStep::RingDeviceStep(RingModel& model, Adam& adam) {
  if (model.executor().backend() != "cuda")
    throw std::logic_error("ring device step: the model does not run on the CUDA backend");
  if (const std::string why = device_step_obstacle(model); !why.empty())
    throw std::logic_error("ring device step: " + why);
  impl_ = std::make_unique<Impl>(model, adam);
}

RingDeviceStep::~RingDeviceStep() = default;

DeviceStepResult RingDeviceStep::step(const AvBatch& d) {
  Impl& s = *impl_;
  RingModel& model = s.model;
  const int64_t B = d.batch, T = d.seq_len, K = model.gate_channels();
  const RingTrainConfig& cfg = model.config();

  // Host side of the batch: the gates (through the gain networks) and the initial bump.
  const std::vector<double> base = base_gates(d, K, cfg.gates);
  const bool gain = model.uses_gain_nets();
  TensorMap inputs;
  inputs["r0"] = initial_bump(d.theta0, model.neurons());
  inputs[model.gate_name()] =
      Tensor::f64({B, T, K}, gain ? apply_gain_nets(model.params(), K, base) : base);
  s.angle.upload(std::vector<float>(d.angle.begin(), d.angle.end()));
  s.parts.reserve(static_cast<size_t>(2 * B));

  // The device: forward, loss and dL/dr, adjoint and weight gradients, norm partials.
  const TensorMap cell = s.uploaded ? TensorMap{} : s.cell_params();
  RunOptions ro;
  ro.gate_grads = gain;  // only the gain networks need dL/dg: else zero-gate slots are skipped
  cuda::ResidentRun rr =
      cuda::forward_resident(model.executor(), s.uploaded ? nullptr : &cell, inputs, ro);
  s.uploaded = true;
  s.loss.launch(rr.r, s.angle.ptr(), B, T, static_cast<float>(cfg.bump_weight), rr.dr,
                s.parts.ptr(), rr.stream);
  rr = cuda::backward_resident(model.executor());
  const double device_sq = s.opt.grad_sumsq(rr.bufs);  // waits for the stream

  DeviceStepResult out;
  const std::vector<float> parts = s.parts.download(static_cast<size_t>(2 * B));
  for (int64_t b = 0; b < B; ++b) {  // in trial order, as ring_loss adds them
    out.loss.heading += parts[static_cast<size_t>(2 * b)];
    out.loss.bump += parts[static_cast<size_t>(2 * b + 1)];
  }
  out.loss.total = out.loss.heading + cfg.bump_weight * out.loss.bump;

  // The gain networks' backward on the host, from the cell's gate gradient.
  TensorMap gain_grads;
  double gain_sq = 0;
  if (gain) {
    std::vector<float> dg = cuda::download_dgates(model.executor());
    gain_grads = gain_nets_backward(model.params(), K, base, Tensor::f32({B, T, K}, std::move(dg)));
    const double g = global_norm(gain_grads);
    gain_sq = g * g;
  }
  out.grad_norm = std::sqrt(device_sq + gain_sq);
  const double scale = s.adam.clip_scale(out.grad_norm);
  s.adam.apply(model.params(), gain_grads, model.nonnegative(), scale);  // counts the step
  s.opt.step(rr.bufs, cuda::adam_step_scalars(s.adam.config(), s.adam.steps(), scale));
  s.dirty = true;
  return out;
}

void RingDeviceStep::sync_to_host() {
  Impl& s = *impl_;
  if (!s.dirty) return;
  s.opt.copy_to_host(s.model.params(), s.adam);
  s.dirty = false;
}

#else  // no CUDA in this build: use_device_step() is always false, so these never run

struct RingDeviceStep::Impl {};
RingDeviceStep::RingDeviceStep(RingModel&, Adam&) {
  throw std::logic_error("ring device step: this build has no CUDA backend");
}
RingDeviceStep::~RingDeviceStep() = default;
DeviceStepResult RingDeviceStep::step(const AvBatch&) {
  return {};
}
void RingDeviceStep::sync_to_host() {}

#endif

}  // namespace rnnjit::train::ring
