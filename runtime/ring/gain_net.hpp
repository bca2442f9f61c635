// The seed's gain networks (LeakyRingAttractor): for each gate channel k a tiny MLP
//   gain_k(a) = softplus(w2 . gelu(w1 a + b1) + b2),   Linear(1,H) -> GELU (erf) -> Linear(H,1) ->
//   Softplus
// and the gate the cell sees is g[b,t,k] = gain_k(a[b,t,k]) * a[b,t,k], a the base gate (relu of
// the velocity). The backward pass is written by hand (gain_net.cpp) from dL/dg, the cell's gate
// gradient.
//
// Parameters per channel k, float64: "gain<k>/w1" [H], "gain<k>/b1" [H], "gain<k>/w2" [H],
// "gain<k>/b2" [1].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/tensor.hpp"

namespace rnnjit::train::ring {

std::string gain_param_name(int64_t channel, const char* what);  // "gain0/w1"

// PyTorch's nn.Linear initialisation: weights and biases uniform in +-1/sqrt(fan_in).
TensorMap init_gain_nets(int64_t k, int64_t h, uint64_t seed);

// gain_k(a) for one channel.
double gain_value(const TensorMap& p, int64_t channel, double a);

// g = gain(a) * a for every entry of base [B,T,K] (row-major, K innermost).
std::vector<double> apply_gain_nets(const TensorMap& p, int64_t k, const std::vector<double>& base);

// dL/d(every gain-net parameter) given dg = dL/dg [B,T,K] (either dtype) at the same base gates.
TensorMap gain_nets_backward(const TensorMap& p, int64_t k, const std::vector<double>& base,
                             const Tensor& dg);

}  // namespace rnnjit::train::ring
