// How a cell is compiled (which backend, which precision) and how one run of it goes (the noise
// seed, T for a cell without inputs): part of the public API, and what every backend takes.
#pragma once

#include <cstdint>
#include <string>

namespace rnnjit {

struct CompileOptions {
  // reference (float64 interpreter) | cpu (LLVM ORC JIT) | cuda (NVRTC) | auto (cuda when a device
  // answers, else cpu, else reference)
  std::string backend = "auto";
  std::string precision = "fp32";  // fp32 | fp64 (cpu; reference is always float64)
  bool verbose = false;            // say on stderr which backend was chosen and the JIT timings
};

struct RunOptions {
  uint64_t noise_seed = 0;  // keys the counter-based spike-noise generator (seed, t, b, i)
  // T when no gate or input tensor fixes it (a cell driven only by r0); -1 otherwise.
  int64_t steps = -1;
  // false: the caller does not need backward()'s dL/d(gates). The CUDA backend then skips the
  // products of slots whose coefficient is zero for a whole trial tile (e.g. the zero-padded gate
  // channels of a K = 16 ring) and leaves the gate gradients out of backward()'s map; the other
  // backends compute them anyway. Every other gradient is unaffected.
  bool gate_grads = true;
};

}  // namespace rnnjit
