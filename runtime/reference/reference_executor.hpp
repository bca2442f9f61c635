// The float64 reference backend: an interpreter of the IR, op by op, with the hand-written adjoint
// of every op (ops.hpp). It is the oracle every other backend is tested against, so it is written
// to be read, not to be fast.
//
// Run inputs (runtime/core/executor.hpp): "r0" [B,N] fixes B; the gate inputs [B,T,K] and inputs [B,T,I]
// fix T. A module with neither takes T from RunOptions::steps (which must then be >= 0); when both
// are given they must agree.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "runtime/core/executor.hpp"
#include "runtime/reference/ops.hpp"

namespace rnnjit::reference {

class ReferenceExecutor final : public CellExecutor {
 public:
  explicit ReferenceExecutor(ir::Module m);  // verifies the module

  std::string backend() const override { return "reference"; }
  std::string device() const override { return "host (float64 interpreter)"; }
  DType dtype() const override { return DType::F64; }

  Tensor forward(const TensorMap& params, const TensorMap& inputs,
                 const RunOptions& opt = {}) override;
  TensorMap backward(const Tensor& dr) override;

  // Introspection for tests and debugging, valid after forward(): the value `id` of the module at
  // step t (0-based, t < steps()) for per-step values, or its prologue value otherwise.
  const Buffer& value_at(int64_t t, int id) const;
  int64_t batch() const;
  int64_t steps() const;
  const ir::Module& module() const { return m_; }

 private:
  // Everything one forward() computes; backward() reads it. Built aside and committed only when
  // the whole forward pass succeeded, so a failing call leaves the previous run intact.
  struct Run {
    int64_t batch = 0;
    std::vector<Buffer> fixed;                // by value id: Param, Buffer and Derived values
    std::vector<std::vector<Buffer>> frames;  // frames[t][id]: per-step values of step t+1
    std::vector<std::vector<Buffer>> saved;   // saved[t][k]: what step op k kept for its adjoint
    uint64_t noise_seed = 0;                  // RunOptions::noise_seed of this run
  };

  bool per_step(int id) const;  // StateIn, GateIn, InputIn, Temp: one value per step
  std::vector<const Buffer*> operands(const ir::Op& op, const Run& run, int64_t t) const;

  ir::Module m_;
  std::optional<Run> run_;
};

}  // namespace rnnjit::reference

namespace rnnjit {

// The float64 reference interpreter as a CellExecutor (the oracle of every backend test).
std::unique_ptr<CellExecutor> make_reference_executor(const ir::Module& m);

}  // namespace rnnjit
