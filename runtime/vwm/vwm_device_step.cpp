#include "runtime/vwm/vwm_device_step.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>

#ifdef RNNJIT_HAVE_CUDA
#include "runtime/cuda/cuda_executor.hpp"
#include "runtime/train/cuda/device_optimizer.hpp"
#include "runtime/vwm/vwm_loss_device.hpp"
#endif

namespace rnnjit::vwm {

bool use_vwm_device_step(const CellExecutor& exec, const VwmConfig& c) {
  const char* e = std::getenv("RNNJIT_DEVICE_STEP");
  if (exec.backend() != "cuda" || (e && std::string(e) == "0")) return false;
#ifdef RNNJIT_HAVE_CUDA
  // The loss kernels' limits (vwm_loss_device.hpp); beyond them the host loop.
  return c.max_item_num <= kVwmLossMaxItems && make_timeline(c).steps <= 65535;
#else
  (void)c;
  return false;
#endif
}

#ifdef RNNJIT_HAVE_CUDA

namespace {

std::vector<float> to_floats(const std::vector<double>& v) {
  return std::vector<float>(v.begin(), v.end());
}

// The learned tensors of the cell the VWM trainer updates (W and B; tau is a fixed buffer), then
// the readout F, which lives outside the cell.
std::vector<cuda::ParamSegment> vwm_segments(CellExecutor& exec, const ir::Module& m,
                                             const TensorMap& state,
                                             const std::set<std::string>& nonnegative) {
  const std::set<std::string> cell{kRecurrentName, kInputWeightName};
  std::vector<cuda::ParamSegment> segs =
      cuda::plan_segments(cuda::plan_of(exec), m, nonnegative, &cell);
  const Tensor& f = require(state, kReadoutName, "vwm device step");
  cuda::append_extra_segment(segs, kReadoutName, f.shape(), nonnegative.count(kReadoutName) > 0);
  return segs;
}

}  // namespace

struct VwmDeviceStep::Impl {
  Impl(CellExecutor& e, const ir::Module& m, const VwmConfig& cfg, const TensorMap& state,
       const std::set<std::string>& nonnegative, const train::Adam& adam)
      : exec(e),
        c(cfg),
        lo(loss_options(cfg, 0)),
        initial(state),
        opt(vwm_segments(e, m, state, nonnegative), state, adam, cuda::stream_of(e)),
        loss(lo, cfg.num_neurons, cfg.max_item_num) {
    const Tensor& f = state.at(kReadoutName);
    std::vector<float> host(static_cast<size_t>(f.numel()));
    for (int64_t k = 0; k < f.numel(); ++k)
      host[static_cast<size_t>(k)] = static_cast<float>(f.at_f64(k));
    F.upload(host);
    dF.reserve(host.size());
  }

  CellExecutor& exec;
  VwmConfig c;
  LossOptions lo;
  TensorMap initial;  // the parameters of the first forward (packed and uploaded once)
  cuda::DeviceOptimizer opt;
  DeviceVwmLoss loss;
  cuda::DeviceBuffer F, dF, theta, presence, trial_out, decoded;
  cuda::ResidentRun last;
  bool dirty = false;
};

VwmDeviceStep::VwmDeviceStep(CellExecutor& exec, const ir::Module& m, const VwmConfig& c,
                             const TensorMap& state, const std::set<std::string>& nonnegative,
                             const train::Adam& adam) {
  if (exec.backend() != "cuda")
    throw std::logic_error("vwm device step: the cell does not run on the CUDA backend");
  impl_ = std::make_unique<Impl>(exec, m, c, state, nonnegative, adam);
}

VwmDeviceStep::~VwmDeviceStep() = default;

LossResult VwmDeviceStep::step(const TensorMap& inputs, const VwmBatch& batch, uint64_t noise_seed,
                               train::Adam& adam) {
  Impl& s = *impl_;
  const int64_t B = batch.trials, M = batch.items;
  s.theta.upload(to_floats(batch.theta));
  s.presence.upload(to_floats(batch.presence));
  s.trial_out.reserve(static_cast<size_t>(std::max<int64_t>(1, 4 * B)));
  s.decoded.reserve(static_cast<size_t>(std::max<int64_t>(1, B * M)));

  RunOptions ro;
  ro.noise_seed = noise_seed;
  const bool first = !s.initial.empty();
  cuda::ResidentRun rr = cuda::forward_resident(s.exec, first ? &s.initial : nullptr, inputs, ro);
  if (first) s.initial.clear();
  s.loss.launch(rr.r, s.F.ptr(), s.theta.ptr(), s.presence.ptr(), B, rr.steps, noise_seed, rr.dr,
                s.dF.ptr(), s.trial_out.ptr(), s.decoded.ptr(), rr.stream);
  rr = cuda::backward_resident(s.exec);
  s.last = rr;
  rr.bufs.extra = reinterpret_cast<float*>(static_cast<uintptr_t>(s.F.ptr()));
  rr.bufs.dextra = reinterpret_cast<const float*>(static_cast<uintptr_t>(s.dF.ptr()));

  // The seed does not clip (clip_norm 0): then no norm is needed and nothing waits here.
  double scale = 1.0;
  if (adam.config().clip_norm > 0) scale = adam.clip_scale(std::sqrt(s.opt.grad_sumsq(rr.bufs)));
  TensorMap none;
  adam.apply(none, {}, {}, scale);  // counts the step (every learned tensor is on the device)
  s.opt.step(rr.bufs, cuda::adam_step_scalars(adam.config(), adam.steps(), scale));
  s.dirty = true;

  // Per-trial metrics for the log (waits for the whole iteration).
  const std::vector<float> trial = s.trial_out.download(static_cast<size_t>(4 * B));
  const std::vector<float> dec = s.decoded.download(static_cast<size_t>(B * M));
  LossOptions lo = s.lo;
  lo.noise.seed = noise_seed;
  return loss_result_from_parts(lo, B, M, trial, dec, batch.theta, batch.presence);
}

Tensor VwmDeviceStep::trial_rates(int64_t b) const {
  const Impl& s = *impl_;
  if (b < 0 || b >= s.last.batch) throw std::out_of_range("vwm device step: no such trial");
  const int64_t T = s.last.steps, N = s.c.num_neurons;
  std::vector<float> host(static_cast<size_t>(T * N));
  const cuda::DriverApi& d = cuda::driver();
  d.check(d.StreamSynchronize(s.last.stream), "cuStreamSynchronize(trial rates)");
  d.check(d.MemcpyDtoH(host.data(), s.last.r + static_cast<CUdeviceptr>(b * T * N) * sizeof(float),
                       host.size() * sizeof(float)),
          "cuMemcpyDtoH(trial rates)");
  return Tensor::f32({T, N}, std::move(host));
}

void VwmDeviceStep::sync_to_host(TensorMap& state, train::Adam& adam) {
  Impl& s = *impl_;
  if (!s.dirty) return;
  s.opt.copy_to_host(state, adam);
  s.dirty = false;
}

#else  // no CUDA in this build: use_vwm_device_step() is always false, so these never run

struct VwmDeviceStep::Impl {};
VwmDeviceStep::VwmDeviceStep(CellExecutor&, const ir::Module&, const VwmConfig&, const TensorMap&,
                             const std::set<std::string>&, const train::Adam&) {
  throw std::logic_error("vwm device step: this build has no CUDA backend");
}
VwmDeviceStep::~VwmDeviceStep() = default;
LossResult VwmDeviceStep::step(const TensorMap&, const VwmBatch&, uint64_t, train::Adam&) {
  return {};
}
Tensor VwmDeviceStep::trial_rates(int64_t) const {
  return {};
}
void VwmDeviceStep::sync_to_host(TensorMap&, train::Adam&) {}

#endif

}  // namespace rnnjit::vwm
