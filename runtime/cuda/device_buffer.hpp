// Device memory owned by RAII, sized in floats; grows on demand and never shrinks (the executor
// reuses its buffers across runs of the same shape).
#pragma once

#include <cstddef>
#include <vector>

#include "runtime/cuda/cuda_driver.hpp"

namespace rnnjit::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  // Makes room for `floats` floats (contents undefined after a reallocation).
  void reserve(size_t floats) {
    if (floats <= capacity_) return;
    release();
    const DriverApi& d = driver();
    d.check(d.MemAlloc(&ptr_, floats * sizeof(float)), "cuMemAlloc");
    capacity_ = floats;
  }
  void upload(const std::vector<float>& host) {
    reserve(host.size() ? host.size() : 1);
    if (host.empty()) return;
    const DriverApi& d = driver();
    d.check(d.MemcpyHtoD(ptr_, host.data(), host.size() * sizeof(float)), "cuMemcpyHtoD");
  }
  std::vector<float> download(size_t floats) const {
    std::vector<float> host(floats);
    if (floats == 0) return host;
    const DriverApi& d = driver();
    d.check(d.MemcpyDtoH(host.data(), ptr_, floats * sizeof(float)), "cuMemcpyDtoH");
    return host;
  }
  void zero(size_t floats, CUstream stream) {
    reserve(floats ? floats : 1);
    if (floats == 0) return;
    const DriverApi& d = driver();
    d.check(d.MemsetD32Async(ptr_, 0, floats, stream), "cuMemsetD32Async");
  }
  void fill_nan(size_t floats, CUstream stream) {
    reserve(floats ? floats : 1);
    if (floats == 0) return;
    const DriverApi& d = driver();
    d.check(d.MemsetD32Async(ptr_, 0x7fc00000u, floats, stream), "cuMemsetD32Async(NaN)");
  }
  CUdeviceptr ptr() const { return ptr_; }

 private:
  void release() {
    if (ptr_) driver().MemFree(ptr_);  // freeing cannot usefully fail here; errors resurface later
    ptr_ = 0;
    capacity_ = 0;
  }
  CUdeviceptr ptr_ = 0;
  size_t capacity_ = 0;
};

}  // namespace rnnjit::cuda
