#include "tests/cuda/emu/emu_module.hpp"

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace rnnjit::emu {

namespace {

using LaunchFn = void(unsigned, unsigned, unsigned, unsigned, size_t, void (*)(void*), void*);

std::string run_capturing(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("cannot run: " + cmd);
  std::array<char, 4096> buf{};
  while (size_t got = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), got);
  *status = pclose(p);
  return out;
}

}  // namespace

std::string emulator_text(const std::string& src) {
  static const std::regex dyn(R"(extern\s+__shared__\s+(\w+)\s+(\w+)\s*\[\s*\]\s*;)");
  return std::regex_replace(src, dyn, "$1* $2 = reinterpret_cast<$1*>(rnnjit_emu_dynamic_smem());");
}

EmuModule::EmuModule(const std::string& cuda_source, const std::string& tag) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("rnnjit-emu-" + std::to_string(::getpid()) + "-" + tag);
  fs::create_directories(dir);
  dir_ = dir.string();
  try {
    build(cuda_source, tag);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);  // the destructor does not run for a constructor that throws
    throw;
  }
}

void EmuModule::build(const std::string& cuda_source, const std::string& tag) {
  namespace fs = std::filesystem;
  const fs::path src = fs::path(dir_) / (tag + ".cpp"), so = fs::path(dir_) / (tag + ".so");
  {
    std::ofstream f(src);
    f << emulator_text(cuda_source);
    if (!f) throw std::runtime_error("cannot write " + src.string());
  }
  // -Bsymbolic: each module binds to its own emulator state, whatever else is loaded.
  const std::string cmd = std::string(RNNJIT_EMU_CXX) +
                          " -std=c++20 -O1 -w -fPIC -shared -pthread -Wl,-Bsymbolic -include '" +
                          RNNJIT_SOURCE_DIR "/tests/cuda/emu/cuda_emu.hpp' '" + src.string() +
                          "' -o '" + so.string() + "'";
  int status = 0;
  const std::string log = run_capturing(cmd, &status);
  if (status != 0)
    throw std::runtime_error(
        "emulator build failed (" +
        (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : "killed") +
        "): " + cmd + "\n" + log.substr(0, 6000));
  handle_ = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
}

EmuModule::~EmuModule() {
  if (handle_) dlclose(handle_);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void* EmuModule::symbol(const std::string& name) const {
  void* p = dlsym(handle_, name.c_str());
  if (!p) throw std::runtime_error("emulated module has no entry " + name);
  return p;
}

void EmuModule::launch(unsigned gx, unsigned gy, unsigned gz, unsigned threads, size_t smem_bytes,
                       const std::function<void()>& body) const {
  auto* fn = reinterpret_cast<LaunchFn*>(symbol("rnnjit_emu_launch"));
  fn(
      gx, gy, gz, threads, smem_bytes,
      [](void* ctx) { (*static_cast<const std::function<void()>*>(ctx))(); },
      const_cast<std::function<void()>*>(&body));
}

}  // namespace rnnjit::emu
