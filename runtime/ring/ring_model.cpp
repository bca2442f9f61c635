#include "runtime/ring/ring_model.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/params.hpp"
#include "runtime/ring/gain_net.hpp"

namespace rnnjit::train::ring {

namespace {

ModelSpec resized(ModelSpec spec, int64_t neurons) {
  if (neurons > 0) spec.neurons = neurons;
  return spec;
}

}  // namespace

RingModel::RingModel(const ModelSpec& spec, const RingTrainConfig& cfg,
                     const ExecutorConfig& exec_cfg)
    : cfg_(cfg), spec_(resized(spec, cfg.neurons)) {
  validate(cfg_);
  if (spec_.gates.size() != 1)
    throw SpecError({spec_.path, 0, 0},
                    "rnnjit train (ring): the spec needs exactly one gate input "
                    "(the rotation signals, e.g. `gates: {actions: 2}`), it has " +
                        std::to_string(spec_.gates.size()));
  gate_name_ = spec_.gates[0].name;
  k_ = spec_.gates[0].size;
  for (auto& t : spec_.recurrent) {
    if (t.kind == TermKind::Gated && t.gated_by == gate_name_) bank_name_ = t.name;
    if (t.kind == TermKind::Dense && dense_name_.empty()) dense_name_ = t.name;
  }
  if (bank_name_.empty())
    throw SpecError(spec_.gates[0].loc,
                    "rnnjit train (ring): no recurrent term is gated by '" + gate_name_ + "'");
  if (!spec_.inputs.empty())
    throw SpecError(spec_.inputs[0].loc,
                    "rnnjit train (ring): the ring task has no external inputs");
  n_ = spec_.neurons;
  module_ = compile_module(spec_);
  exec_ = make_executor(module_, exec_cfg);
  ro_ = make_readout(n_, cfg_.seed_angles);
  use_gain_ = cfg_.gain_hidden > 0 && cfg_.init != InitMode::DebugPerfect;

  for (auto& v : module_.values) {
    if (v.role != ir::Role::Param && v.role != ir::Role::Buffer) continue;
    cell_names_.insert(v.name);
    if (v.role == ir::Role::Param && v.learn && cfg_.init != InitMode::DebugPerfect)
      learned_.insert(v.name);
    if (v.nonnegative) nonneg_.insert(v.name);
  }
  params_ = init_params(spec_, module_, cfg_.seed);
  if (cfg_.init != InitMode::Random)
    for (auto& [name, t] : perfect_cell_params()) params_[name] = t;
  if (use_gain_)
    for (auto& [name, t] : init_gain_nets(k_, cfg_.gain_hidden, cfg_.seed)) {
      params_[name] = t;
      learned_.insert(name);
    }
}

bool RingModel::trainable() const {
  return !learned_.empty();
}

TensorMap RingModel::perfect_cell_params() const {
  TensorMap out;
  const double two_pi = 2.0 * std::numbers::pi;
  auto cosine = [&](double* w, double shift) {
    for (int64_t i = 0; i < n_; ++i)
      for (int64_t j = 0; j < n_; ++j)
        w[i * n_ + j] =
            std::cos(two_pi * static_cast<double>(i - j) / static_cast<double>(n_) + shift);
  };
  if (!dense_name_.empty()) {
    Tensor wo(DType::F64, {n_, n_});
    cosine(wo.data<double>(), 0.0);
    out[dense_name_] = std::move(wo);
  }
  Tensor wa(DType::F64, {k_, n_, n_});
  for (int64_t c = 0; c < k_; ++c) {
    // K = 2 (left, right): +pi/4 and -pi/4, the seed's Wl and Wr; else phases 2 pi k / K.
    const double shift = k_ == 2 ? (c == 0 ? std::numbers::pi / 4 : -std::numbers::pi / 4)
                                 : two_pi * static_cast<double>(c) / static_cast<double>(k_);
    cosine(wa.data<double>() + c * n_ * n_, shift);
  }
  out[bank_name_] = std::move(wa);
  return out;
}

Tensor RingModel::gates(const AvBatch& d) const {
  std::vector<double> base = base_gates(d, k_, cfg_.gates);
  if (use_gain_) base = apply_gain_nets(params_, k_, base);
  return Tensor::f64({d.batch, d.seq_len, k_}, std::move(base));
}

TensorMap RingModel::cell_params(const TensorMap& all) const {
  TensorMap out;
  for (auto& name : cell_names_) out[name] = require(all, name, "ring model");
  return out;
}

Tensor RingModel::forward_with(const TensorMap& cell, const Tensor& g, const AvBatch& d) {
  TensorMap inputs;
  inputs["r0"] = initial_bump(d.theta0, n_);
  inputs[gate_name_] = g;
  return exec_->forward(cell, inputs);
}

RingStep RingModel::prepare(const AvBatch& d) const {
  RingStep st;
  st.base = base_gates(d, k_, cfg_.gates);
  st.params = cell_params(params_);
  st.inputs["r0"] = initial_bump(d.theta0, n_);
  st.inputs[gate_name_] = Tensor::f64({d.batch, d.seq_len, k_},
                                      use_gain_ ? apply_gain_nets(params_, k_, st.base) : st.base);
  return st;
}

RingLossValue RingModel::loss(const AvBatch& d, const Tensor& r, Tensor* dr) const {
  return ring_loss(ro_, r, d.angle, cfg_.bump_weight, dr);
}

TensorMap RingModel::gradients(const RingStep& st, const TensorMap& cell_grads) const {
  TensorMap out;
  for (auto& [name, t] : cell_grads)
    if (learned_.count(name)) out[name] = t.to(DType::F64);
  if (use_gain_) {
    const Tensor& dg = require(cell_grads, gate_name_, "ring backward (gate gradient)");
    for (auto& [name, t] : gain_nets_backward(params_, k_, st.base, dg)) out[name] = std::move(t);
  }
  return out;
}

RingStepResult RingModel::run(const AvBatch& d, bool with_grad) {
  RingStepResult out;
  const RingStep st = prepare(d);
  out.r = exec_->forward(st.params, st.inputs);
  Tensor dr;
  out.loss = loss(d, out.r, with_grad ? &dr : nullptr);
  if (!with_grad) return out;
  out.grads = gradients(st, exec_->backward(dr.to(exec_->dtype())));
  return out;
}

}  // namespace rnnjit::train::ring
