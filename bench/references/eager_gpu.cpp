// The eager GPU reference: the op sequence of eager_gpu.hpp on an EagerOps (cuBLAS + NVRTC kernels,
// or their host twin).
#include "bench/references/eager_gpu.hpp"

#include <optional>
#include <stdexcept>
#include <vector>

#include "compiler/cell_plan.hpp"
#include "runtime/cuda/host_pack.hpp"

namespace rnnjit::bench {

namespace {

using cuda::DeviceGrads;
using cuda::PackedParams;
using cuda::PackedRun;

class EagerGpu final : public EagerGpuReference {
 public:
  EagerGpu(const ir::Module& m, bool on_device) : m_(m), plan_(plan_for(m)), on_device_(on_device) {
    ops_ = on_device ? make_cuda_eager_ops(plan_.activation, plan_.rate)
                     : make_host_eager_ops(plan_.activation, plan_.rate);
  }
  std::string backend() const override { return on_device_ ? "eager-gpu" : "eager-gpu-host"; }
  std::string device() const override { return ops_->device(); }
  DType dtype() const override { return DType::F32; }

  Tensor forward(const TensorMap& params, const TensorMap& inputs, const RunOptions& opt) override {
    pp_ = cuda::pack_params(plan_, m_, params);
    run_ = cuda::pack_run(plan_, m_, inputs, opt.steps);
    have_backward_ = false;
    ops_->release_all();
    const int64_t N = plan_.n, M = plan_.m(), B = run_->batch, T = run_->steps;
    d_ = Buffers{};
    d_.bank = upload(pp_->bank);
    d_.w_in = upload(pp_->w_in);
    d_.bias = upload(pp_->bias);
    d_.alpha = upload(pp_->alpha);
    d_.r0 = upload(run_->r0);
    d_.gates = upload(run_->gates);
    d_.u = upload(run_->u);
    std::vector<float> coef(static_cast<size_t>(std::max<int64_t>(M, 1))), col(coef.size(), -1.f);
    for (int64_t m = 0; m < M; ++m) {
      coef[static_cast<size_t>(m)] = static_cast<float>(plan_.slots[static_cast<size_t>(m)].coef);
      col[static_cast<size_t>(m)] = static_cast<float>(plan_.slots[static_cast<size_t>(m)].column);
    }
    d_.slot_coef = upload(coef);
    d_.slot_col = upload(col);
    const size_t btn = static_cast<size_t>(B * T * N);
    d_.r = ops_->alloc(btn);
    d_.s = ops_->alloc(btn);
    d_.p = ops_->alloc(btn);
    d_.y = ops_->alloc(static_cast<size_t>(T * B * M * N));
    d_.rowsum = ops_->alloc(static_cast<size_t>(B));
    device_forward();
    ops_->sync();
    std::vector<float> r(btn);
    ops_->download(r.data(), d_.r, btn);
    return Tensor::f32({B, T, N}, std::move(r));
  }

  TensorMap backward(const Tensor& dr) override {
    if (!run_) throw std::logic_error("eager-gpu: backward() before forward()");
    const int64_t N = plan_.n, M = plan_.m(), I = plan_.input_columns, G = plan_.gate_columns;
    const int64_t B = run_->batch, T = run_->steps;
    check_shape("dr", dr, {B, T, N});
    std::vector<float> host(static_cast<size_t>(dr.numel()));
    for (int64_t k = 0; k < dr.numel(); ++k)
      host[static_cast<size_t>(k)] = static_cast<float>(dr.at_f64(k));
    if (!have_backward_) {
      d_.dr = ops_->alloc(host.size());
      d_.lam = ops_->alloc(static_cast<size_t>(B * N));
      d_.dlam = ops_->alloc(static_cast<size_t>(B * N));
      d_.dp = ops_->alloc(static_cast<size_t>(B * N));
      d_.da = ops_->alloc(static_cast<size_t>(B * N));
      d_.ds = ops_->alloc(static_cast<size_t>(B * N));
      d_.dy = ops_->alloc(static_cast<size_t>(B * M * N));
      d_.dsum = ops_->alloc(static_cast<size_t>(B));
      d_.dgates = ops_->alloc(static_cast<size_t>(B * T * G));
      d_.du = ops_->alloc(static_cast<size_t>(B * T * I));
      d_.dbank = ops_->alloc(static_cast<size_t>(M * N * N));
      d_.dw_in = ops_->alloc(static_cast<size_t>(N * I));
      d_.dalpha = ops_->alloc(static_cast<size_t>(N));
      d_.dbias = ops_->alloc(static_cast<size_t>(N));
      have_backward_ = true;
    }
    ops_->upload(d_.dr, host.data(), host.size());
    device_backward();
    ops_->sync();
    DeviceGrads g;
    g.parts = 1;
    g.dr0 = download(d_.lam, B * N);
    g.dgates = download(d_.dgates, B * T * G);
    g.du = download(d_.du, B * T * I);
    g.dbank = download(d_.dbank, M * N * N);
    g.dw_in = download(d_.dw_in, N * I);
    g.dalpha_part = download(d_.dalpha, N);
    g.dbias_part = download(d_.dbias, N);
    return cuda::unpack_grads(plan_, m_, *pp_, *run_, g);
  }

  double time_device_ms(bool train, int warmup, int reps) override {
    if (!run_ || (train && !have_backward_))
      throw std::logic_error("eager-gpu: time_device_ms() needs a forward() (and backward())");
    return ops_->time_ms(
        [&] {
          device_forward();
          if (train) device_backward();
        },
        warmup, reps);
  }

 private:
  struct Buffers {
    float *bank = nullptr, *w_in = nullptr, *bias = nullptr, *alpha = nullptr, *r0 = nullptr,
          *gates = nullptr, *u = nullptr, *slot_coef = nullptr, *slot_col = nullptr;
    float *r = nullptr, *s = nullptr, *p = nullptr, *y = nullptr, *rowsum = nullptr;
    float *dr = nullptr, *lam = nullptr, *dlam = nullptr, *dp = nullptr, *da = nullptr,
          *ds = nullptr, *dy = nullptr, *dsum = nullptr;
    float *dgates = nullptr, *du = nullptr, *dbank = nullptr, *dw_in = nullptr, *dalpha = nullptr,
          *dbias = nullptr;
  };

  static CellPlan plan_for(const ir::Module& m) {
    for (auto& op : m.step)
      if (op.kind == ir::OpKind::Noise)
        throw std::runtime_error("eager-gpu reference: spike noise is not supported");
    return plan_cell(m, "CUDA backend");
  }

  float* upload(const std::vector<float>& host) {
    float* p = ops_->alloc(host.size());
    if (!host.empty()) ops_->upload(p, host.data(), host.size());
    return p;
  }
  std::vector<float> download(const float* p, int64_t n) {
    std::vector<float> host(static_cast<size_t>(n));
    if (n > 0) ops_->download(host.data(), p, host.size());
    return host;
  }

  GateCtx gate_ctx(int64_t t) const {
    GateCtx g;
    g.slot_coef = d_.slot_coef;
    g.slot_col = d_.slot_col;
    g.M = plan_.m();
    g.gates = d_.gates;
    g.T = run_->steps;
    g.t = t;
    g.G = plan_.gate_columns;
    return g;
  }
  // z_t = r_{t-1} (r0 at t = 0) and its leading dimension.
  const float* z_at(int64_t t, int64_t* ld) const {
    const int64_t N = plan_.n, T = run_->steps;
    *ld = t == 0 ? N : T * N;
    return t == 0 ? d_.r0 : d_.r + (t - 1) * N;
  }

  void device_forward() {
    EagerOps& o = *ops_;
    const int64_t N = plan_.n, M = plan_.m(), I = plan_.input_columns, B = run_->batch,
                  T = run_->steps;
    const int64_t ld = T * N;
    for (int64_t t = 0; t < T; ++t) {
      int64_t ldz = 0;
      const float* z = z_at(t, &ldz);
      float* s = d_.s + t * N;
      float* y = d_.y + t * B * M * N;
      if (M > 0) o.gemm(false, true, B, M * N, N, z, ldz, d_.bank, N, 0.f, y, M * N);
      o.gate_combine(s, ld, y, B, N, gate_ctx(t));  // with no slot: s = 0
      if (plan_.rowsum != 0.0) {
        o.row_sum(d_.rowsum, z, ldz, B, N);
        o.add_row_scalar(s, ld, d_.rowsum, static_cast<float>(plan_.rowsum), B, N);
      }
      if (I > 0) o.gemm(false, true, B, N, I, d_.u + t * I, T * I, d_.w_in, I, 1.f, s, ld);
      if (plan_.has_bias()) o.add_bias(s, ld, d_.bias, B, N);
      o.act(d_.p + t * N, ld, s, ld, B, N);
      o.leak(d_.r + t * N, ld, z, ldz, d_.p + t * N, ld, d_.alpha, B, N);
    }
  }

  void device_backward() {
    EagerOps& o = *ops_;
    const int64_t N = plan_.n, M = plan_.m(), I = plan_.input_columns, G = plan_.gate_columns;
    const int64_t B = run_->batch, T = run_->steps, ld = T * N;
    o.zero(d_.dgates, static_cast<size_t>(B * T * G));
    o.zero(d_.dbank, static_cast<size_t>(M * N * N));
    o.zero(d_.dw_in, static_cast<size_t>(N * I));
    o.zero(d_.dalpha, static_cast<size_t>(N));
    o.zero(d_.dbias, static_cast<size_t>(N));
    // lam = dL/dr_t in full: e_T at the last step, then (1-a) lam_{t+1} + zeta_{t+1} + e_t.
    o.zero(d_.lam, static_cast<size_t>(B * N));
    o.add(d_.lam, N, d_.dr + (T - 1) * N, ld, B, N);
    for (int64_t t = T - 1; t >= 0; --t) {
      int64_t ldz = 0;
      const float* z = z_at(t, &ldz);
      o.leak_backward(d_.dp, d_.dlam, d_.da, d_.lam, d_.p + t * N, ld, z, ldz, d_.alpha, B, N);
      o.col_sum_add(d_.dalpha, d_.da, N, B, N);
      o.act_backward(d_.ds, d_.dp, d_.s + t * N, ld, B, N);  // ds = delta_t
      o.col_sum_add(d_.dbias, d_.ds, N, B, N);
      if (M > 0) {
        const GateCtx g = gate_ctx(t);
        const float* y = d_.y + t * B * M * N;
        if (G > 0) o.gate_grads(d_.dgates, d_.ds, y, B, N, g);
        o.gate_spread(d_.dy, d_.ds, B, N, g);
        o.gemm(false, false, B, N, M * N, d_.dy, M * N, d_.bank, N, 1.f, d_.dlam, N);
        o.gemm(true, false, M * N, N, B, d_.dy, M * N, z, ldz, 1.f, d_.dbank, N);
      }
      if (plan_.rowsum != 0.0) {
        o.row_sum(d_.dsum, d_.ds, N, B, N);
        o.add_row_scalar(d_.dlam, N, d_.dsum, static_cast<float>(plan_.rowsum), B, N);
      }
      if (I > 0) {
        o.gemm(false, false, B, I, N, d_.ds, N, d_.w_in, I, 0.f, d_.du + t * I, T * I);
        o.gemm(true, false, N, I, B, d_.ds, N, d_.u + t * I, T * I, 1.f, d_.dw_in, I);
      }
      if (t > 0) o.add(d_.dlam, N, d_.dr + (t - 1) * N, ld, B, N);
      std::swap(d_.lam, d_.dlam);
    }
  }

  const ir::Module m_;  // a copy: callers may pass a temporary
  CellPlan plan_;
  bool on_device_;
  std::unique_ptr<EagerOps> ops_;
  std::optional<PackedParams> pp_;
  std::optional<PackedRun> run_;
  Buffers d_;
  bool have_backward_ = false;
};

}  // namespace

std::unique_ptr<EagerGpuReference> make_eager_gpu_reference(const ir::Module& m) {
  return std::make_unique<EagerGpu>(m, true);
}
std::unique_ptr<EagerGpuReference> make_eager_gpu_host_emulation(const ir::Module& m) {
  return std::make_unique<EagerGpu>(m, false);
}

}  // namespace rnnjit::bench
