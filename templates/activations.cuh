// rnnjit CUDA templates: the activation primitives the generated phi and phi' call.
//
// The activations themselves are written once, in compiler/activation_table.hpp; the code generator
// prints each one as two device functions (cuda_codegen.cpp, activation_source) whose arithmetic is
// plain CUDA C++ and whose primitives map to expf, tanhf, erff, log1pf, powf, fabsf and these.
#pragma once

namespace rnnjit {

// The logistic function without overflow for large |x|: e^-|x| is at most 1.
__device__ __forceinline__ float act_sigmoid(float x) {
  if (x >= 0.f) return 1.f / (1.f + expf(-x));
  const float e = expf(x);
  return e / (1.f + e);
}

}  // namespace rnnjit
