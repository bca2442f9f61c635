// The GPU "eager" reference of rnnjit bench (the seed's "Ref" column): the cell run the way PyTorch
// runs it, one step at a time, on the CUDA backend's packed parameters (host_pack.hpp). Per step:
//   y_t = z_t bank^T            one cuBLAS SGEMM against the stacked bank [(M N) x N]
//   s_t = sum_m c_m y_t[m]      a kernel (the gates)
//   s_t += c sum_j z_t[j]       a row-sum kernel and a broadcast kernel (the uniform term)
//   s_t += u_t W_in^T           a second SGEMM (input terms), then a bias kernel
//   p_t = phi(s_t)              a kernel
//   r_t = (1-a) z_t + a p_t     a kernel
// with s, p and y of every step kept in device memory for the backward pass, which is the hand-
// written adjoint of DESIGN.md section 3 in the same style: per step a leak-backward and an
// activation-backward kernel, the bias and alpha column sums, the gate gradients, dz and the weight
// gradients as SGEMMs accumulated into place, the input gradients as SGEMMs. The results are
// unpacked through the same host code as the CUDA backend's, so every name and shape is the same.
//
// It is a yardstick, not a backend; spike noise is not supported (throws).
#pragma once

#include <memory>

#include "bench/references/eager_ops.hpp"
#include "ir/module.hpp"
#include "runtime/core/executor.hpp"

namespace rnnjit::bench {

class EagerGpuReference : public CellExecutor {
 public:
  // Device time of the work forward() (and backward() when `train`) queue, on the data of the last
  // forward()/backward() call, without host transfers: what rnnjit bench compares the JIT with.
  virtual double time_device_ms(bool train, int warmup, int reps) = 0;
};

// On device 0 through cuBLAS and NVRTC. backend() is "eager-gpu".
std::unique_ptr<EagerGpuReference> make_eager_gpu_reference(const ir::Module& m);
// The same op sequence on the host twin of the kernels (tests). backend() is "eager-gpu-host".
std::unique_ptr<EagerGpuReference> make_eager_gpu_host_emulation(const ir::Module& m);

}  // namespace rnnjit::bench
