// The ring trainer's step with the GPU doing all of the heavy work: the cell's parameters stay on
// the device (float32 masters and Adam moments, runtime/train/cuda/device_optimizer.hpp), the loss and
// dL/dr are computed there (ring_loss_device.hpp), and the forward, adjoint, weight-gradient,
// loss and optimiser kernels run back to back on one stream. Per step only the batch's initial
// bump and gates go up, and the loss partials, the norm partials (and, with gain networks, the gate
// gradient for their host backward) come down.
//
// The gain networks (a few dozen parameters) stay on the host with the host Adam, which also keeps
// the step count; the clip norm spans both (the device's sum of squares plus the gain nets').
// Same maths as the host loop of train_ring (model.run + Adam::step), in float32 instead of
// float64 for the parameters and the loss.
#pragma once

#include <memory>

#include "runtime/train/adam.hpp"
#include "runtime/ring/ring_model.hpp"

namespace rnnjit::train::ring {

struct DeviceStepResult {
  RingLossValue loss;
  double grad_norm = 0;  // before clipping, over every learned parameter
};

class RingDeviceStep {
 public:
  // model's executor must be the CUDA one. Takes the cell's current parameters from
  // model.params() and their moments from adam (empty for a fresh run).
  RingDeviceStep(RingModel& model, Adam& adam);
  ~RingDeviceStep();

  DeviceStepResult step(const AvBatch& d);
  // The device's masters into model.params() and their moments into adam; a no-op when nothing
  // changed since the last call. Call before anything reads either (evaluation, checkpoints,
  // figures, the movie).
  void sync_to_host();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether train_ring takes the device step: the model runs on the CUDA backend, the trials are
// short enough for the loss kernel (kRingLossMaxT steps) and RNNJIT_DEVICE_STEP is not "0" (which
// keeps the host loop, for comparisons).
bool use_device_step(RingModel& model);

}  // namespace rnnjit::train::ring
