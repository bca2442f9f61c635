#include "runtime/cuda/nvrtc_compile.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "runtime/cuda/kernel_cache.hpp"
#include "runtime/cuda/nvrtc_api.hpp"

namespace rnnjit {

namespace fs = std::filesystem;

namespace cuda {

std::vector<std::string> nvrtc_options(const std::string& arch, bool cubin) {
  static const std::regex valid("sm_[0-9]{2,3}[af]?");
  if (!std::regex_match(arch, valid))
    throw std::runtime_error("invalid CUDA architecture '" + arch +
                             "' (expected sm_XY, e.g. sm_80 or sm_90)");
  const std::string target = cubin ? arch : "compute_" + arch.substr(3);
  // fp32 exact mode: no fast-math approximations; FMA contraction stays on (it only adds accuracy).
  return {"--gpu-architecture=" + target, "-std=c++17", "--fmad=true", "-default-device"};
}

std::string write_failed_source(const std::string& source) {
  fs::path dir;
  if (auto d = cache_directory())
    dir = *d;
  else
    dir = fs::temp_directory_path() / "rnnjit";
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path path = dir / ("failed-" + content_hash(source) + ".cu");
  std::ofstream(path, std::ios::binary) << source;
  return path.string();
}

}  // namespace cuda

std::string nvrtc_version() {
  const cuda::NvrtcApi& api = cuda::nvrtc();
  return std::to_string(api.major) + "." + std::to_string(api.minor);
}

std::string nvrtc_compile(const std::string& source, const std::string& arch, bool cubin,
                          std::string* log) {
  const std::vector<std::string> options = cuda::nvrtc_options(arch, cubin);
  const cuda::NvrtcApi& api = cuda::nvrtc();
  nvrtcProgram prog = nullptr;
  api.check(api.CreateProgram(&prog, source.c_str(), "rnnjit_kernels.cu", 0, nullptr, nullptr),
            "nvrtcCreateProgram");
  struct Destroy {
    const cuda::NvrtcApi& api;
    nvrtcProgram& prog;
    ~Destroy() { api.DestroyProgram(&prog); }
  } destroy{api, prog};

  std::vector<const char*> argv;
  for (auto& o : options) argv.push_back(o.c_str());
  const nvrtcResult compiled = api.CompileProgram(prog, static_cast<int>(argv.size()), argv.data());
  size_t log_size = 0;
  api.check(api.GetProgramLogSize(prog, &log_size), "nvrtcGetProgramLogSize");
  std::string text(log_size, '\0');
  if (log_size) api.check(api.GetProgramLog(prog, text.data()), "nvrtcGetProgramLog");
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n')) text.pop_back();
  if (log) *log = text;
  if (compiled != NVRTC_SUCCESS) {
    const std::string path = cuda::write_failed_source(source);
    throw NvrtcCompileError(
        fmt::format("NVRTC failed to compile the generated kernels for {} ({}); "
                    "source written to {}\n{}",
                    arch, api.GetErrorString(compiled), path, text),
        text, path);
  }
  std::string out;
  size_t size = 0;
  if (cubin) {
    api.check(api.GetCUBINSize(prog, &size), "nvrtcGetCUBINSize");
    out.resize(size);
    api.check(api.GetCUBIN(prog, out.data()), "nvrtcGetCUBIN");
  } else {
    api.check(api.GetPTXSize(prog, &size), "nvrtcGetPTXSize");
    out.resize(size);
    api.check(api.GetPTX(prog, out.data()), "nvrtcGetPTX");
    while (!out.empty() && out.back() == '\0') out.pop_back();  // PTX comes NUL-terminated
  }
  return out;
}

}  // namespace rnnjit
