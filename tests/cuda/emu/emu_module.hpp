// Builds a CUDA kernel source (as the runtime hands it to NVRTC) into a host shared object with the
// thread emulator of cuda_emu.hpp, and launches its entries on the CPU. For CI tests that run the
// real text of templates/*.cuh without a GPU (tests/cuda/kernel_text_emulation_test.cpp and the
// loss kernels' tests).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace rnnjit::emu {

class EmuModule {
 public:
  // Compiles `cuda_source` with the host C++ compiler (RNNJIT_EMU_CXX) into a temporary shared
  // object and loads it. `tag` names the files. Throws std::runtime_error with the compiler's
  // command line and output when the build fails.
  EmuModule(const std::string& cuda_source, const std::string& tag);
  ~EmuModule();
  EmuModule(const EmuModule&) = delete;
  EmuModule& operator=(const EmuModule&) = delete;

  // The address of an extern "C" entry (throws when missing).
  void* symbol(const std::string& name) const;
  template <class Fn>
  Fn* entry(const std::string& name) const {
    return reinterpret_cast<Fn*>(symbol(name));
  }
  // Runs `thread_body` as every thread of a (gx, gy, gz) grid of `threads`-thread blocks with
  // `smem_bytes` of dynamic shared memory (filled with NaN bytes, as a GPU leaves it undefined).
  void launch(unsigned gx, unsigned gy, unsigned gz, unsigned threads, size_t smem_bytes,
              const std::function<void()>& thread_body) const;

 private:
  void build(const std::string& cuda_source, const std::string& tag);
  void* handle_ = nullptr;
  std::string dir_;
};

// The CUDA source as plain C++ for the emulator: `extern __shared__ T x[];` becomes a pointer into
// the emulator's per-block dynamic shared memory.
std::string emulator_text(const std::string& cuda_source);

}  // namespace rnnjit::emu
