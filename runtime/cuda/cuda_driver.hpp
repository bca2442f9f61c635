// The CUDA driver API, loaded from libcuda.so.1 at run time. Every call goes through check(),
// which throws std::runtime_error naming the call and the driver's error name and string.
#pragma once

#include <cuda.h>

#include <string>

namespace rnnjit::cuda {

struct DriverApi {
  decltype(&::cuInit) Init = nullptr;
  decltype(&::cuDriverGetVersion) DriverGetVersion = nullptr;
  decltype(&::cuGetErrorName) GetErrorName = nullptr;
  decltype(&::cuGetErrorString) GetErrorString = nullptr;
  decltype(&::cuDeviceGetCount) DeviceGetCount = nullptr;
  decltype(&::cuDeviceGet) DeviceGet = nullptr;
  decltype(&::cuDeviceGetName) DeviceGetName = nullptr;
  decltype(&::cuDeviceGetAttribute) DeviceGetAttribute = nullptr;
  decltype(&::cuDevicePrimaryCtxRetain) DevicePrimaryCtxRetain = nullptr;
  decltype(&::cuDevicePrimaryCtxRelease) DevicePrimaryCtxRelease = nullptr;
  decltype(&::cuCtxSetCurrent) CtxSetCurrent = nullptr;
  decltype(&::cuCtxSynchronize) CtxSynchronize = nullptr;
  decltype(&::cuModuleLoadData) ModuleLoadData = nullptr;
  decltype(&::cuModuleUnload) ModuleUnload = nullptr;
  decltype(&::cuModuleGetFunction) ModuleGetFunction = nullptr;
  decltype(&::cuModuleGetGlobal) ModuleGetGlobal = nullptr;
  decltype(&::cuFuncSetAttribute) FuncSetAttribute = nullptr;
  decltype(&::cuMemAlloc) MemAlloc = nullptr;
  decltype(&::cuMemFree) MemFree = nullptr;
  decltype(&::cuMemcpyHtoD) MemcpyHtoD = nullptr;
  decltype(&::cuMemcpyDtoH) MemcpyDtoH = nullptr;
  decltype(&::cuMemsetD32Async) MemsetD32Async = nullptr;
  decltype(&::cuLaunchKernel) LaunchKernel = nullptr;
  decltype(&::cuStreamCreate) StreamCreate = nullptr;
  decltype(&::cuStreamDestroy) StreamDestroy = nullptr;
  decltype(&::cuStreamSynchronize) StreamSynchronize = nullptr;
  decltype(&::cuEventCreate) EventCreate = nullptr;
  decltype(&::cuEventDestroy) EventDestroy = nullptr;
  decltype(&::cuEventRecord) EventRecord = nullptr;
  decltype(&::cuEventSynchronize) EventSynchronize = nullptr;
  decltype(&::cuEventElapsedTime) EventElapsedTime = nullptr;

  void check(CUresult r, const char* what) const;
};

// The process-wide driver, loaded and cuInit'ed on first use. Throws std::runtime_error with one
// line ("libcuda.so.1 not found: no NVIDIA driver") when it cannot be used.
const DriverApi& driver();
// True when the driver loads, initialises and reports at least one device; else false with the
// reason in *why.
bool driver_available(std::string* why);

// One device with its primary context current on the calling thread.
struct Device {
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  int major = 0, minor = 0, sm_count = 0;
  size_t max_smem_optin = 0;
  std::string name;
  std::string arch() const { return "sm_" + std::to_string(major) + std::to_string(minor); }
  std::string describe() const { return name + " (" + arch() + ")"; }
};
// Device 0 (or $RNNJIT_CUDA_DEVICE), its primary context retained for the process lifetime.
const Device& device();

}  // namespace rnnjit::cuda
