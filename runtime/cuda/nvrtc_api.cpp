#include "runtime/cuda/nvrtc_api.hpp"

#include <memory>
#include <mutex>
#include <stdexcept>

#include "runtime/cuda/dynlib.hpp"

namespace rnnjit::cuda {

namespace {

struct Loaded {
  std::unique_ptr<DynLib> lib;
  NvrtcApi api;
  std::string error;
};

Loaded load() {
  Loaded l;
  l.lib = std::make_unique<DynLib>(
      std::vector<std::string>{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"});
  if (!l.lib->ok()) {
    l.error = "libnvrtc not found (tried " + l.lib->error() + "): install the CUDA toolkit's NVRTC";
    return l;
  }
  NvrtcApi& a = l.api;
  a.library = l.lib->loaded_name();
  bool missing = false;
  auto get = [&](auto& fn, const char* sym) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(l.lib->symbol(sym));
    if (!fn && !missing) {
      missing = true;
      l.error = a.library + " has no symbol " + sym;
    }
  };
  get(a.Version, "nvrtcVersion");
  get(a.GetErrorString, "nvrtcGetErrorString");
  get(a.CreateProgram, "nvrtcCreateProgram");
  get(a.DestroyProgram, "nvrtcDestroyProgram");
  get(a.CompileProgram, "nvrtcCompileProgram");
  get(a.GetProgramLogSize, "nvrtcGetProgramLogSize");
  get(a.GetProgramLog, "nvrtcGetProgramLog");
  get(a.GetPTXSize, "nvrtcGetPTXSize");
  get(a.GetPTX, "nvrtcGetPTX");
  get(a.GetCUBINSize, "nvrtcGetCUBINSize");
  get(a.GetCUBIN, "nvrtcGetCUBIN");
  if (missing) return l;
  if (a.Version(&a.major, &a.minor) != NVRTC_SUCCESS)
    l.error = "nvrtcVersion failed in " + a.library;
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

void NvrtcApi::check(nvrtcResult r, const char* what) const {
  if (r == NVRTC_SUCCESS) return;
  throw std::runtime_error(std::string("NVRTC call ") + what + " failed: " +
                           (GetErrorString ? GetErrorString(r) : "error " + std::to_string(r)));
}

const NvrtcApi& nvrtc() {
  const Loaded& l = loaded();
  if (!l.error.empty()) throw std::runtime_error(l.error);
  return l.api;
}

bool nvrtc_available(std::string* why) {
  const Loaded& l = loaded();
  if (why) *why = l.error;
  return l.error.empty();
}

}  // namespace rnnjit::cuda
