// The optimiser on the GPU: float32 masters and Adam moments of every learned cell tensor stay on
// the device, and each step runs two kernels per tensor (templates/optimizer.cuh): the squares of
// the gradient for the global clip norm, then the fused gather-clip-Adam-write into the packed
// buffers the next forward reads. Nothing crosses PCIe but the per-CTA partial sums of the norm.
// The host twin of both kernels is in param_segments.hpp.
#pragma once

#include <string>
#include <vector>

#include "runtime/cuda/cuda_driver.hpp"
#include "runtime/cuda/device_buffer.hpp"
#include "runtime/train/cuda/param_segments.hpp"

namespace rnnjit::cuda {

class DeviceOptimizer {
 public:
  // Uploads the masters from `params` (float64) and the moments from `adam` where it has them
  // (a resumed run), zeros elsewhere. Kernels run on `stream`.
  DeviceOptimizer(std::vector<ParamSegment> segments, const TensorMap& params,
                  const train::Adam& adam, CUstream stream);
  ~DeviceOptimizer();
  DeviceOptimizer(const DeviceOptimizer&) = delete;
  DeviceOptimizer& operator=(const DeviceOptimizer&) = delete;

  const std::vector<ParamSegment>& segments() const { return segs_; }

  // Sum over every segment of dP^2, read from the gradient buffers in `bufs` (device addresses).
  // Waits for the stream: the caller needs the value to choose the clip factor.
  double grad_sumsq(const PackedBufferPtrs& bufs);
  // Enqueues one fused Adam step of every segment; no synchronisation.
  void step(const PackedBufferPtrs& bufs, const opt::AdamStep& a);
  // Masters into `params` (float64) and moments into `adam` (set_moments); waits for the stream.
  void copy_to_host(TensorMap& params, train::Adam& adam) const;

 private:
  unsigned grid_for(int64_t count) const;

  std::vector<ParamSegment> segs_;
  CUstream stream_ = nullptr;
  CUmodule module_ = nullptr;
  CUfunction sumsq_ = nullptr, adam_ = nullptr;
  int64_t total_ = 0;
  unsigned max_grid_ = 1;
  DeviceBuffer masters_, m_, v_, partials_;
};

}  // namespace rnnjit::cuda
