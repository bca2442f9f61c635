// libnvrtc loaded at run time (libnvrtc.so.13, .so.12, .so). NVRTC needs no GPU: CI compiles every
// generated kernel with it. Every call goes through check(), which names the call that failed.
#pragma once

#include <nvrtc.h>

#include <string>

namespace rnnjit::cuda {

struct NvrtcApi {
  decltype(&::nvrtcVersion) Version = nullptr;
  decltype(&::nvrtcGetErrorString) GetErrorString = nullptr;
  decltype(&::nvrtcCreateProgram) CreateProgram = nullptr;
  decltype(&::nvrtcDestroyProgram) DestroyProgram = nullptr;
  decltype(&::nvrtcCompileProgram) CompileProgram = nullptr;
  decltype(&::nvrtcGetProgramLogSize) GetProgramLogSize = nullptr;
  decltype(&::nvrtcGetProgramLog) GetProgramLog = nullptr;
  decltype(&::nvrtcGetPTXSize) GetPTXSize = nullptr;
  decltype(&::nvrtcGetPTX) GetPTX = nullptr;
  decltype(&::nvrtcGetCUBINSize) GetCUBINSize = nullptr;
  decltype(&::nvrtcGetCUBIN) GetCUBIN = nullptr;

  std::string library;  // the file that was loaded
  int major = 0, minor = 0;

  // Throws std::runtime_error "NVRTC call <what> failed: <error string>" unless r is success.
  void check(nvrtcResult r, const char* what) const;
};

// The process-wide NVRTC, loaded on first use. Throws std::runtime_error with one clear line
// ("libnvrtc not found (tried ...)") when it is missing.
const NvrtcApi& nvrtc();
// True when NVRTC loads; otherwise false with the reason in *why.
bool nvrtc_available(std::string* why);

}  // namespace rnnjit::cuda
