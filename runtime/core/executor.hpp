// The contract every backend implements: forward over T steps, then the hand-derived adjoint.
//
// Names and layouts (batch-first) are the same everywhere: the CLI's files, the trainers and the
// tests all speak in TensorMaps keyed by the spec's names.
//   params  : every Param and Buffer value of the module by name (Wo [N,N], Wa [K,N,N], B [N,I],
//             bias [N], tau [N]).
//   inputs  : "r0" [B,N]; each gate input by name [B,T,K]; each input by name [B,T,I].
//   forward : returns r [B,T,N] = r_1..r_T.
//   backward: takes dr [B,T,N] = dL/dr_t (the explicit cotangent e_t of DESIGN.md section 3) and
//             returns dL/d(every learned Param), "r0", and every gate and input by name.
//
// Threads: an executor keeps the state of its last forward() for backward(), so one executor
// belongs to one thread at a time. Distinct executors may run at the same time on different
// threads and compute bit for bit what they compute one after the other, and building them is
// thread-safe (the CPU backend's JIT compiles one cell at a time behind a lock that also guards its
// in-memory cache; its disk cache writes whole files by rename). The CPU executors share one
// thread pool, whose runs take turns. tests/cpu/concurrent_executors_test.cpp checks this for the
// reference and CPU backends; the CUDA backend has not been run from several threads on a GPU.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ir/module.hpp"
#include "runtime/core/tensor.hpp"

namespace rnnjit {

struct RunOptions {
  uint64_t noise_seed = 0;  // keys the counter-based spike-noise generator (seed, t, b, i)
  // T when no gate or input tensor fixes it (a cell driven only by r0); -1 otherwise.
  int64_t steps = -1;
  // false: the caller does not need backward()'s dL/d(gates). The CUDA backend then skips the
  // products of slots whose coefficient is zero for a whole trial tile (e.g. the zero-padded gate
  // channels of the seed's K = 16 ring) and leaves the gate gradients out of backward()'s map; the
  // other backends compute them anyway. Every other gradient is unaffected.
  bool gate_grads = true;
};

class CellExecutor {
 public:
  virtual ~CellExecutor() = default;
  virtual std::string backend() const = 0;  // "reference", "cpu", "cuda"
  virtual std::string device() const = 0;   // human-readable, e.g. "NVIDIA H100 (sm_90)"
  virtual DType dtype() const = 0;          // the dtype of returned tensors
  virtual double compile_seconds() const { return 0.0; }  // JIT time spent so far

  // Inputs of either dtype are accepted and converted. Shapes are checked against the module;
  // a mismatch throws ShapeError naming the tensor and both shapes.
  virtual Tensor forward(const TensorMap& params, const TensorMap& inputs,
                         const RunOptions& opt = {}) = 0;
  // Adjoint of the most recent forward(). Throws std::logic_error if there was none.
  virtual TensorMap backward(const Tensor& dr) = 0;
};

struct ExecutorConfig {
  std::string backend = "auto";    // reference | cpu | cuda | auto
  std::string precision = "fp32";  // fp32 | fp64 (cpu) | tf32 | bf16 (cuda, when supported)
  bool verbose = false;            // print the backend chosen and JIT timings to stderr
};

}  // namespace rnnjit
