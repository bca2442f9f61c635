// Backward pass of one gain network at one input a (dropping the channel index), given e = dL/dg:
//   h_i = w1_i a + b1_i,  z_i = gelu(h_i) = h_i Phi(h_i),  o = sum_i w2_i z_i + b2,  s =
//   softplus(o) g = s a dL/ds   = e a dL/do   = dL/ds * sigmoid(o)                (softplus' =
//   sigmoid) dL/dw2_i += dL/do z_i,  dL/db2 += dL/do dL/dh_i = dL/do w2_i gelu'(h_i),  gelu'(h) =
//   Phi(h) + h phi(h) dL/dw1_i += dL/dh_i a,  dL/db1_i += dL/dh_i
// summed over every (b, t) of the batch. Entries with a = 0 contribute nothing (g = 0 whatever the
// gain, and every term above carries a factor a or e a), so they are skipped.
#include "runtime/ring/gain_net.hpp"

#include <cmath>
#include <numbers>
#include <random>

namespace rnnjit::train::ring {

namespace {

double gelu(double x) {
  return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2));
}
double gelu_grad(double x) {
  const double cdf = 0.5 * (1.0 + std::erf(x / std::numbers::sqrt2));
  const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
  return cdf + x * pdf;
}
// PyTorch's Softplus (beta 1, threshold 20): linear above 20.
double softplus(double x) {
  return x > 20.0 ? x : std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x)));
}
double softplus_grad(double x) {
  return x > 20.0 ? 1.0 : 1.0 / (1.0 + std::exp(-x));
}

struct View {
  const double *w1, *b1, *w2, *b2;
  int64_t h;
};

View view(const TensorMap& p, int64_t c) {
  const Tensor& w1 = require(p, gain_param_name(c, "w1"), "gain network");
  return {w1.data<double>(), require(p, gain_param_name(c, "b1"), "gain network").data<double>(),
          require(p, gain_param_name(c, "w2"), "gain network").data<double>(),
          require(p, gain_param_name(c, "b2"), "gain network").data<double>(), w1.numel()};
}

double output(const View& v, double a) {
  double o = v.b2[0];
  for (int64_t i = 0; i < v.h; ++i) o += v.w2[i] * gelu(v.w1[i] * a + v.b1[i]);
  return o;
}

}  // namespace

std::string gain_param_name(int64_t channel, const char* what) {
  return "gain" + std::to_string(channel) + "/" + what;
}

TensorMap init_gain_nets(int64_t k, int64_t h, uint64_t seed) {
  std::mt19937_64 g(seed ^ 0x6a09e667f3bcc909ULL);
  auto u = [&](double bound) {
    return (static_cast<double>(g() >> 11) * 0x1.0p-53 * 2.0 - 1.0) * bound;
  };
  TensorMap p;
  const double b_in = 1.0, b_hidden = 1.0 / std::sqrt(static_cast<double>(h));
  for (int64_t c = 0; c < k; ++c) {
    Tensor w1(DType::F64, {h}), b1(DType::F64, {h}), w2(DType::F64, {h}), b2(DType::F64, {1});
    for (int64_t i = 0; i < h; ++i) w1.data<double>()[i] = u(b_in);
    for (int64_t i = 0; i < h; ++i) b1.data<double>()[i] = u(b_in);
    for (int64_t i = 0; i < h; ++i) w2.data<double>()[i] = u(b_hidden);
    b2.data<double>()[0] = u(b_hidden);
    p[gain_param_name(c, "w1")] = std::move(w1);
    p[gain_param_name(c, "b1")] = std::move(b1);
    p[gain_param_name(c, "w2")] = std::move(w2);
    p[gain_param_name(c, "b2")] = std::move(b2);
  }
  return p;
}

double gain_value(const TensorMap& p, int64_t channel, double a) {
  return softplus(output(view(p, channel), a));
}

std::vector<double> apply_gain_nets(const TensorMap& p, int64_t k,
                                    const std::vector<double>& base) {
  std::vector<View> v;
  for (int64_t c = 0; c < k; ++c) v.push_back(view(p, c));
  std::vector<double> g(base.size(), 0.0);
  for (size_t i = 0; i < base.size(); ++i) {
    const double a = base[i];
    if (a == 0.0) continue;
    g[i] = softplus(output(v[i % static_cast<size_t>(k)], a)) * a;
  }
  return g;
}

TensorMap gain_nets_backward(const TensorMap& p, int64_t k, const std::vector<double>& base,
                             const Tensor& dg_in) {
  if (dg_in.numel() != static_cast<int64_t>(base.size()))
    throw ShapeError("gain networks: gate gradient has shape " + dg_in.shape_str() +
                     " but the gates have " + std::to_string(base.size()) + " entries");
  const Tensor dg64 = dg_in.to(DType::F64);
  const double* dg = dg64.data<double>();
  TensorMap grads;
  std::vector<View> v;
  std::vector<double*> gw1, gb1, gw2, gb2;
  for (int64_t c = 0; c < k; ++c) {
    v.push_back(view(p, c));
    const int64_t h = v.back().h;
    for (const char* what : {"w1", "b1", "w2"})
      grads[gain_param_name(c, what)] = Tensor(DType::F64, {h});
    grads[gain_param_name(c, "b2")] = Tensor(DType::F64, {1});
    gw1.push_back(grads[gain_param_name(c, "w1")].data<double>());
    gb1.push_back(grads[gain_param_name(c, "b1")].data<double>());
    gw2.push_back(grads[gain_param_name(c, "w2")].data<double>());
    gb2.push_back(grads[gain_param_name(c, "b2")].data<double>());
  }
  for (size_t i = 0; i < base.size(); ++i) {
    const double a = base[i];
    if (a == 0.0 || dg[i] == 0.0) continue;
    const auto c = static_cast<size_t>(i % static_cast<size_t>(k));
    const View& w = v[c];
    const double o = output(w, a);
    const double d_o = dg[i] * a * softplus_grad(o);
    gb2[c][0] += d_o;
    for (int64_t j = 0; j < w.h; ++j) {
      const double hj = w.w1[j] * a + w.b1[j];
      gw2[c][j] += d_o * gelu(hj);
      const double dh = d_o * w.w2[j] * gelu_grad(hj);
      gw1[c][j] += dh * a;
      gb1[c][j] += dh;
    }
  }
  return grads;
}

}  // namespace rnnjit::train::ring
