// The device-side optimiser step (issue 5: "Adam ... a fused kernel on the GPU"), element by
// element, header-only for host C++ and NVRTC: templates/optimizer.cuh runs it on the GPU, and
// runtime/train/cuda/param_segments.cpp runs the very same functions on the CPU (its twin, checked in CI
// against train::Adam over host_pack's pack_params/unpack_grads).
//
// The parameters stay on the device as float32 masters in parameter space (Wo, Wa, W_in, bias,
// tau), one "segment" per learned tensor. The kernels read the gradient straight from the buffers
// the adjoint and weight-gradient kernels write, and write the updated value straight into the
// packed buffers the forward and adjoint kernels read, through the prologue's element maps:
//   bank  : bank[(first + k) N N + i N + j] = D_j P[k][i][j]   (also bank_t, transposed)
//           D_j = -1 for an inhibitory presynaptic j under Dale's law, else 1; dP = D_j dbank
//   input : w_in[i I + offset + q] = scale P[i][q];    dP = scale dw_in[i I + offset + q]
//   bias  : bias[i] = P[i];                            dP = sum_c dbias_part[c N + i]
//   tau   : alpha[i] = dt / P[i];                      dP = -dt / P[i]^2 sum_c dalpha_part[c N + i]
//   plain : out[e] = P[e];                             dP = grad[e]
//           (a tensor outside the cell, e.g. the VWM readout F, whose gradient the trainer's own
//           loss kernel writes)
// (the same chain rule host_pack.cpp's unpack_grads applies on the host). Scales and dt are
// applied in float64 so a packed value equals the one pack_params would write from the same
// master, bit for bit.
//
// Adam is PyTorch's (bias-corrected, eps outside the square root) after clipping to a global L2
// norm: the host sums the per-block squares (optimizer.cuh's sumsq kernel) in float64, so the clip
// scale needs one small download per step, which the trainer makes anyway for the loss.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define RNNJIT_OPT_HD __host__ __device__
#else
#define RNNJIT_OPT_HD
#endif

#if !defined(__CUDACC_RTC__)
#include <math.h>
#endif

namespace rnnjit::opt {

// Threads per CTA of both optimiser kernels (the sum of squares sizes its shared memory by it).
inline constexpr int kOptThreads = 256;

enum SegmentKind : int { kSegBank = 0, kSegInput = 1, kSegBias = 2, kSegTau = 3, kSegPlain = 4 };

// One learned tensor's view of the packed buffers. Passed by value as a kernel argument, so its
// layout must be the same for the host compiler and NVRTC: only 8-byte members, then 4-byte ones.
struct SegmentView {
  const float* grad;  // bank: dbank; input: dw_in; bias: dbias_part; tau: dalpha_part; plain
  float* out;         // bank: bank; input: w_in; bias: bias; tau: alpha; plain
  float* out_t;       // bank: bank_t; else unused
  long long count;    // elements of the parameter
  double scale;       // input: the term's scale; tau: dt
  int kind;           // SegmentKind
  int n;              // neurons
  int first;          // bank: first slot of this parameter
  int excitatory;     // bank with Dale's law: neurons j >= excitatory are inhibitory (n: none)
  int cols;           // input: packed input columns I; bias / tau: partial-sum rows (parts)
  int col_offset;     // input: the term's first packed column
  int width;          // input: the term's width (columns of P)
  int project;        // 1: clamp the parameter to >= 0 after the update
};
static_assert(sizeof(SegmentView) == 72, "SegmentView must have one layout on host and device");

// dL/dP for element e of the segment (before clipping).
RNNJIT_OPT_HD inline float segment_grad(const SegmentView& s, long long e) {
  if (s.kind == kSegBank) {
    const long long nn = (long long)s.n * s.n;
    const int j = (int)(e % s.n);
    const float g = s.grad[(long long)s.first * nn + e];
    return j >= s.excitatory ? -g : g;
  }
  if (s.kind == kSegInput) {
    const long long i = e / s.width, q = e % s.width;
    return (float)(s.scale * (double)s.grad[i * s.cols + s.col_offset + q]);
  }
  if (s.kind == kSegPlain) return s.grad[e];
  // bias and tau: the adjoint leaves one partial sum per trial tile; add them in tile order.
  float sum = 0.f;
  for (int c = 0; c < s.cols; ++c) sum += s.grad[(long long)c * s.n + e];
  return sum;
}

// The tau chain rule needs the parameter itself: dL/dtau = -dt / tau^2 dL/dalpha.
RNNJIT_OPT_HD inline float segment_grad_at(const SegmentView& s, long long e, float p) {
  const float g = segment_grad(s, e);
  if (s.kind == kSegTau) return (float)(-s.scale / ((double)p * (double)p) * (double)g);
  return g;
}

// Writes the packed value(s) of element e from the parameter value p.
RNNJIT_OPT_HD inline void segment_write(const SegmentView& s, long long e, float p) {
  if (s.kind == kSegBank) {
    const long long nn = (long long)s.n * s.n;
    const long long k = e / nn, ij = e % nn, i = ij / s.n, j = ij % s.n;
    const float x = j >= s.excitatory ? -p : p;
    s.out[(long long)s.first * nn + e] = x;
    s.out_t[((long long)s.first + k) * nn + j * s.n + i] = x;
  } else if (s.kind == kSegInput) {
    const long long i = e / s.width, q = e % s.width;
    s.out[i * s.cols + s.col_offset + q] = (float)(s.scale * (double)p);
  } else if (s.kind == kSegBias || s.kind == kSegPlain) {
    s.out[e] = p;
  } else {
    s.out[e] = (float)(s.scale / (double)p);
  }
}

// Scalars of one Adam step: bias corrections bc1 = 1 - beta1^t, bc2 = 1 - beta2^t and the clip
// scale min(1, max_norm / (norm + 1e-6)) come from the host.
struct AdamStep {
  float lr, beta1, beta2, eps, bc1, bc2, clip_scale;
  int pad;
};

// PyTorch's Adam on one element (train::Adam does the same in float64).
RNNJIT_OPT_HD inline void adam_update(float* p, float* m, float* v, float g, const AdamStep& a,
                                      int project) {
  const float gs = g * a.clip_scale;
  const float mi = a.beta1 * *m + (1.f - a.beta1) * gs;
  const float vi = a.beta2 * *v + (1.f - a.beta2) * gs * gs;
  const float mhat = mi / a.bc1, vhat = vi / a.bc2;
  float pi = *p - a.lr * mhat / (sqrtf(vhat) + a.eps);
  if (project && pi < 0.f) pi = 0.f;
  *m = mi;
  *v = vi;
  *p = pi;
}

// One fused step on element e: gather the gradient, update, write the packed value(s).
RNNJIT_OPT_HD inline void segment_adam(const SegmentView& s, long long e, float* P, float* M,
                                       float* V, const AdamStep& a) {
  float p = P[e], m = M[e], v = V[e];
  const float g = segment_grad_at(s, e, p);
  adam_update(&p, &m, &v, g, a, s.project);
  P[e] = p;
  M[e] = m;
  V[e] = v;
  segment_write(s, e, p);
}

}  // namespace rnnjit::opt
