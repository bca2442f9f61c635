// Adam (Kingma & Ba, with PyTorch's defaults and bias correction) over a name -> float64 tensor
// map, with clipping of the gradient to a global L2 norm and an optional projection to >= 0
// afterwards (Dale's law, non-negative input weights). Shared by every trainer (ring, VWM).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "runtime/core/tensor.hpp"

namespace rnnjit::train {

struct AdamConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double clip_norm = 1.0;  // <= 0: no clipping
};

// sqrt(sum over every tensor and element of g^2); any dtype.
double global_norm(const TensorMap& grads);

class Adam {
 public:
  explicit Adam(AdamConfig cfg = {}) : cfg_(cfg) {}

  // One update of every tensor of `params` (float64) that has a gradient in `grads` (either dtype,
  // same shape; a mismatch throws ShapeError). Gradients of names not in `params` are an error.
  // Clips the gradients to cfg.clip_norm jointly, then projects the names in `nonnegative` to >= 0.
  // Returns the global gradient norm before clipping.
  double step(TensorMap& params, const TensorMap& grads,
              const std::set<std::string>& nonnegative = {});

  // The two halves of step(), for a trainer whose other parameters live on a GPU (the global norm
  // then spans both): the clip factor for a global norm, and one update with the gradients
  // multiplied by `scale` (counts as a step even when `grads` is empty).
  double clip_scale(double norm) const;
  void apply(TensorMap& params, const TensorMap& grads, const std::set<std::string>& nonnegative,
             double scale);

  int64_t steps() const { return t_; }
  AdamConfig& config() { return cfg_; }
  const AdamConfig& config() const { return cfg_; }

  // The moments, stored under "adam.m/<name>" and "adam.v/<name>" (float64), and the step count.
  void save_state(TensorMap& out) const;
  // Restores what save_state stored, checked against the parameters it will update: after a step
  // (steps > 0) every name in `learned` must have both moments, each of its parameter's shape in
  // `params`, and no other name may have any. A violation throws (ShapeError for a wrong shape,
  // std::runtime_error naming `where` and the tensor otherwise): a checkpoint with missing or
  // misshapen moments must not resume with made-up ones.
  void load_state(const TensorMap& in, int64_t steps, const TensorMap& params,
                  const std::set<std::string>& learned, const std::string& where);
  // One tensor's moments (false when it has none yet), and setting them (float64 copies).
  bool moments(const std::string& name, Tensor* m, Tensor* v) const;
  void set_moments(const std::string& name, const Tensor& m, const Tensor& v);

 private:
  AdamConfig cfg_;
  int64_t t_ = 0;
  TensorMap m_, v_;
};

}  // namespace rnnjit::train
