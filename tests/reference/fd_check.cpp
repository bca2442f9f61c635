#include "tests/reference/fd_check.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "runtime/reference/reference_executor.hpp"

namespace rnnjit::reftest {

namespace {

double norm(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

// The entries to check one by one: all, or a random sample without repetition.
std::vector<int64_t> pick_entries(int64_t numel, int64_t max_entries, Rng& rng) {
  std::vector<int64_t> all(static_cast<size_t>(numel));
  std::iota(all.begin(), all.end(), 0);
  if (numel <= max_entries) return all;
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(static_cast<size_t>(max_entries));
  return all;
}

}  // namespace

double central_difference(const std::function<double(double)>& f, double h) {
  return (8.0 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12.0 * h);
}

std::vector<GradCheck> check_gradients(const std::function<double(const TensorMap&)>& loss,
                                       const TensorMap& point, const TensorMap& grads,
                                       const FdOptions& fd, Rng& rng) {
  std::vector<GradCheck> out;
  for (const auto& [name, grad_tensor] : grads) {
    const Tensor x = point.at(name).to(DType::F64);
    const Tensor g = grad_tensor.to(DType::F64);
    GradCheck r;
    r.name = name;
    const auto gs = g.span<double>();
    r.grad_norm = norm({gs.begin(), gs.end()});
    TensorMap p = point;
    p[name] = x;
    double* px = p[name].data<double>();

    // Entry by entry.
    std::vector<double> fd_vals, g_vals;
    for (int64_t e : pick_entries(x.numel(), fd.max_entries, rng)) {
      const double x0 = px[e], h = fd.h * std::max(1.0, std::abs(x0));
      fd_vals.push_back(central_difference(
          [&](double step) {
            px[e] = x0 + step;
            const double l = loss(p);
            px[e] = x0;
            return l;
          },
          h));
      g_vals.push_back(gs[static_cast<size_t>(e)]);
    }
    r.entries = static_cast<int64_t>(fd_vals.size());
    std::vector<double> diff(fd_vals.size());
    for (size_t i = 0; i < diff.size(); ++i) diff[i] = fd_vals[i] - g_vals[i];
    const double scale = std::max({norm(fd_vals), norm(g_vals), 1e-6});
    r.entry_error = norm(diff) / scale;

    // Along one random direction.
    if (x.numel() > 0) {
      const std::vector<double> v = normal(rng, static_cast<size_t>(x.numel()), 1.0);
      const auto xs = x.span<double>();
      const double rms = norm({xs.begin(), xs.end()}) / std::sqrt(static_cast<double>(x.numel()));
      // v has norm ~sqrt(n): dividing the step by it keeps every pre-activation's change as small
      // as one entry's step (away from kinks), at the price of a little more rounding.
      const double h = fd.h * std::max(1.0, rms) / std::sqrt(static_cast<double>(x.numel()));
      double gv = 0.0;
      for (size_t e = 0; e < v.size(); ++e) gv += gs[e] * v[e];
      const double fd_v = central_difference(
          [&](double step) {
            for (size_t e = 0; e < v.size(); ++e) px[e] = xs[e] + step * v[e];
            return loss(p);
          },
          h);
      std::copy(xs.begin(), xs.end(), px);
      r.direction_error = std::abs(fd_v - gv) / std::max({std::abs(gv), r.grad_norm, 1e-6});
    }
    out.push_back(r);
  }
  return out;
}

std::vector<GradCheck> check_cell_gradients(const ir::Module& m, const TensorMap& params,
                                            const TensorMap& inputs, const RunOptions& opt,
                                            const FdOptions& fd, Rng& rng, TensorMap* grads_out) {
  reference::ReferenceExecutor ex(m);
  const Tensor r = ex.forward(params, inputs, opt);
  const Tensor c = random_normal_tensor(rng, r.shape());
  const TensorMap grads = ex.backward(c);
  if (grads_out) *grads_out = grads;

  // Every gradient lives in either the params or the inputs; perturb it where it lives.
  TensorMap point = inputs;
  for (const auto& [name, t] : params) point[name] = t;
  reference::ReferenceExecutor probe(m);
  auto loss = [&](const TensorMap& p) {
    TensorMap pp, pi;
    for (const auto& [name, t] : p) (params.count(name) ? pp : pi)[name] = t;
    return dot(c, probe.forward(pp, pi, opt));
  };
  return check_gradients(loss, point, grads, fd, rng);
}

std::vector<GradCheck> check_op_gradients(const ir::Op& op, const TensorMap& tensors,
                                          const std::vector<std::string>& operand_slots,
                                          const reference::OpSizes& sz, const FdOptions& fd,
                                          Rng& rng) {
  using reference::Buffer;
  auto buffers = [](const TensorMap& t) {
    std::map<std::string, Buffer> b;
    for (const auto& [name, x] : t) {
      if (x.dtype() == DType::F64) {
        b[name] = Buffer(x.span<double>().begin(), x.span<double>().end());
      } else {
        const Tensor f = x.to(DType::F64);  // keep the converted tensor alive while copying
        b[name] = Buffer(f.span<double>().begin(), f.span<double>().end());
      }
    }
    return b;
  };
  auto run = [&](const std::map<std::string, Buffer>& b) {
    std::vector<const Buffer*> in;
    for (const auto& name : operand_slots) in.push_back(&b.at(name));
    Buffer out;
    reference::forward_op(op, in, out, sz);
    return out;
  };

  std::map<std::string, Buffer> base = buffers(tensors);
  const Buffer out = run(base);
  const Buffer c = normal(rng, out.size(), 1.0);

  // Adjoint with dout = C; repeated operands point at one gradient buffer.
  std::map<std::string, Buffer> dbuf;
  for (const auto& [name, b] : base) dbuf[name].assign(b.size(), 0.0);
  std::vector<const Buffer*> in;
  std::vector<Buffer*> din;
  for (const auto& name : operand_slots) {
    in.push_back(&base.at(name));
    din.push_back(&dbuf.at(name));
  }
  reference::adjoint_op(op, in, out, c, din, sz);

  TensorMap grads;
  for (const auto& [name, d] : dbuf) grads[name] = Tensor::f64(tensors.at(name).shape(), d);
  auto loss = [&](const TensorMap& p) {
    const Buffer y = run(buffers(p));
    double s = 0.0;
    for (size_t e = 0; e < y.size(); ++e) s += c[e] * y[e];
    return s;
  };
  return check_gradients(loss, tensors, grads, fd, rng);
}

}  // namespace rnnjit::reftest
