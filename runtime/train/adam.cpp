#include "runtime/train/adam.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rnnjit::train {

double global_norm(const TensorMap& grads) {
  double sum = 0.0;
  for (auto& [name, g] : grads)
    for (int64_t i = 0; i < g.numel(); ++i) {
      const double x = g.at_f64(i);
      sum += x * x;
    }
  return std::sqrt(sum);
}

double Adam::step(TensorMap& params, const TensorMap& grads,
                  const std::set<std::string>& nonnegative) {
  const double norm = global_norm(grads);
  apply(params, grads, nonnegative, clip_scale(norm));
  return norm;
}

double Adam::clip_scale(double norm) const {
  // PyTorch's clip_grad_norm_: scale = max_norm / (norm + 1e-6), applied only when it is < 1.
  if (cfg_.clip_norm > 0 && std::isfinite(norm))
    return std::min(1.0, cfg_.clip_norm / (norm + 1e-6));
  return 1.0;
}

void Adam::apply(TensorMap& params, const TensorMap& grads,
                 const std::set<std::string>& nonnegative, double scale) {
  ++t_;
  const double bc1 = 1.0 - std::pow(cfg_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(cfg_.beta2, static_cast<double>(t_));
  for (auto& [name, g_in] : grads) {
    auto it = params.find(name);
    if (it == params.end())
      throw std::runtime_error("adam: gradient for unknown parameter '" + name + "'");
    Tensor& p = it->second;
    if (p.dtype() != DType::F64)
      throw std::logic_error("adam: parameter '" + name + "' must be float64");
    check_shape("gradient of " + name, g_in, p.shape());
    Tensor g = g_in.to(DType::F64);
    auto [mi, m_new] = m_.try_emplace(name, DType::F64, p.shape());
    auto [vi, v_new] = v_.try_emplace(name, DType::F64, p.shape());
    check_shape("adam.m/" + name, mi->second, p.shape());  // set_moments could have set any shape
    check_shape("adam.v/" + name, vi->second, p.shape());
    double* w = p.data<double>();
    double* m = mi->second.data<double>();
    double* v = vi->second.data<double>();
    const double* gd = g.data<double>();
    const bool project = nonnegative.count(name) > 0;
    for (int64_t i = 0; i < p.numel(); ++i) {
      const double gi = gd[i] * scale;
      m[i] = cfg_.beta1 * m[i] + (1.0 - cfg_.beta1) * gi;
      v[i] = cfg_.beta2 * v[i] + (1.0 - cfg_.beta2) * gi * gi;
      const double mhat = m[i] / bc1;
      const double vhat = v[i] / bc2;
      w[i] -= cfg_.lr * mhat / (std::sqrt(vhat) + cfg_.eps);
      if (project && w[i] < 0.0) w[i] = 0.0;
    }
  }
}

bool Adam::moments(const std::string& name, Tensor* m, Tensor* v) const {
  auto mi = m_.find(name);
  auto vi = v_.find(name);
  if (mi == m_.end() || vi == v_.end()) return false;
  *m = mi->second;
  *v = vi->second;
  return true;
}

void Adam::set_moments(const std::string& name, const Tensor& m, const Tensor& v) {
  m_[name] = m.to(DType::F64);
  v_[name] = v.to(DType::F64);
}

void Adam::save_state(TensorMap& out) const {
  for (auto& [name, m] : m_) out["adam.m/" + name] = m;
  for (auto& [name, v] : v_) out["adam.v/" + name] = v;
}

void Adam::load_state(const TensorMap& in, int64_t steps, const TensorMap& params,
                      const std::set<std::string>& learned, const std::string& where) {
  if (steps < 0) throw std::runtime_error(where + ": negative Adam step count");
  TensorMap m, v;
  for (auto& [key, t] : in) {
    const bool is_m = key.rfind("adam.m/", 0) == 0, is_v = key.rfind("adam.v/", 0) == 0;
    if (!is_m && !is_v) continue;
    const std::string name = key.substr(7);
    if (!learned.count(name) || !params.count(name))
      throw std::runtime_error(where + ": Adam moment '" + key +
                               "' belongs to no learned parameter of this model");
    check_shape(where + ": " + key, t, params.at(name).shape());
    (is_m ? m : v)[name] = t.to(DType::F64);
  }
  if (steps > 0)
    for (const std::string& name : learned)
      for (const char* kind : {"adam.m/", "adam.v/"})
        if (!(kind[5] == 'm' ? m : v).count(name))
          throw std::runtime_error(where + ": the checkpoint lacks the Adam moment '" + kind +
                                   name + "' (" + std::to_string(steps) +
                                   " steps were taken); it cannot resume with made-up moments");
  m_ = std::move(m);
  v_ = std::move(v);
  t_ = steps;
}

}  // namespace rnnjit::train
