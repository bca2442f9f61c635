// The CUDA executor: plans the cell, generates and JIT-compiles its kernels (through the kernel
// cache), runs the forward kernel and, on backward(), the adjoint and weight-gradient kernels.
#pragma once

#include <memory>
#include <string>

#include "runtime/executor.hpp"

namespace rnnjit::cuda {

// Timing of the most recent forward/backward's kernel launches, replayed on the data already on
// the device (for bench/cuda): median milliseconds over `reps` runs after `warmup` runs, measured
// with CUDA events. Throws std::logic_error before the first forward (or backward when asked).
struct KernelTimes {
  double forward_ms = 0, backward_ms = 0, step_ms = 0;  // step = forward + backward
  int tile = 0;                                         // TB the kernels ran with
};
KernelTimes time_kernels(CellExecutor& cuda_executor, int warmup, int reps);

}  // namespace rnnjit::cuda
