#include "runtime/core/params.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <stdexcept>

namespace rnnjit {

namespace {

void fill(Tensor& t, const std::string& init, double scale, bool nonneg, int64_t n, std::mt19937_64& rng,
          const std::string& what) {
  double* w = t.data<double>();
  const int64_t count = t.numel();
  const int64_t mats = t.rank() == 3 ? t.dim(0) : 1;
  const int64_t rows = t.rank() >= 2 ? t.dim(t.rank() - 2) : 1;
  const int64_t cols = t.rank() >= 2 ? t.dim(t.rank() - 1) : count;
  if (init == "normal") {
    std::normal_distribution<double> dist(0.0, scale > 0 ? scale : 1.0 / std::sqrt(static_cast<double>(n)));
    for (int64_t i = 0; i < count; ++i) w[i] = nonneg ? std::abs(dist(rng)) : dist(rng);
  } else if (init == "zeros") {
    std::fill(w, w + count, 0.0);
  } else if (init == "ring_cosine" || init == "identity") {
    if (t.rank() < 2 || rows != cols) throw std::runtime_error(what + ": init '" + init + "' needs square matrices");
    const double s = scale > 0 ? scale : 1.0;
    for (int64_t m = 0; m < mats; ++m) {
      const double shift = mats > 1 ? 2.0 * std::numbers::pi * static_cast<double>(m) / static_cast<double>(mats) : 0.0;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          double v;
          if (init == "identity")
            v = i == j ? s : 0.0;
          else
            v = s * std::cos(2.0 * std::numbers::pi * static_cast<double>(i - j) / static_cast<double>(rows) + shift);
          w[(m * rows + i) * cols + j] = nonneg ? std::max(v, 0.0) : v;
        }
    }
  } else {
    throw std::runtime_error(what + ": unknown init '" + init + "' (normal, zeros, ring_cosine, identity)");
  }
}

std::vector<int64_t> concrete(const ir::Shape& s) {
  std::vector<int64_t> out;
  for (auto& d : s) out.push_back(d.size);
  return out;
}

}  // namespace

int64_t excitatory_count(const ModelSpec& spec) {
  for (auto& t : spec.recurrent)
    if (t.kind == TermKind::Dense && t.dale)
      return excitatory_neurons(t.excitatory, spec.neurons);
  return 0;
}

std::map<std::string, std::vector<int64_t>> param_shapes(const ir::Module& m) {
  std::map<std::string, std::vector<int64_t>> out;
  for (auto& v : m.values)
    if (v.role == ir::Role::Param || v.role == ir::Role::Buffer) out[v.name] = concrete(v.shape);
  return out;
}

void check_params(const ir::Module& m, const TensorMap& params, const std::string& where) {
  for (auto& [name, shape] : param_shapes(m)) {
    const Tensor& t = require(params, name, where);
    check_shape(name, t, shape);
  }
}

TensorMap init_params(const ModelSpec& spec, const ir::Module& m, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TensorMap out;
  const int64_t n = spec.neurons;
  auto shapes = param_shapes(m);
  for (auto& term : spec.recurrent) {
    if (term.kind == TermKind::Uniform) continue;
    Tensor t(DType::F64, shapes.at(term.name));
    fill(t, term.init, term.init_scale, term.nonnegative || term.dale, n, rng, term.name);
    out[term.name] = std::move(t);
  }
  for (auto& term : spec.input_terms) {
    Tensor t(DType::F64, shapes.at(term.name));
    const int64_t width = t.dim(1);
    fill(t, term.init, term.init_scale > 0 ? term.init_scale : 1.0 / std::sqrt(static_cast<double>(width)),
         term.nonnegative, n, rng, term.name);
    out[term.name] = std::move(t);
  }
  if (spec.bias.enabled) out["bias"] = Tensor(DType::F64, {n});
  if (spec.leak.per_neuron) {
    // tau_i = tau_min * exp(U ln(tau_max / tau_min)), U ~ U[0,1): log-uniform, sorted per population.
    Tensor tau(DType::F64, {n});
    double* p = tau.data<double>();
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double ratio = std::log(spec.leak.tau_max / spec.leak.tau_min);
    for (int64_t i = 0; i < n; ++i) p[i] = spec.leak.tau_min * std::exp(u(rng) * ratio);
    const int64_t ne = excitatory_count(spec);
    if (ne > 0) {
      std::sort(p, p + ne);
      std::sort(p + ne, p + n);
    } else {
      std::sort(p, p + n);
    }
    out["tau"] = std::move(tau);
  }
  check_params(m, out, "init");
  return out;
}

}  // namespace rnnjit
