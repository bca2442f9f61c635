#include "runtime/cuda/cuda_executor.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include "compiler/cuda/cuda_codegen.hpp"
#include "runtime/cuda/cuda_driver.hpp"
#include "runtime/cuda/device_buffer.hpp"
#include "runtime/cuda/host_pack.hpp"
#include "runtime/cuda/kernel_cache.hpp"

namespace rnnjit::cuda {

namespace {

// RNNJIT_CUDA_POISON=1: fill every device output with NaN before each run (the GPU tests set it),
// so a value a kernel forgets to write cannot pass for a result of an earlier run.
bool poison() {
  const char* e = std::getenv("RNNJIT_CUDA_POISON");
  return e && std::string(e) == "1";
}

class CudaExecutor final : public CellExecutor {
 public:
  CudaExecutor(const ir::Module& m, const ExecutorConfig& cfg);
  ~CudaExecutor() override;
  std::string backend() const override { return "cuda"; }
  std::string device() const override { return dev_.describe(); }
  DType dtype() const override { return DType::F32; }
  double compile_seconds() const override { return compile_seconds_; }
  Tensor forward(const TensorMap& params, const TensorMap& inputs, const RunOptions& opt) override;
  TensorMap backward(const Tensor& dr) override;

  void launch_forward();
  void launch_backward();
  // Packs and uploads (params when given) and the run, sizes the outputs; launches nothing.
  void prepare(const TensorMap* params, const TensorMap& inputs, const RunOptions& opt);
  ResidentRun forward_resident(const TensorMap* params, const TensorMap& inputs,
                               const RunOptions& opt);
  ResidentRun backward_resident();
  std::vector<float> download_dgates();
  const CellPlan& plan() const { return plan_; }
  int tile() const { return tile_; }
  bool has_backward() const { return backward_done_; }
  CUstream stream() const { return stream_; }

 private:
  struct Kernels {
    CUfunction forward = nullptr, adjoint = nullptr;
    size_t forward_smem = 0, adjoint_smem = 0;
  };
  void load_module(const std::string& cubin);
  int choose_tile(int64_t batch) const;
  void launch(CUfunction f, unsigned grid_x, unsigned grid_y, unsigned grid_z, unsigned threads,
              size_t smem, void** args, const char* what);
  void poison_backward();
  ResidentRun resident();

  ir::Module module_;
  CellPlan plan_;
  KernelShape shape_;
  const Device& dev_;
  double compile_seconds_ = 0;
  CUmodule mod_ = nullptr;
  CUstream stream_ = nullptr;
  std::vector<std::pair<int, Kernels>> variants_;  // per tile size TB
  CUfunction wgrad_bank_ = nullptr, wgrad_input_ = nullptr;

  // State of the latest run.
  std::optional<PackedParams> params_;
  std::optional<PackedRun> run_;
  int tile_ = 1;
  bool backward_done_ = false;
  DeviceBuffer bank_, bank_t_, w_in_, bias_, alpha_, r0_, gates_, u_, r_, s_;
  DeviceBuffer z_save_, dz_save_;  // spike noise: z_t and dz_t/dr [B][T][N] (1 float without)
  unsigned long long noise_seed_ = 0;
  int gate_grads_ = 1;  // RunOptions::gate_grads of the latest forward
  // The latest forward used the device's packed parameters as they stood (resident training, the
  // optimiser updating them in place), so params_ may be stale: only backward_resident() may
  // follow.
  bool resident_params_ = false;
  DeviceBuffer dr_, delta_, dr0_, dgates_, du_, dalpha_, dbias_, dbank_, dw_in_;
};

CudaExecutor::CudaExecutor(const ir::Module& m, const ExecutorConfig& cfg)
    : module_(m),
      plan_(plan_cell(m, "CUDA backend")),
      shape_(kernel_shape(plan_)),
      dev_(cuda::device()) {
  const auto start = std::chrono::steady_clock::now();
  const std::string source = emit_source(plan_, cfg.precision);
  const std::string cubin = KernelCache::instance().get(source, dev_.arch(), /*cubin=*/true);
  load_module(cubin);
  const DriverApi& d = driver();
  // A blocking stream: it waits for the synchronous copies issued on the legacy default stream.
  d.check(d.StreamCreate(&stream_, CU_STREAM_DEFAULT), "cuStreamCreate");
  compile_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (cfg.verbose)
    fmt::print(stderr, "rnnjit: cuda kernels for @{} ready on {} in {:.3f} s\n", m.name,
               dev_.describe(), compile_seconds_);
}

CudaExecutor::~CudaExecutor() {
  const DriverApi& d = driver();
  if (stream_) d.StreamDestroy(stream_);
  if (mod_) d.ModuleUnload(mod_);
}

void CudaExecutor::load_module(const std::string& cubin) {
  const DriverApi& d = driver();
  d.check(d.ModuleLoadData(&mod_, cubin.data()), "cuModuleLoadData");
  // The layout table the templates computed; it must agree with the host's arithmetic.
  CUdeviceptr table = 0;
  size_t bytes = 0;
  d.check(d.ModuleGetGlobal(&table, &bytes, mod_, kLayoutSymbol),
          "cuModuleGetGlobal(rnnjit_layout)");
  std::vector<int> layout(bytes / sizeof(int));
  d.check(d.MemcpyDtoH(layout.data(), table, bytes), "cuMemcpyDtoH(rnnjit_layout)");
  if (layout.size() < 3 || layout[0] != kLayoutFormat || layout[1] != shape_.threads ||
      layout[2] != static_cast<int>(kTileVariants.size()))
    throw std::logic_error("cuda executor: the kernels' layout table disagrees with the host");
  for (size_t v = 0; v < kTileVariants.size(); ++v) {
    const int tb = layout[3 + 3 * v];
    Kernels k;
    k.forward_smem = static_cast<size_t>(layout[4 + 3 * v]);
    k.adjoint_smem = static_cast<size_t>(layout[5 + 3 * v]);
    if (tb != kTileVariants[v] || k.forward_smem != shape_.forward_smem_bytes(tb) ||
        k.adjoint_smem != shape_.adjoint_smem_bytes(tb))
      throw std::logic_error(
          fmt::format("cuda executor: shared memory of TB={} is {}/{} bytes in the kernels but "
                      "{}/{} on the host",
                      tb, k.forward_smem, k.adjoint_smem, shape_.forward_smem_bytes(tb),
                      shape_.adjoint_smem_bytes(tb)));
    // Variants whose shared memory does not fit this device are skipped; TB=1 must fit.
    if (std::max(k.forward_smem, k.adjoint_smem) > dev_.max_smem_optin) {
      if (tb == 1)
        throw std::runtime_error(
            fmt::format("cuda executor: N={} needs {} bytes of shared memory per "
                        "block, more than {} offers ({} bytes)",
                        plan_.n, k.adjoint_smem, dev_.describe(), dev_.max_smem_optin));
      continue;
    }
    const std::string fwd = forward_entry(tb), adj = adjoint_entry(tb);
    d.check(d.ModuleGetFunction(&k.forward, mod_, fwd.c_str()), "cuModuleGetFunction(forward)");
    d.check(d.ModuleGetFunction(&k.adjoint, mod_, adj.c_str()), "cuModuleGetFunction(adjoint)");
    d.check(d.FuncSetAttribute(k.forward, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                               static_cast<int>(k.forward_smem)),
            "cuFuncSetAttribute(forward, MAX_DYNAMIC_SHARED_SIZE_BYTES)");
    d.check(d.FuncSetAttribute(k.adjoint, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                               static_cast<int>(k.adjoint_smem)),
            "cuFuncSetAttribute(adjoint, MAX_DYNAMIC_SHARED_SIZE_BYTES)");
    variants_.emplace_back(tb, k);
  }
  d.check(d.ModuleGetFunction(&wgrad_bank_, mod_, kWeightGradBankEntry),
          "cuModuleGetFunction(wgrad_bank)");
  d.check(d.ModuleGetFunction(&wgrad_input_, mod_, kWeightGradInputEntry),
          "cuModuleGetFunction(wgrad_input)");
}

// TB = 8 reuses each weight loaded from L2 for 8 trials; per step it costs about what TB = 1 costs
// (TB = 1 is load-bound), so the larger tile wins whenever it fits. RNNJIT_CUDA_TILE forces one
// (the GPU tests run both).
int CudaExecutor::choose_tile(int64_t) const {
  if (const char* e = std::getenv("RNNJIT_CUDA_TILE")) {
    const int want = std::atoi(e);
    for (auto& [tb, k] : variants_)
      if (tb == want) return tb;
    throw std::runtime_error(fmt::format("RNNJIT_CUDA_TILE={} is not an available tile size", e));
  }
  return variants_.back().first;
}

void CudaExecutor::launch(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned threads,
                          size_t smem, void** args, const char* what) {
  const DriverApi& d = driver();
  d.check(d.LaunchKernel(f, gx, gy, gz, threads, 1, 1, static_cast<unsigned>(smem), stream_, args,
                         nullptr),
          what);
}

Tensor CudaExecutor::forward(const TensorMap& params, const TensorMap& inputs,
                             const RunOptions& opt) {
  prepare(&params, inputs, opt);
  launch_forward();
  const DriverApi& d = driver();
  d.check(d.StreamSynchronize(stream_), "cuStreamSynchronize(forward)");
  const size_t out = static_cast<size_t>(run_->batch * run_->steps * plan_.n);
  std::vector<float> r = r_.download(out);
  return Tensor::f32({run_->batch, run_->steps, plan_.n}, std::move(r));
}

void CudaExecutor::prepare(const TensorMap* params, const TensorMap& inputs,
                           const RunOptions& opt) {
  cuda::device();  // make the context current on this thread
  backward_done_ = false;
  run_.reset();
  resident_params_ = params == nullptr;
  if (params) {
    params_ = pack_params(plan_, module_, *params);
    const PackedParams& pp = *params_;
    bank_.upload(pp.bank);
    bank_t_.upload(pp.bank_t);
    w_in_.upload(pp.w_in);
    bias_.upload(pp.bias);
    alpha_.upload(pp.alpha);
  } else if (!params_) {
    throw std::logic_error(
        "cuda executor: a forward without parameters needs them bound by an earlier forward");
  }
  PackedRun run = pack_run(plan_, module_, inputs, opt.steps);
  r0_.upload(run.r0);
  gates_.upload(run.gates);
  u_.upload(run.u);
  const size_t out = static_cast<size_t>(run.batch * run.steps * plan_.n);
  r_.reserve(out ? out : 1);
  s_.reserve(out ? out : 1);
  const size_t saved = plan_.has_noise() ? out : 0;
  z_save_.reserve(saved ? saved : 1);
  dz_save_.reserve(saved ? saved : 1);
  noise_seed_ = opt.noise_seed;
  gate_grads_ = opt.gate_grads ? 1 : 0;
  tile_ = choose_tile(run.batch);
  run_ = std::move(run);
  if (poison()) {
    r_.fill_nan(out, stream_);
    s_.fill_nan(out, stream_);
    z_save_.fill_nan(saved, stream_);
    dz_save_.fill_nan(saved, stream_);
  }
}

ResidentRun CudaExecutor::forward_resident(const TensorMap* params, const TensorMap& inputs,
                                           const RunOptions& opt) {
  prepare(params, inputs, opt);
  const size_t out = static_cast<size_t>(run_->batch * run_->steps * plan_.n);
  dr_.reserve(out ? out : 1);
  if (poison()) dr_.fill_nan(out, stream_);
  launch_forward();
  return resident();
}

ResidentRun CudaExecutor::backward_resident() {
  if (!run_) throw std::logic_error("cuda executor: backward_resident() before any forward");
  cuda::device();
  poison_backward();
  launch_backward();
  backward_done_ = true;
  return resident();
}

std::vector<float> CudaExecutor::download_dgates() {
  if (!run_ || !backward_done_)
    throw std::logic_error("cuda executor: download_dgates() before a backward");
  if (!gate_grads_)
    throw std::logic_error(
        "cuda executor: download_dgates() after a forward with RunOptions::gate_grads = false");
  const DriverApi& d = driver();
  d.check(d.StreamSynchronize(stream_), "cuStreamSynchronize(dgates)");
  return dgates_.download(static_cast<size_t>(run_->batch * run_->steps * plan_.gate_columns));
}

ResidentRun CudaExecutor::resident() {
  auto f = [](const DeviceBuffer& b) {
    return reinterpret_cast<float*>(static_cast<uintptr_t>(b.ptr()));
  };
  ResidentRun out;
  out.bufs.bank = f(bank_), out.bufs.bank_t = f(bank_t_), out.bufs.w_in = f(w_in_);
  out.bufs.bias = f(bias_), out.bufs.alpha = f(alpha_);
  out.bufs.dbank = f(dbank_), out.bufs.dw_in = f(dw_in_);
  out.bufs.dbias_part = f(dbias_), out.bufs.dalpha_part = f(dalpha_);
  out.bufs.parts = (run_->batch + tile_ - 1) / tile_;
  out.r = r_.ptr();
  out.dr = dr_.ptr();
  out.batch = run_->batch;
  out.steps = run_->steps;
  out.stream = stream_;
  return out;
}

void CudaExecutor::poison_backward() {
  if (!poison()) return;
  const PackedRun& run = *run_;
  const int64_t n = plan_.n, bt = run.batch * run.steps;
  delta_.fill_nan(static_cast<size_t>(bt * n), stream_);
  dr0_.fill_nan(static_cast<size_t>(run.batch * n), stream_);
  du_.fill_nan(static_cast<size_t>(bt * plan_.input_columns), stream_);
}

void CudaExecutor::launch_forward() {
  const PackedRun& run = *run_;
  if (run.batch == 0 || run.steps == 0) return;
  const Kernels* k = nullptr;
  for (auto& [tb, kk] : variants_)
    if (tb == tile_) k = &kk;
  CUdeviceptr bank_t = bank_t_.ptr(), gates = gates_.ptr(), w_in = w_in_.ptr(), u = u_.ptr(),
              bias = bias_.ptr(), alpha = alpha_.ptr(), r0 = r0_.ptr(), r = r_.ptr(), s = s_.ptr(),
              z_save = z_save_.ptr(), dz_save = dz_save_.ptr();
  unsigned long long seed = noise_seed_;
  int b = static_cast<int>(run.batch), t = static_cast<int>(run.steps);
  void* args[] = {&bank_t, &gates, &w_in,   &u,       &bias, &alpha, &r0,
                  &r,      &s,     &z_save, &dz_save, &seed, &b,     &t};
  const unsigned grid = static_cast<unsigned>((run.batch + tile_ - 1) / tile_);
  launch(k->forward, grid, 1, 1, static_cast<unsigned>(shape_.threads), k->forward_smem, args,
         "cuLaunchKernel(forward)");
}

TensorMap CudaExecutor::backward(const Tensor& dr) {
  if (!run_) throw std::logic_error("cuda executor: backward() called before any forward()");
  if (resident_params_)
    throw std::logic_error(
        "cuda executor: backward() after a forward on the device's own parameters; use "
        "backward_resident()");
  cuda::device();
  const PackedRun& run = *run_;
  check_shape("dr", dr, {run.batch, run.steps, plan_.n});
  std::vector<float> host(static_cast<size_t>(dr.numel()));
  for (int64_t k = 0; k < dr.numel(); ++k)
    host[static_cast<size_t>(k)] = static_cast<float>(dr.at_f64(k));
  dr_.upload(host);
  poison_backward();
  launch_backward();
  const DriverApi& d = driver();
  d.check(d.StreamSynchronize(stream_), "cuStreamSynchronize(backward)");
  backward_done_ = true;

  const int64_t n = plan_.n, bt = run.batch * run.steps;
  DeviceGrads g;
  g.parts = (run.batch + tile_ - 1) / tile_;
  g.dr0 = dr0_.download(static_cast<size_t>(run.batch * n));
  g.dgates = dgates_.download(static_cast<size_t>(bt * plan_.gate_columns));
  g.du = du_.download(static_cast<size_t>(bt * plan_.input_columns));
  g.dbank = dbank_.download(static_cast<size_t>(plan_.m() * n * n));
  g.dw_in = dw_in_.download(static_cast<size_t>(n * plan_.input_columns));
  g.dalpha_part = dalpha_.download(static_cast<size_t>(g.parts * n));
  g.dbias_part = dbias_.download(static_cast<size_t>(g.parts * n));
  TensorMap grads = unpack_grads(plan_, module_, *params_, run, g);
  // Without RunOptions::gate_grads the adjoint may have skipped slots: no gate gradients to give.
  if (!gate_grads_)
    for (const PlanGate& gb : plan_.gates) grads.erase(gb.name);
  return grads;
}

void CudaExecutor::launch_backward() {
  const PackedRun& run = *run_;
  const int64_t n = plan_.n, bt = run.batch * run.steps;
  const int64_t parts = (run.batch + tile_ - 1) / tile_;
  delta_.reserve(static_cast<size_t>(std::max<int64_t>(bt * n, 1)));
  dr0_.reserve(static_cast<size_t>(std::max<int64_t>(run.batch * n, 1)));
  du_.reserve(static_cast<size_t>(std::max<int64_t>(bt * plan_.input_columns, 1)));
  dalpha_.zero(static_cast<size_t>(parts * n), stream_);
  dbias_.zero(static_cast<size_t>(parts * n), stream_);
  dgates_.zero(static_cast<size_t>(bt * plan_.gate_columns), stream_);
  dbank_.zero(static_cast<size_t>(plan_.m() * n * n), stream_);
  dw_in_.zero(static_cast<size_t>(n * plan_.input_columns), stream_);
  if (bt == 0) return;

  const Kernels* k = nullptr;
  for (auto& [tb, kk] : variants_)
    if (tb == tile_) k = &kk;
  CUdeviceptr bank = bank_.ptr(), gates = gates_.ptr(), w_in = w_in_.ptr(), alpha = alpha_.ptr(),
              r0 = r0_.ptr(), r = r_.ptr(), s = s_.ptr(), dr = dr_.ptr(), delta = delta_.ptr(),
              dr0 = dr0_.ptr(), dgates = dgates_.ptr(), du = du_.ptr(), dalpha = dalpha_.ptr(),
              dbias = dbias_.ptr(), u = u_.ptr(), dbank = dbank_.ptr(), dw_in = dw_in_.ptr(),
              z_save = z_save_.ptr(), dz_save = dz_save_.ptr();
  int b = static_cast<int>(run.batch), t = static_cast<int>(run.steps), gate_grads = gate_grads_;
  void* adj_args[] = {&bank,   &gates,  &w_in,    &alpha, &r0,        &r,      &s,
                      &dr,     &z_save, &dz_save, &delta, &dr0,       &dgates, &du,
                      &dalpha, &dbias,  &b,       &t,     &gate_grads};
  launch(k->adjoint, static_cast<unsigned>(parts), 1, 1, static_cast<unsigned>(shape_.threads),
         k->adjoint_smem, adj_args, "cuLaunchKernel(adjoint)");

  // Weight gradients: enough row splits to give every SM about two CTAs.
  const int64_t tile = KernelShape::kWeightGradTile;
  auto wgrad = [&](CUfunction f, int64_t q, int64_t slots, CUdeviceptr* outp, const char* what) {
    const int64_t gx = (n + tile - 1) / tile, gy = (q + tile - 1) / tile;
    const int64_t ctas = gx * gy * slots;
    int splits = static_cast<int>(std::clamp<int64_t>((2 * dev_.sm_count + ctas - 1) / ctas, 1,
                                                      std::max<int64_t>(1, bt / 64)));
    void* args[] = {&delta, &gates, &r0, &r, &z_save, &u, outp, &b, &t, &splits};
    launch(f, static_cast<unsigned>(gx), static_cast<unsigned>(gy),
           static_cast<unsigned>(slots * splits), KernelShape::kWeightGradThreads, 0, args, what);
  };
  if (plan_.m() > 0) wgrad(wgrad_bank_, n, plan_.m(), &dbank, "cuLaunchKernel(wgrad_bank)");
  if (plan_.input_columns > 0)
    wgrad(wgrad_input_, plan_.input_columns, 1, &dw_in, "cuLaunchKernel(wgrad_input)");
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

}  // namespace

namespace {
CudaExecutor& as_cuda(CellExecutor& e, const char* what) {
  auto* x = dynamic_cast<CudaExecutor*>(&e);
  if (!x) throw std::logic_error(std::string(what) + ": not a CUDA executor");
  return *x;
}
}  // namespace

const CellPlan& plan_of(CellExecutor& e) {
  return as_cuda(e, "plan_of").plan();
}

CUstream stream_of(CellExecutor& e) {
  return as_cuda(e, "stream_of").stream();
}

ResidentRun forward_resident(CellExecutor& e, const TensorMap* params, const TensorMap& inputs,
                             const RunOptions& opt) {
  return as_cuda(e, "forward_resident").forward_resident(params, inputs, opt);
}

ResidentRun backward_resident(CellExecutor& e) {
  return as_cuda(e, "backward_resident").backward_resident();
}

std::vector<float> download_dgates(CellExecutor& e) {
  return as_cuda(e, "download_dgates").download_dgates();
}

KernelTimes time_kernels(CellExecutor& e, int warmup, int reps) {
  CudaExecutor* x = &as_cuda(e, "time_kernels");
  const DriverApi& d = driver();
  CUevent start = nullptr, stop = nullptr;
  d.check(d.EventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate");
  d.check(d.EventCreate(&stop, CU_EVENT_DEFAULT), "cuEventCreate");
  auto time = [&](auto&& body) {
    std::vector<double> ms;
    for (int r = 0; r < warmup + reps; ++r) {
      d.check(d.EventRecord(start, x->stream()), "cuEventRecord");
      body();
      d.check(d.EventRecord(stop, x->stream()), "cuEventRecord");
      d.check(d.EventSynchronize(stop), "cuEventSynchronize");
      float t = 0;
      d.check(d.EventElapsedTime(&t, start, stop), "cuEventElapsedTime");
      if (r >= warmup) ms.push_back(t);
    }
    return median(ms);
  };
  KernelTimes out;
  out.tile = x->tile();
  out.forward_ms = time([&] { x->launch_forward(); });
  if (x->has_backward()) {
    out.backward_ms = time([&] { x->launch_backward(); });
    out.step_ms = time([&] {
      x->launch_forward();
      x->launch_backward();
    });
  }
  d.EventDestroy(start);
  d.EventDestroy(stop);
  return out;
}

}  // namespace rnnjit::cuda

namespace rnnjit {

std::unique_ptr<CellExecutor> make_cuda_executor(const ir::Module& m, const ExecutorConfig& cfg) {
  return std::make_unique<cuda::CudaExecutor>(m, cfg);
}

}  // namespace rnnjit
