// The VWM trainer's iteration with the GPU doing the work: the learned tensors (W, B and the
// readout F) stay on the device as float32 masters with their Adam moments
// (runtime/train/cuda/device_optimizer.hpp), the readout noise, loss, dL/dr and dL/dF are computed there
// (vwm_loss_device.hpp), and the cell's forward, adjoint and weight-gradient kernels, the loss and
// the optimiser run back to back on one stream. Per iteration only the batch's input goes up, and
// per-trial metrics (B x 4 values, B x M decoded angles) come down for the log.
//
// Same maths as the host loop of train_vwm (forward, vwm_loss, backward, Adam::step without
// clipping), in float32 for the parameters and the loss.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "runtime/core/executor.hpp"
#include "runtime/train/adam.hpp"
#include "runtime/vwm/vwm_loss.hpp"

namespace rnnjit::vwm {

class VwmDeviceStep {
 public:
  // exec must be the CUDA executor of cell `m`. state: every parameter by name (float64), the
  // readout F under kReadoutName; the learned ones are kRecurrentName, kInputWeightName and F, the
  // names in `nonnegative` projected to >= 0; adam lends its moments (a resumed run).
  VwmDeviceStep(CellExecutor& exec, const ir::Module& m, const VwmConfig& c, const TensorMap& state,
                const std::set<std::string>& nonnegative, const train::Adam& adam);
  ~VwmDeviceStep();

  // One iteration on `inputs` (r0 and the stimulus) with spike-noise seed `noise_seed`; the Adam
  // step uses adam.config() (the plateau scheduler's lr) and counts in adam. The result has every
  // field of vwm_loss's LossResult but dr and dF.
  LossResult step(const TensorMap& inputs, const VwmBatch& batch, uint64_t noise_seed,
                  train::Adam& adam);
  // Rates [T, N] of trial b of the latest iteration (for the example figure).
  Tensor trial_rates(int64_t b) const;
  // The device's masters into state, their moments into adam; a no-op when nothing changed.
  void sync_to_host(TensorMap& state, train::Adam& adam);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether train_vwm takes the device step: the executor is CUDA, the config is within the loss
// kernels' limits (at most kVwmLossMaxItems items, 65535 steps) and RNNJIT_DEVICE_STEP is not "0".
bool use_vwm_device_step(const CellExecutor& exec, const VwmConfig& c);

}  // namespace rnnjit::vwm
