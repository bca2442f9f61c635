// The host twin of the eager GPU kernels (eager_ops.hpp): the same per-element bodies as the CUDA
// source in eager_ops_cuda.cpp, run as loops, so the op sequence of eager_gpu.cpp is checked in CI
// against the float64 reference without a GPU.
#include <algorithm>
#include <chrono>
#include <vector>

#include "bench/references/eager_ops.hpp"
#include "compiler/activation_table.hpp"

namespace rnnjit::bench {

namespace {

// c_m(b), as gate_coef() in the CUDA source.
float gate_coef(const GateCtx& g, int64_t m, int64_t b) {
  const int64_t col = static_cast<int64_t>(g.slot_col[m]);
  return col >= 0 ? g.slot_coef[m] * g.gates[(b * g.T + g.t) * g.G + col] : g.slot_coef[m];
}

class HostEagerOps final : public EagerOps {
 public:
  HostEagerOps(ir::Activation act, double rate) : act_(act), rate_(rate) {}
  std::string device() const override { return "host emulation of the eager GPU kernels"; }

  float* alloc(size_t n) override {
    arena_.emplace_back(std::max<size_t>(n, 1), 0.f);
    return arena_.back().data();
  }
  void release_all() override { arena_.clear(); }
  void upload(float* dst, const float* src, size_t n) override { std::copy(src, src + n, dst); }
  void download(float* dst, const float* src, size_t n) override { std::copy(src, src + n, dst); }
  void zero(float* p, size_t n) override { std::fill(p, p + n, 0.f); }

  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* A, int64_t lda,
            const float* B, int64_t ldb, float beta, float* C, int64_t ldc) override {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float acc = 0.f;
        for (int64_t p = 0; p < k; ++p) {
          const float a = ta ? A[p * lda + i] : A[i * lda + p];
          const float b = tb ? B[j * ldb + p] : B[p * ldb + j];
          acc += a * b;
        }
        float& c = C[i * ldc + j];
        c = (beta == 0.f ? 0.f : beta * c) + acc;
      }
  }

  void gate_combine(float* s, int64_t lds, const float* y, int64_t rows, int64_t n,
                    const GateCtx& g) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < n; ++i) {
        float acc = 0.f;
        for (int64_t m = 0; m < g.M; ++m) acc += gate_coef(g, m, b) * y[(b * g.M + m) * n + i];
        s[b * lds + i] = acc;
      }
  }
  void gate_spread(float* dy, const float* ds, int64_t rows, int64_t n, const GateCtx& g) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t m = 0; m < g.M; ++m)
        for (int64_t i = 0; i < n; ++i)
          dy[(b * g.M + m) * n + i] = gate_coef(g, m, b) * ds[b * n + i];
  }
  void gate_grads(float* dgates, const float* ds, const float* y, int64_t rows, int64_t n,
                  const GateCtx& g) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t m = 0; m < g.M; ++m) {
        const int64_t col = static_cast<int64_t>(g.slot_col[m]);
        if (col < 0) continue;
        float acc = 0.f;
        for (int64_t i = 0; i < n; ++i) acc += ds[b * n + i] * y[(b * g.M + m) * n + i];
        dgates[(b * g.T + g.t) * g.G + col] += g.slot_coef[m] * acc;
      }
  }
  void row_sum(float* out, const float* x, int64_t ldx, int64_t rows, int64_t cols) override {
    for (int64_t b = 0; b < rows; ++b) {
      float s = 0.f;
      for (int64_t i = 0; i < cols; ++i) s += x[b * ldx + i];
      out[b] = s;
    }
  }
  void add_row_scalar(float* out, int64_t ldo, const float* v, float c, int64_t rows,
                      int64_t cols) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < cols; ++i) out[b * ldo + i] += c * v[b];
  }
  void add_bias(float* out, int64_t ldo, const float* bias, int64_t rows, int64_t cols) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < cols; ++i) out[b * ldo + i] += bias[i];
  }
  void act(float* p, int64_t ldp, const float* s, int64_t lds, int64_t rows,
           int64_t cols) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < cols; ++i)
        p[b * ldp + i] = act_emitted<float>(act_, s[b * lds + i], rate_).phi.v;
  }
  void leak(float* r, int64_t ldr, const float* z, int64_t ldz, const float* p, int64_t ldp,
            const float* alpha, int64_t rows, int64_t cols) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < cols; ++i)
        r[b * ldr + i] = (1.f - alpha[i]) * z[b * ldz + i] + alpha[i] * p[b * ldp + i];
  }
  void leak_backward(float* dp, float* dz, float* da, const float* lam, const float* p, int64_t ldp,
                     const float* z, int64_t ldz, const float* alpha, int64_t rows,
                     int64_t cols) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < cols; ++i) {
        const int64_t o = b * cols + i;
        dp[o] = alpha[i] * lam[o];
        dz[o] = (1.f - alpha[i]) * lam[o];
        da[o] = lam[o] * (p[b * ldp + i] - z[b * ldz + i]);
      }
  }
  void act_backward(float* ds, const float* dp, const float* s, int64_t lds, int64_t rows,
                    int64_t cols) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < cols; ++i)
        ds[b * cols + i] =
            dp[b * cols + i] * act_emitted<float>(act_, s[b * lds + i], rate_).dphi.v;
  }
  void col_sum_add(float* out, const float* x, int64_t ldx, int64_t rows, int64_t cols) override {
    for (int64_t i = 0; i < cols; ++i) {
      float s = 0.f;
      for (int64_t b = 0; b < rows; ++b) s += x[b * ldx + i];
      out[i] += s;
    }
  }
  void add(float* out, int64_t ldo, const float* x, int64_t ldx, int64_t rows,
           int64_t cols) override {
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < cols; ++i) out[b * ldo + i] += x[b * ldx + i];
  }

  void sync() override {}
  double time_ms(const std::function<void()>& fn, int warmup, int reps) override {
    for (int i = 0; i < warmup; ++i) fn();
    std::vector<double> ms;
    for (int i = 0; i < std::max(1, reps); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      fn();
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::nth_element(ms.begin(), ms.begin() + static_cast<long>(ms.size() / 2), ms.end());
    return ms[ms.size() / 2];
  }

 private:
  ir::Activation act_;
  double rate_;
  std::vector<std::vector<float>> arena_;
};

}  // namespace

std::unique_ptr<EagerOps> make_host_eager_ops(ir::Activation act, double rate) {
  return std::make_unique<HostEagerOps>(act, rate);
}

}  // namespace rnnjit::bench
