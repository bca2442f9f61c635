// The eager GPU primitives on a CUDA device: cuBLAS SGEMM for the products (libcublas dlopened, as
// the driver and NVRTC are, so nothing links CUDA libraries) and one NVRTC-compiled kernel per
// elementwise or reduction op. Each kernel body is the loop body of eager_ops_host.cpp, one thread
// per output element (one 256-thread block per row for the row reductions). Everything runs on the
// legacy default stream, in order, as an eager framework's single stream does.
#include <cublas_v2.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <vector>

#include "bench/references/eager_ops.hpp"
#include "compiler/cuda/cuda_codegen.hpp"
#include "compiler/cuda/embedded_templates.hpp"
#include "runtime/cuda/cuda_driver.hpp"
#include "runtime/cuda/device_buffer.hpp"
#include "runtime/cuda/dynlib.hpp"
#include "runtime/cuda/nvrtc_compile.hpp"

namespace rnnjit::bench {

namespace {

constexpr unsigned kThreads = 256;

// The kernels; rnnjit_phi / rnnjit_dphi are the activation's pair (cuda::activation_source).
constexpr const char* kKernels = R"cuda(
typedef long long i64;

__device__ __forceinline__ float gate_coef(const float* slot_coef, const float* slot_col,
                                           const float* gates, i64 T, i64 t, i64 G, i64 m, i64 b) {
  const i64 col = (i64)slot_col[m];
  return col >= 0 ? slot_coef[m] * gates[(b * T + t) * G + col] : slot_coef[m];
}

// Sum over the 256 threads of the block; the result is valid in thread 0.
__device__ __forceinline__ float block_sum(float v, float* sh) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = v;
  __syncthreads();
  float r = 0.f;
  if (threadIdx.x < 32) {
    r = threadIdx.x < (blockDim.x >> 5) ? sh[threadIdx.x] : 0.f;
    for (int o = 16; o > 0; o >>= 1) r += __shfl_xor_sync(0xffffffffu, r, o);
  }
  __syncthreads();
  return r;
}

#define RNNJIT_ELEMENT(total)                                  \
  const i64 k = (i64)blockIdx.x * blockDim.x + threadIdx.x;    \
  if (k >= (total)) return;

extern "C" __global__ void eager_gate_combine(float* s, i64 lds, const float* y, i64 rows, i64 n,
                                              const float* slot_coef, const float* slot_col, i64 M,
                                              const float* gates, i64 T, i64 t, i64 G) {
  RNNJIT_ELEMENT(rows * n)
  const i64 b = k / n, i = k - b * n;
  float acc = 0.f;
  for (i64 m = 0; m < M; ++m)
    acc += gate_coef(slot_coef, slot_col, gates, T, t, G, m, b) * y[(b * M + m) * n + i];
  s[b * lds + i] = acc;
}

extern "C" __global__ void eager_gate_spread(float* dy, const float* ds, i64 rows, i64 n,
                                             const float* slot_coef, const float* slot_col, i64 M,
                                             const float* gates, i64 T, i64 t, i64 G) {
  RNNJIT_ELEMENT(rows * M * n)
  const i64 b = k / (M * n), rem = k - b * M * n, m = rem / n, i = rem - m * n;
  dy[k] = gate_coef(slot_coef, slot_col, gates, T, t, G, m, b) * ds[b * n + i];
}

// One block per trial b.
extern "C" __global__ void eager_gate_grads(float* dgates, const float* ds, const float* y, i64 n,
                                            const float* slot_coef, const float* slot_col, i64 M,
                                            i64 T, i64 t, i64 G) {
  __shared__ float sh[32];
  const i64 b = blockIdx.x;
  for (i64 m = 0; m < M; ++m) {
    const i64 col = (i64)slot_col[m];
    if (col < 0) continue;
    float part = 0.f;
    for (i64 i = threadIdx.x; i < n; i += blockDim.x) part += ds[b * n + i] * y[(b * M + m) * n + i];
    const float sum = block_sum(part, sh);
    if (threadIdx.x == 0) dgates[(b * T + t) * G + col] += slot_coef[m] * sum;
  }
}

// One block per row b.
extern "C" __global__ void eager_row_sum(float* out, const float* x, i64 ldx, i64 cols) {
  __shared__ float sh[32];
  const i64 b = blockIdx.x;
  float part = 0.f;
  for (i64 i = threadIdx.x; i < cols; i += blockDim.x) part += x[b * ldx + i];
  const float sum = block_sum(part, sh);
  if (threadIdx.x == 0) out[b] = sum;
}

extern "C" __global__ void eager_add_row_scalar(float* out, i64 ldo, const float* v, float c,
                                                i64 rows, i64 cols) {
  RNNJIT_ELEMENT(rows * cols)
  const i64 b = k / cols, i = k - b * cols;
  out[b * ldo + i] += c * v[b];
}

extern "C" __global__ void eager_add_bias(float* out, i64 ldo, const float* bias, i64 rows,
                                          i64 cols) {
  RNNJIT_ELEMENT(rows * cols)
  const i64 b = k / cols, i = k - b * cols;
  out[b * ldo + i] += bias[i];
}

extern "C" __global__ void eager_act(float* p, i64 ldp, const float* s, i64 lds, i64 rows,
                                     i64 cols) {
  RNNJIT_ELEMENT(rows * cols)
  const i64 b = k / cols, i = k - b * cols;
  p[b * ldp + i] = rnnjit_phi(s[b * lds + i]);
}

extern "C" __global__ void eager_leak(float* r, i64 ldr, const float* z, i64 ldz, const float* p,
                                      i64 ldp, const float* alpha, i64 rows, i64 cols) {
  RNNJIT_ELEMENT(rows * cols)
  const i64 b = k / cols, i = k - b * cols;
  r[b * ldr + i] = (1.f - alpha[i]) * z[b * ldz + i] + alpha[i] * p[b * ldp + i];
}

extern "C" __global__ void eager_leak_backward(float* dp, float* dz, float* da, const float* lam,
                                               const float* p, i64 ldp, const float* z, i64 ldz,
                                               const float* alpha, i64 rows, i64 cols) {
  RNNJIT_ELEMENT(rows * cols)
  const i64 b = k / cols, i = k - b * cols;
  dp[k] = alpha[i] * lam[k];
  dz[k] = (1.f - alpha[i]) * lam[k];
  da[k] = lam[k] * (p[b * ldp + i] - z[b * ldz + i]);
}

extern "C" __global__ void eager_act_backward(float* ds, const float* dp, const float* s, i64 lds,
                                              i64 rows, i64 cols) {
  RNNJIT_ELEMENT(rows * cols)
  const i64 b = k / cols, i = k - b * cols;
  ds[k] = dp[k] * rnnjit_dphi(s[b * lds + i]);
}

// One thread per column (coalesced over the columns, sequential over the rows).
extern "C" __global__ void eager_col_sum_add(float* out, const float* x, i64 ldx, i64 rows,
                                             i64 cols) {
  RNNJIT_ELEMENT(cols)
  float s = 0.f;
  for (i64 b = 0; b < rows; ++b) s += x[b * ldx + k];
  out[k] += s;
}

extern "C" __global__ void eager_add(float* out, i64 ldo, const float* x, i64 ldx, i64 rows,
                                     i64 cols) {
  RNNJIT_ELEMENT(rows * cols)
  const i64 b = k / cols, i = k - b * cols;
  out[b * ldo + i] += x[b * ldx + i];
}
)cuda";

CUdeviceptr dptr(const float* p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}
float* fptr(CUdeviceptr p) {
  return reinterpret_cast<float*>(static_cast<uintptr_t>(p));
}

unsigned blocks_for(int64_t total) {
  return static_cast<unsigned>(std::max<int64_t>(1, (total + kThreads - 1) / kThreads));
}

// cuBLAS, loaded at run time, with one handle on the default stream.
class Cublas {
 public:
  Cublas() : lib_({"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}) {
    if (!lib_.ok())
      throw std::runtime_error("eager-gpu reference: libcublas not found (" + lib_.error() + ")");
    create_ = reinterpret_cast<decltype(create_)>(lib_.symbol("cublasCreate_v2"));
    destroy_ = reinterpret_cast<decltype(destroy_)>(lib_.symbol("cublasDestroy_v2"));
    sgemm_ = reinterpret_cast<decltype(sgemm_)>(lib_.symbol("cublasSgemm_v2"));
    if (!create_ || !destroy_ || !sgemm_)
      throw std::runtime_error("eager-gpu reference: " + lib_.loaded_name() +
                               " lacks cublasCreate_v2 / cublasSgemm_v2");
    check(create_(&handle_), "cublasCreate");
  }
  ~Cublas() {
    if (handle_) destroy_(handle_);
  }
  Cublas(const Cublas&) = delete;
  Cublas& operator=(const Cublas&) = delete;

  // Row-major C[m x n] = op(A) op(B) + beta C is column-major C^T = op(B)^T op(A)^T: the same
  // call with the operands swapped (a row-major X read column-major is X^T).
  void gemm_row_major(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* A,
                      int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                      int64_t ldc) const {
    const float one = 1.f;
    check(sgemm_(handle_, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                 static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &one, B,
                 static_cast<int>(ldb), A, static_cast<int>(lda), &beta, C, static_cast<int>(ldc)),
          "cublasSgemm");
  }

 private:
  static void check(cublasStatus_t s, const char* what) {
    if (s != CUBLAS_STATUS_SUCCESS)
      throw std::runtime_error(fmt::format("eager-gpu reference: {} failed (cublasStatus {})", what,
                                           static_cast<int>(s)));
  }
  cuda::DynLib lib_;
  decltype(&cublasCreate_v2) create_ = nullptr;
  decltype(&cublasDestroy_v2) destroy_ = nullptr;
  decltype(&cublasSgemm_v2) sgemm_ = nullptr;
  cublasHandle_t handle_ = nullptr;
};

double median_event_ms(const std::function<void()>& fn, int warmup, int reps) {
  const cuda::DriverApi& d = cuda::driver();
  for (int i = 0; i < warmup; ++i) fn();
  struct Events {  // destroyed on every way out, fn may throw
    CUevent start = nullptr, stop = nullptr;
    ~Events() {
      const cuda::DriverApi& api = cuda::driver();
      if (start) api.EventDestroy(start);
      if (stop) api.EventDestroy(stop);
    }
  } ev;
  d.check(d.EventCreate(&ev.start, CU_EVENT_DEFAULT), "cuEventCreate");
  d.check(d.EventCreate(&ev.stop, CU_EVENT_DEFAULT), "cuEventCreate");
  CUevent start = ev.start, stop = ev.stop;
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, reps); ++i) {
    d.check(d.EventRecord(start, nullptr), "cuEventRecord");
    fn();
    d.check(d.EventRecord(stop, nullptr), "cuEventRecord");
    d.check(d.EventSynchronize(stop), "cuEventSynchronize");
    float e = 0.f;
    d.check(d.EventElapsedTime(&e, start, stop), "cuEventElapsedTime");
    ms.push_back(e);
  }
  std::nth_element(ms.begin(), ms.begin() + static_cast<long>(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}

class CudaEagerOps final : public EagerOps {
 public:
  CudaEagerOps(ir::Activation act, double rate) : dev_(cuda::device()) {
    // SASS for this device (cubin): no PTX JIT in the driver, so a newer NVRTC than the driver
    // works.
    const std::string image = nvrtc_compile(eager_kernels_source(act, rate), dev_.arch(), true);
    const cuda::DriverApi& d = cuda::driver();
    d.check(d.ModuleLoadData(&module_, image.data()), "cuModuleLoadData(eager kernels)");
    auto fn = [&](const char* name) {
      CUfunction f = nullptr;
      d.check(d.ModuleGetFunction(&f, module_, name), name);
      return f;
    };
    k_gate_combine_ = fn("eager_gate_combine");
    k_gate_spread_ = fn("eager_gate_spread");
    k_gate_grads_ = fn("eager_gate_grads");
    k_row_sum_ = fn("eager_row_sum");
    k_add_row_scalar_ = fn("eager_add_row_scalar");
    k_add_bias_ = fn("eager_add_bias");
    k_act_ = fn("eager_act");
    k_leak_ = fn("eager_leak");
    k_leak_backward_ = fn("eager_leak_backward");
    k_act_backward_ = fn("eager_act_backward");
    k_col_sum_add_ = fn("eager_col_sum_add");
    k_add_ = fn("eager_add");
  }
  ~CudaEagerOps() override {
    const cuda::DriverApi& d = cuda::driver();
    release_all();
    for (auto& [n, p] : free_) d.MemFree(p);
    if (module_) d.ModuleUnload(module_);
  }
  CudaEagerOps(const CudaEagerOps&) = delete;
  CudaEagerOps& operator=(const CudaEagerOps&) = delete;

  std::string device() const override { return dev_.describe() + ", cuBLAS + NVRTC kernels"; }

  float* alloc(size_t n) override {
    n = std::max<size_t>(n, 1);
    const cuda::DriverApi& d = cuda::driver();
    CUdeviceptr p = 0;
    auto it = free_.find(n);
    if (it != free_.end()) {
      p = it->second;
      free_.erase(it);
    } else {
      d.check(d.MemAlloc(&p, n * sizeof(float)), "cuMemAlloc(eager)");
    }
    used_.emplace_back(n, p);
    d.check(d.MemsetD32Async(p, 0, n, nullptr), "cuMemsetD32Async(eager)");
    return fptr(p);
  }
  void release_all() override {
    for (auto& [n, p] : used_) free_.emplace(n, p);
    used_.clear();
  }
  void upload(float* dst, const float* src, size_t n) override {
    const cuda::DriverApi& d = cuda::driver();
    if (n) d.check(d.MemcpyHtoD(dptr(dst), src, n * sizeof(float)), "cuMemcpyHtoD(eager)");
  }
  void download(float* dst, const float* src, size_t n) override {
    const cuda::DriverApi& d = cuda::driver();
    if (n) d.check(d.MemcpyDtoH(dst, dptr(src), n * sizeof(float)), "cuMemcpyDtoH(eager)");
  }
  void zero(float* p, size_t n) override {
    const cuda::DriverApi& d = cuda::driver();
    if (n) d.check(d.MemsetD32Async(dptr(p), 0, n, nullptr), "cuMemsetD32Async(eager)");
  }

  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* A, int64_t lda,
            const float* B, int64_t ldb, float beta, float* C, int64_t ldc) override {
    if (m == 0 || n == 0) return;
    cublas_.gemm_row_major(ta, tb, m, n, k, A, lda, B, ldb, beta, C, ldc);
  }

  void gate_combine(float* s, int64_t lds, const float* y, int64_t rows, int64_t n,
                    const GateCtx& g) override {
    launch(k_gate_combine_, blocks_for(rows * n), dptr(s), ll(lds), dptr(y), ll(rows), ll(n),
           dptr(g.slot_coef), dptr(g.slot_col), ll(g.M), dptr(g.gates), ll(g.T), ll(g.t), ll(g.G));
  }
  void gate_spread(float* dy, const float* ds, int64_t rows, int64_t n, const GateCtx& g) override {
    launch(k_gate_spread_, blocks_for(rows * g.M * n), dptr(dy), dptr(ds), ll(rows), ll(n),
           dptr(g.slot_coef), dptr(g.slot_col), ll(g.M), dptr(g.gates), ll(g.T), ll(g.t), ll(g.G));
  }
  void gate_grads(float* dgates, const float* ds, const float* y, int64_t rows, int64_t n,
                  const GateCtx& g) override {
    launch(k_gate_grads_, static_cast<unsigned>(rows), dptr(dgates), dptr(ds), dptr(y), ll(n),
           dptr(g.slot_coef), dptr(g.slot_col), ll(g.M), ll(g.T), ll(g.t), ll(g.G));
  }
  void row_sum(float* out, const float* x, int64_t ldx, int64_t rows, int64_t cols) override {
    launch(k_row_sum_, static_cast<unsigned>(rows), dptr(out), dptr(x), ll(ldx), ll(cols));
  }
  void add_row_scalar(float* out, int64_t ldo, const float* v, float c, int64_t rows,
                      int64_t cols) override {
    launch(k_add_row_scalar_, blocks_for(rows * cols), dptr(out), ll(ldo), dptr(v), c, ll(rows),
           ll(cols));
  }
  void add_bias(float* out, int64_t ldo, const float* bias, int64_t rows, int64_t cols) override {
    launch(k_add_bias_, blocks_for(rows * cols), dptr(out), ll(ldo), dptr(bias), ll(rows),
           ll(cols));
  }
  void act(float* p, int64_t ldp, const float* s, int64_t lds, int64_t rows,
           int64_t cols) override {
    launch(k_act_, blocks_for(rows * cols), dptr(p), ll(ldp), dptr(s), ll(lds), ll(rows), ll(cols));
  }
  void leak(float* r, int64_t ldr, const float* z, int64_t ldz, const float* p, int64_t ldp,
            const float* alpha, int64_t rows, int64_t cols) override {
    launch(k_leak_, blocks_for(rows * cols), dptr(r), ll(ldr), dptr(z), ll(ldz), dptr(p), ll(ldp),
           dptr(alpha), ll(rows), ll(cols));
  }
  void leak_backward(float* dp, float* dz, float* da, const float* lam, const float* p, int64_t ldp,
                     const float* z, int64_t ldz, const float* alpha, int64_t rows,
                     int64_t cols) override {
    launch(k_leak_backward_, blocks_for(rows * cols), dptr(dp), dptr(dz), dptr(da), dptr(lam),
           dptr(p), ll(ldp), dptr(z), ll(ldz), dptr(alpha), ll(rows), ll(cols));
  }
  void act_backward(float* ds, const float* dp, const float* s, int64_t lds, int64_t rows,
                    int64_t cols) override {
    launch(k_act_backward_, blocks_for(rows * cols), dptr(ds), dptr(dp), dptr(s), ll(lds), ll(rows),
           ll(cols));
  }
  void col_sum_add(float* out, const float* x, int64_t ldx, int64_t rows, int64_t cols) override {
    launch(k_col_sum_add_, blocks_for(cols), dptr(out), dptr(x), ll(ldx), ll(rows), ll(cols));
  }
  void add(float* out, int64_t ldo, const float* x, int64_t ldx, int64_t rows,
           int64_t cols) override {
    launch(k_add_, blocks_for(rows * cols), dptr(out), ll(ldo), dptr(x), ll(ldx), ll(rows),
           ll(cols));
  }

  void sync() override {
    const cuda::DriverApi& d = cuda::driver();
    d.check(d.CtxSynchronize(), "cuCtxSynchronize(eager)");
  }
  double time_ms(const std::function<void()>& fn, int warmup, int reps) override {
    return median_event_ms(fn, warmup, reps);
  }

 private:
  static long long ll(int64_t v) { return static_cast<long long>(v); }

  // Every argument is passed by the address of its copy here: CUdeviceptr for pointers, long long
  // for i64, float for float, in the order of the kernel's parameters.
  template <class... Args>
  void launch(CUfunction f, unsigned grid, Args... args) {
    if (grid == 0) return;
    void* params[] = {static_cast<void*>(&args)...};
    const cuda::DriverApi& d = cuda::driver();
    d.check(d.LaunchKernel(f, grid, 1, 1, kThreads, 1, 1, 0, nullptr, params, nullptr),
            "cuLaunchKernel(eager)");
  }

  const cuda::Device& dev_;
  Cublas cublas_;
  CUmodule module_ = nullptr;
  CUfunction k_gate_combine_ = nullptr, k_gate_spread_ = nullptr, k_gate_grads_ = nullptr,
             k_row_sum_ = nullptr, k_add_row_scalar_ = nullptr, k_add_bias_ = nullptr,
             k_act_ = nullptr, k_leak_ = nullptr, k_leak_backward_ = nullptr,
             k_act_backward_ = nullptr, k_col_sum_add_ = nullptr, k_add_ = nullptr;
  std::multimap<size_t, CUdeviceptr> free_;
  std::vector<std::pair<size_t, CUdeviceptr>> used_;
};

}  // namespace

std::string eager_kernels_source(ir::Activation act, double rate) {
  return fmt::format(
      "// rnnjit eager GPU reference kernels (bench/references/eager_ops_cuda.cpp), activation "
      "{}\n{}\n{}{}",
      ir::name(act), cuda::unit_text("activations.cuh"), cuda::activation_source(act, rate),
      kKernels);
}

std::unique_ptr<EagerOps> make_cuda_eager_ops(ir::Activation act, double rate) {
  return std::make_unique<CudaEagerOps>(act, rate);
}

double measure_cuda_sgemm_gflops(int n) {
  cuda::device();
  const cuda::DriverApi& d = cuda::driver();
  Cublas blas;
  const size_t count = static_cast<size_t>(n) * static_cast<size_t>(n);
  cuda::DeviceBuffer a, b, c;  // freed on every path, a throwing call's included
  a.reserve(count), b.reserve(count), c.reserve(count);
  // Ones: finite products, and the same work a random matrix gets (no data-dependent speed).
  d.check(d.MemsetD32Async(a.ptr(), 0x3f800000u, count, nullptr), "cuMemsetD32Async(peak)");
  d.check(d.MemsetD32Async(b.ptr(), 0x3f800000u, count, nullptr), "cuMemsetD32Async(peak)");
  const double ms = median_event_ms(
      [&] {
        blas.gemm_row_major(false, false, n, n, n, fptr(a.ptr()), n, fptr(b.ptr()), n, 0.f,
                            fptr(c.ptr()), n);
      },
      3, 10);
  return 2.0 * n * static_cast<double>(n) * n / (ms * 1e6);
}

}  // namespace rnnjit::bench
