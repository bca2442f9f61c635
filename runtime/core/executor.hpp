// The contract every backend implements: forward over T steps, then the hand-derived adjoint.
//
// Names and layouts (batch-first) are the same everywhere: the CLI's files, the trainers and the
// tests all speak in TensorMaps keyed by the spec's names.
//   params  : every Param and Buffer value of the module by name (Wo [N,N], Wa [K,N,N], B [N,I],
//             bias [N], tau [N]).
//   inputs  : "r0" [B,N]; each gate input by name [B,T,K]; each input by name [B,T,I].
//   forward : returns r [B,T,N] = r_1..r_T.
//   backward: takes dr [B,T,N] = dL/dr_t (the explicit cotangent e_t of docs/DESIGN.md section 6.1)
//   and
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
#include <vector>

#include "ir/module.hpp"
#include "rnnjit/run_options.hpp"
#include "runtime/core/tensor.hpp"

namespace rnnjit {

// ExecutorConfig is the public CompileOptions; RunOptions is public too (rnnjit/run_options.hpp).
using ExecutorConfig = CompileOptions;

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

// An ensemble: E independent networks of one cell (each with its own parameters and inputs),
// run together. Member e of an ensemble gives bit for bit what the same network gives alone on
// the same backend. A backend that can runs all members in one launch (the CPU backend: members x
// trial tiles over its thread pool); the generic form runs them one after another.
class EnsembleExecutor {
 public:
  virtual ~EnsembleExecutor() = default;
  virtual std::string backend() const = 0;
  virtual DType dtype() const = 0;
  virtual int members() const = 0;
  // One entry per member: params[e], inputs[e] and options[e] (its noise seed) as for
  // CellExecutor::forward; returns r [B_e,T_e,N] per member.
  virtual std::vector<Tensor> forward(const std::vector<TensorMap>& params,
                                      const std::vector<TensorMap>& inputs,
                                      const std::vector<RunOptions>& options) = 0;
  // The adjoint of the most recent forward, per member.
  virtual std::vector<TensorMap> backward(const std::vector<Tensor>& dr) = 0;
};

}  // namespace rnnjit
