// The few primitives an eager framework runs a recurrent cell with on a GPU: a GEMM library call
// per matrix product and one small elementwise or reduction kernel per op, every intermediate in
// device memory. eager_gpu.cpp writes the cell's forward and adjoint against this interface once;
// two implementations run it:
//   host  (eager_ops_host.cpp): plain loops on the CPU. CI checks the op sequence with it against
//         the float64 reference, as llm.c checks each CUDA kernel against a CPU version.
//   cuda  (eager_ops_cuda.cpp): cuBLAS SGEMM (libcublas dlopened, like the driver) and
//         NVRTC-compiled kernels whose bodies are the host loops' bodies, one thread per output
//         element.
//
// Pointers are device addresses for cuda (never dereferenced on the host) and host addresses for
// host. Matrices are row-major with explicit leading dimensions, so a step slice of a [B][T][C]
// tensor is the matrix at offset t*C with leading dimension T*C.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ir/kinds.hpp"

namespace rnnjit::bench {

// The merged bank's slots for one step: slot m contributes c_m(b) (W_m z)_i with
// c_m(b) = slot_coef[m] * gates[(b*T + t)*G + slot_col[m]] for a gated slot (slot_col[m] >= 0),
// else slot_coef[m]. slot_coef and slot_col (column indices stored as floats) are device arrays.
struct GateCtx {
  const float* slot_coef = nullptr;
  const float* slot_col = nullptr;
  int64_t M = 0;
  const float* gates = nullptr;
  int64_t T = 0, t = 0, G = 0;
};

class EagerOps {
 public:
  virtual ~EagerOps() = default;
  virtual std::string device() const = 0;

  // Zero-filled memory for n floats, valid until release_all() (a caching arena, as PyTorch's).
  virtual float* alloc(size_t n) = 0;
  virtual void release_all() = 0;
  virtual void upload(float* dst, const float* src, size_t n) = 0;
  virtual void download(float* dst, const float* src, size_t n) = 0;
  virtual void zero(float* p, size_t n) = 0;

  // C[m x n] = op(A) op(B) + beta C, row-major; op(X) = X^T when the flag is set.
  virtual void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                    int64_t ldc) = 0;

  // s[b,i] = sum_m c_m(b) y[b, m*n + i]      (y = z bank^T, [rows][M*n])
  virtual void gate_combine(float* s, int64_t lds, const float* y, int64_t rows, int64_t n,
                            const GateCtx& g) = 0;
  // dy[b, m*n + i] = c_m(b) ds[b,i]
  virtual void gate_spread(float* dy, const float* ds, int64_t rows, int64_t n,
                           const GateCtx& g) = 0;
  // dgates[(b*T + t)*G + col_m] += slot_coef[m] sum_i ds[b,i] y[b, m*n + i], gated slots only
  virtual void gate_grads(float* dgates, const float* ds, const float* y, int64_t rows, int64_t n,
                          const GateCtx& g) = 0;
  // out[b] = sum_i x[b,i]
  virtual void row_sum(float* out, const float* x, int64_t ldx, int64_t rows, int64_t cols) = 0;
  // out[b,i] += c v[b]
  virtual void add_row_scalar(float* out, int64_t ldo, const float* v, float c, int64_t rows,
                              int64_t cols) = 0;
  // out[b,i] += bias[i]
  virtual void add_bias(float* out, int64_t ldo, const float* bias, int64_t rows, int64_t cols) = 0;
  // p = phi(s) elementwise
  virtual void act(float* p, int64_t ldp, const float* s, int64_t lds, int64_t rows,
                   int64_t cols) = 0;
  // r = (1 - alpha_i) z + alpha_i p
  virtual void leak(float* r, int64_t ldr, const float* z, int64_t ldz, const float* p, int64_t ldp,
                    const float* alpha, int64_t rows, int64_t cols) = 0;
  // dp = alpha_i lam; dz = (1 - alpha_i) lam; da = lam (p - z)   (dp, dz, da, lam: [rows][cols])
  virtual void leak_backward(float* dp, float* dz, float* da, const float* lam, const float* p,
                             int64_t ldp, const float* z, int64_t ldz, const float* alpha,
                             int64_t rows, int64_t cols) = 0;
  // ds = dp * phi'(s)   (ds, dp: [rows][cols])
  virtual void act_backward(float* ds, const float* dp, const float* s, int64_t lds, int64_t rows,
                            int64_t cols) = 0;
  // out[i] += sum_b x[b,i]
  virtual void col_sum_add(float* out, const float* x, int64_t ldx, int64_t rows, int64_t cols) = 0;
  // out[b,i] += x[b,i]
  virtual void add(float* out, int64_t ldo, const float* x, int64_t ldx, int64_t rows,
                   int64_t cols) = 0;

  // Waits for everything queued.
  virtual void sync() = 0;
  // Median milliseconds of `reps` runs of fn after `warmup` runs (CUDA events on the GPU).
  virtual double time_ms(const std::function<void()>& fn, int warmup, int reps) = 0;
};

// Plain loops on the host (the CPU twin of the CUDA kernels).
std::unique_ptr<EagerOps> make_host_eager_ops(ir::Activation act, double rate);
// cuBLAS + NVRTC kernels on device 0. Throws std::runtime_error naming what is missing (driver,
// libcublas, NVRTC) when it cannot run.
std::unique_ptr<EagerOps> make_cuda_eager_ops(ir::Activation act, double rate);

// The CUDA source of the elementwise and reduction kernels for one activation (what NVRTC
// compiles; CI compiles it for sm_80 and sm_90 without a GPU).
std::string eager_kernels_source(ir::Activation act, double rate);

// fp32 GFLOP/s of one cuBLAS SGEMM n x n x n on device 0 (median of a few, CUDA events): the
// device peak that rnnjit bench reports fractions of.
double measure_cuda_sgemm_gflops(int n = 4096);

}  // namespace rnnjit::bench
