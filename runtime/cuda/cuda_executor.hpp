// The CUDA executor: plans the cell, generates and JIT-compiles its kernels (through the kernel
// cache), runs the forward kernel and, on backward(), the adjoint and weight-gradient kernels.
#pragma once

#include <memory>
#include <string>

#include "compiler/cell_plan.hpp"
#include "runtime/cuda/cuda_driver.hpp"
#include "runtime/cuda/packed_buffers.hpp"
#include "runtime/core/executor.hpp"

namespace rnnjit::cuda {

// Timing of the most recent forward/backward's kernel launches, replayed on the data already on
// the device (for bench/cuda): median milliseconds over `reps` runs after `warmup` runs, measured
// with CUDA events. Throws std::logic_error before the first forward (or backward when asked).
struct KernelTimes {
  double forward_ms = 0, backward_ms = 0, step_ms = 0;  // step = forward + backward
  int tile = 0;                                         // TB the kernels ran with
};
KernelTimes time_kernels(CellExecutor& cuda_executor, int warmup, int reps);

// Device-resident training (runtime/ring/ring_device_step.cpp): the trainer keeps the
// parameters, the loss and the optimiser on the GPU and calls these around its own kernels, so
// only the batch's inputs go up and a few scalars come down each step. Each throws
// std::logic_error when `e` is not a CUDA executor.
struct ResidentRun {
  PackedBufferPtrs bufs;      // packed parameters and (after backward_resident) the gradients
  CUdeviceptr r = 0, dr = 0;  // [B][T][N]: the rates; the cotangent the caller writes
  int64_t batch = 0, steps = 0;
  CUstream stream = nullptr;  // the executor's stream: enqueue the caller's kernels on it
};
// The plan the executor's kernels were generated from, and the stream they run on.
const CellPlan& plan_of(CellExecutor& e);
CUstream stream_of(CellExecutor& e);
// forward() that leaves r on the device and does not wait. With `params` they are packed and
// uploaded; without, the packed buffers are used as they stand (the optimiser updates them in
// place), which needs an earlier forward with parameters.
ResidentRun forward_resident(CellExecutor& e, const TensorMap* params, const TensorMap& inputs,
                             const RunOptions& opt = {});
// backward() from ResidentRun::dr; every gradient stays on the device; does not wait.
ResidentRun backward_resident(CellExecutor& e);
// dL/d(packed gates) [B][T][G] of the latest backward (waits for it).
std::vector<float> download_dgates(CellExecutor& e);

}  // namespace rnnjit::cuda

namespace rnnjit {

std::unique_ptr<CellExecutor> make_cuda_executor(const ir::Module& m, const ExecutorConfig& cfg);
// True when libcuda loads, initialises and reports a device; otherwise false with the reason in
// *why (one line, e.g. "libcuda.so.1 not found").
bool cuda_probe_device(std::string* why);

}  // namespace rnnjit
