// The ring attractor as the trainer sees it: the compiled cell and its executor, the parameters
// (cell and gain networks, float64 masters), and the glue between the task and the cell: gates
// from velocity (through the gain networks), the initial bump, the loss, and all the gradients.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compiler/spec.hpp"
#include "ir/module.hpp"
#include "runtime/core/executor.hpp"
#include "runtime/ring/av_data.hpp"
#include "runtime/ring/ring_config.hpp"
#include "runtime/ring/ring_loss.hpp"

namespace rnnjit::train::ring {

struct RingStepResult {
  RingLossValue loss;
  Tensor r;         // [B,T,N] as the executor returned it
  TensorMap grads;  // dL/d(every learned parameter: cell and gain networks), float64 (if asked)
};

// One step's cell inputs, kept for its backward: the gates before the gain networks, the cell's
// parameters, and r0 with the gates the cell sees.
struct RingStep {
  std::vector<double> base;  // [B,T,K] base gates from the angular velocity
  TensorMap params, inputs;
};

class RingModel {
 public:
  // spec: must have exactly one gate input and one gated recurrent term (the ring family). The
  // config's `neurons` (if > 0) replaces the spec's. Parameters are initialised per cfg.init.
  RingModel(const ModelSpec& spec, const RingTrainConfig& cfg, const ExecutorConfig& exec_cfg);

  int64_t neurons() const { return n_; }
  int64_t gate_channels() const { return k_; }
  const std::string& gate_name() const { return gate_name_; }
  const std::string& dense_name() const { return dense_name_; }  // "" if none
  const std::string& bank_name() const { return bank_name_; }
  bool uses_gain_nets() const { return use_gain_; }
  const RingReadout& readout() const { return ro_; }
  CellExecutor& executor() { return *exec_; }
  const ir::Module& module() const { return module_; }
  const RingTrainConfig& config() const { return cfg_; }

  TensorMap& params() { return params_; }  // cell params + "gain<k>/..." (float64)
  const TensorMap& params() const { return params_; }
  const std::set<std::string>& nonnegative() const { return nonneg_; }
  // The names Adam updates: the cell's learned Params and the gain networks' parameters.
  const std::set<std::string>& learned() const { return learned_; }
  bool trainable() const;  // false for debug_perfect

  // The gates the cell sees for a batch (through the gain networks when used): [B,T,K] float64.
  Tensor gates(const AvBatch& d) const;
  // The seed's perfect weights for this N and K (Wo = cos, Wa shifted by +-pi/4 or 2 pi k/K).
  TensorMap perfect_cell_params() const;

  // Forward, loss and (if with_grad) the full backward pass on one batch.
  RingStepResult run(const AvBatch& d, bool with_grad);
  // The same in pieces, for an ensemble that runs the cell of many models in one launch:
  // prepare -> the cell's forward -> loss (dr: dL/dr) -> the cell's backward -> gradients.
  RingStep prepare(const AvBatch& d) const;
  RingLossValue loss(const AvBatch& d, const Tensor& r, Tensor* dr) const;
  TensorMap gradients(const RingStep& step, const TensorMap& cell_grads) const;
  // Forward only, with explicit cell params and gates (the perfect-model sanity check).
  Tensor forward_with(const TensorMap& cell_params, const Tensor& gates, const AvBatch& d);

 private:
  TensorMap cell_params(const TensorMap& all) const;

  RingTrainConfig cfg_;
  ModelSpec spec_;
  ir::Module module_;
  std::unique_ptr<CellExecutor> exec_;
  int64_t n_ = 0, k_ = 0;
  std::string gate_name_, dense_name_, bank_name_;
  std::set<std::string> cell_names_, learned_, nonneg_;
  bool use_gain_ = false;
  RingReadout ro_;
  TensorMap params_;
};

}  // namespace rnnjit::train::ring
