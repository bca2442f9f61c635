// rnnjit CUDA templates: the activations phi and their hand-derived derivatives phi', in float.
// These mirror compiler/activation_math.hpp (the float64 source of truth) formula by formula; the
// specialisation unit picks one pair by name (act_<name>, act_<name>_grad).
#pragma once

namespace rnnjit {

#define RNNJIT_INV_SQRT2 0.70710678118654752440f
#define RNNJIT_INV_SQRT2PI 0.39894228040143267794f
#define RNNJIT_SQRT2_OVER_PI 0.79788456080286535588f

__device__ __forceinline__ float act_sigmoid(float x) {
  if (x >= 0.f) return 1.f / (1.f + expf(-x));
  const float e = expf(x);
  return e / (1.f + e);
}

__device__ __forceinline__ float act_relu(float x, float) {
  return x > 0.f ? x : 0.f;
}
__device__ __forceinline__ float act_relu_grad(float x, float) {
  return x > 0.f ? 1.f : 0.f;
}

// x Phi(x), exact erf form; derivative Phi(x) + x phi(x).
__device__ __forceinline__ float act_gelu(float x, float) {
  return 0.5f * x * (1.f + erff(x * RNNJIT_INV_SQRT2));
}
__device__ __forceinline__ float act_gelu_grad(float x, float) {
  return 0.5f * (1.f + erff(x * RNNJIT_INV_SQRT2)) + x * RNNJIT_INV_SQRT2PI * expf(-0.5f * x * x);
}

// 0.5 x (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3).
__device__ __forceinline__ float act_gelu_tanh(float x, float) {
  const float u = RNNJIT_SQRT2_OVER_PI * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.f + tanhf(u));
}
__device__ __forceinline__ float act_gelu_tanh_grad(float x, float) {
  const float u = RNNJIT_SQRT2_OVER_PI * (x + 0.044715f * x * x * x);
  const float th = tanhf(u);
  return 0.5f * (1.f + th) +
         0.5f * x * (1.f - th * th) * RNNJIT_SQRT2_OVER_PI * (1.f + 3.f * 0.044715f * x * x);
}

__device__ __forceinline__ float act_tanh(float x, float) {
  return tanhf(x);
}
__device__ __forceinline__ float act_tanh_grad(float x, float) {
  const float th = tanhf(x);
  return 1.f - th * th;
}

__device__ __forceinline__ float act_silu(float x, float) {
  return x * act_sigmoid(x);
}
__device__ __forceinline__ float act_silu_grad(float x, float) {
  const float sg = act_sigmoid(x);
  return sg * (1.f + x * (1.f - sg));
}

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|); derivative sigmoid(x).
__device__ __forceinline__ float act_softplus(float x, float) {
  return (x > 0.f ? x : 0.f) + log1pf(expf(-fabsf(x)));
}
__device__ __forceinline__ float act_softplus_grad(float x, float) {
  return act_sigmoid(x);
}

// (S/2) (1 + tanh(0.14 x - 4.2)), S = rate.
__device__ __forceinline__ float act_saturating(float x, float rate) {
  return 0.5f * rate * (1.f + tanhf(0.14f * x - 4.2f));
}
__device__ __forceinline__ float act_saturating_grad(float x, float rate) {
  const float th = tanhf(0.14f * x - 4.2f);
  return 0.5f * rate * 0.14f * (1.f - th * th);
}

// 0.18 max(x - 10, 1e-10)^1.7; derivative 0 on the floor.
__device__ __forceinline__ float act_powerlaw(float x, float) {
  const float d = x - 10.f;
  return 0.18f * powf(d > 1e-10f ? d : 1e-10f, 1.7f);
}
__device__ __forceinline__ float act_powerlaw_grad(float x, float) {
  const float d = x - 10.f;
  return d > 1e-10f ? 0.18f * 1.7f * powf(d, 0.7f) : 0.f;
}

}  // namespace rnnjit
