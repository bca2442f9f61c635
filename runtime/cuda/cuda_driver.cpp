#include "runtime/cuda/cuda_driver.hpp"

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "runtime/cuda/cuda_executor.hpp"
#include "runtime/cuda/dynlib.hpp"

// cuda.h maps API names to versioned symbols (cuMemAlloc -> cuMemAlloc_v2); dlsym needs the
// versioned name, which these macros produce from the same mapping.
#define RNNJIT_STR2(x) #x
#define RNNJIT_STR(x) RNNJIT_STR2(x)

namespace rnnjit::cuda {

namespace {

struct Loaded {
  std::unique_ptr<DynLib> lib;
  DriverApi api;
  std::string error;
};

Loaded load() {
  Loaded l;
  l.lib = std::make_unique<DynLib>(std::vector<std::string>{"libcuda.so.1", "libcuda.so"});
  if (!l.lib->ok()) {
    l.error = "libcuda.so.1 not found: no NVIDIA driver";
    return l;
  }
  DriverApi& a = l.api;
  auto get = [&](auto& fn, const char* versioned, const char* plain) {
    void* p = l.lib->symbol(versioned);
    if (!p) p = l.lib->symbol(plain);
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
    if (!fn && l.error.empty())
      l.error = "the NVIDIA driver (" + l.lib->loaded_name() + ") has no " + versioned +
                ": driver too old";
  };
#define RNNJIT_GET(field, fn) get(a.field, RNNJIT_STR(fn), #fn)
  RNNJIT_GET(Init, cuInit);
  RNNJIT_GET(DriverGetVersion, cuDriverGetVersion);
  RNNJIT_GET(GetErrorName, cuGetErrorName);
  RNNJIT_GET(GetErrorString, cuGetErrorString);
  RNNJIT_GET(DeviceGetCount, cuDeviceGetCount);
  RNNJIT_GET(DeviceGet, cuDeviceGet);
  RNNJIT_GET(DeviceGetName, cuDeviceGetName);
  RNNJIT_GET(DeviceGetAttribute, cuDeviceGetAttribute);
  RNNJIT_GET(DevicePrimaryCtxRetain, cuDevicePrimaryCtxRetain);
  RNNJIT_GET(DevicePrimaryCtxRelease, cuDevicePrimaryCtxRelease);
  RNNJIT_GET(CtxSetCurrent, cuCtxSetCurrent);
  RNNJIT_GET(CtxSynchronize, cuCtxSynchronize);
  RNNJIT_GET(ModuleLoadData, cuModuleLoadData);
  RNNJIT_GET(ModuleUnload, cuModuleUnload);
  RNNJIT_GET(ModuleGetFunction, cuModuleGetFunction);
  RNNJIT_GET(ModuleGetGlobal, cuModuleGetGlobal);
  RNNJIT_GET(FuncSetAttribute, cuFuncSetAttribute);
  RNNJIT_GET(MemAlloc, cuMemAlloc);
  RNNJIT_GET(MemFree, cuMemFree);
  RNNJIT_GET(MemcpyHtoD, cuMemcpyHtoD);
  RNNJIT_GET(MemcpyDtoH, cuMemcpyDtoH);
  RNNJIT_GET(MemsetD32Async, cuMemsetD32Async);
  RNNJIT_GET(LaunchKernel, cuLaunchKernel);
  RNNJIT_GET(StreamCreate, cuStreamCreate);
  RNNJIT_GET(StreamDestroy, cuStreamDestroy);
  RNNJIT_GET(StreamSynchronize, cuStreamSynchronize);
  RNNJIT_GET(EventCreate, cuEventCreate);
  RNNJIT_GET(EventDestroy, cuEventDestroy);
  RNNJIT_GET(EventRecord, cuEventRecord);
  RNNJIT_GET(EventSynchronize, cuEventSynchronize);
  RNNJIT_GET(EventElapsedTime, cuEventElapsedTime);
#undef RNNJIT_GET
  if (!l.error.empty()) return l;
  if (CUresult r = a.Init(0); r != CUDA_SUCCESS) {
    const char* name = nullptr;
    a.GetErrorName(r, &name);
    l.error = std::string("cuInit failed: ") + (name ? name : "unknown error") +
              (r == CUDA_ERROR_NO_DEVICE ? " (no CUDA device)" : "");
    return l;
  }
  int count = 0;
  if (a.DeviceGetCount(&count) != CUDA_SUCCESS || count == 0) l.error = "no CUDA device";
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

void DriverApi::check(CUresult r, const char* what) const {
  if (r == CUDA_SUCCESS) return;
  const char* name = nullptr;
  const char* text = nullptr;
  if (GetErrorName) GetErrorName(r, &name);
  if (GetErrorString) GetErrorString(r, &text);
  throw std::runtime_error(std::string("CUDA driver call ") + what +
                           " failed: " + (name ? name : "error " + std::to_string(r)) +
                           (text ? std::string(" (") + text + ")" : ""));
}

const DriverApi& driver() {
  const Loaded& l = loaded();
  if (!l.error.empty()) throw std::runtime_error(l.error);
  return l.api;
}

bool driver_available(std::string* why) {
  const Loaded& l = loaded();
  if (why) *why = l.error;
  return l.error.empty();
}

namespace {

Device open_device() {
  const DriverApi& d = driver();
  Device dv;
  int ordinal = 0;
  if (const char* e = std::getenv("RNNJIT_CUDA_DEVICE")) ordinal = std::atoi(e);
  d.check(d.DeviceGet(&dv.dev, ordinal), "cuDeviceGet");
  char name[256] = {};
  d.check(d.DeviceGetName(name, sizeof(name), dv.dev), "cuDeviceGetName");
  dv.name = name;
  d.check(d.DeviceGetAttribute(&dv.major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dv.dev),
          "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)");
  d.check(d.DeviceGetAttribute(&dv.minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dv.dev),
          "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)");
  d.check(d.DeviceGetAttribute(&dv.sm_count, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dv.dev),
          "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
  int smem = 0;
  d.check(
      d.DeviceGetAttribute(&smem, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, dv.dev),
      "cuDeviceGetAttribute(MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)");
  dv.max_smem_optin = static_cast<size_t>(smem);
  d.check(d.DevicePrimaryCtxRetain(&dv.ctx, dv.dev), "cuDevicePrimaryCtxRetain");
  d.check(d.CtxSetCurrent(dv.ctx), "cuCtxSetCurrent");
  return dv;
}

}  // namespace

const Device& device() {
  static const Device dv = open_device();
  // The primary context must be current on whichever thread calls in.
  driver().check(driver().CtxSetCurrent(dv.ctx), "cuCtxSetCurrent");
  return dv;
}

}  // namespace rnnjit::cuda

namespace rnnjit {

bool cuda_probe_device(std::string* why) {
  std::string reason;
  if (!cuda::driver_available(&reason)) {
    if (why) *why = reason;
    return false;
  }
  try {
    cuda::device();
  } catch (const std::exception& e) {
    if (why) *why = e.what();
    return false;
  }
  if (why) why->clear();
  return true;
}

}  // namespace rnnjit
