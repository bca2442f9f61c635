// The CPU executor: lays the parameters out for the JIT kernels (compiler/cpu/cpu_abi.hpp), splits
// trials over the thread pool for the forward and adjoint recurrences and rows of the bank gradient
// for the weight-gradient reduction, and maps the results back to the spec's names.
#include <chrono>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>

#include "compiler/cpu/cpu_codegen.hpp"
#include "compiler/noise_kind.hpp"
#include "runtime/cpu/cpu_disk_cache.hpp"
#include "runtime/cpu/cpu_executor.hpp"
#include "runtime/cpu/cpu_prologue.hpp"
#include "runtime/cpu/flush_denormals.hpp"
#include "runtime/cpu/thread_pool.hpp"

namespace rnnjit {
namespace cpu {
namespace {

constexpr const char* kWhere = "cpu backend";

// 64-byte aligned, zero-initialised storage.
template <class E>
class Buf {
 public:
  Buf() = default;
  explicit Buf(size_t n) { resize(n); }
  void resize(size_t n) {
    p_.reset(static_cast<E*>(
        ::operator new[](std::max<size_t>(n, 1) * sizeof(E), std::align_val_t(64))));
    n_ = n;
    std::memset(p_.get(), 0, std::max<size_t>(n, 1) * sizeof(E));
  }
  E* data() { return p_.get(); }
  const E* data() const { return p_.get(); }
  size_t size() const { return n_; }
  E& operator[](size_t i) { return p_[i]; }
  const E& operator[](size_t i) const { return p_[i]; }

 private:
  struct Del {
    void operator()(E* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  std::unique_ptr<E[], Del> p_;
  size_t n_ = 0;
};

template <class E>
void copy_in(const Tensor& t, E* dst) {
  if (t.dtype() == DType::F32) {
    auto s = t.span<float>();
    for (size_t i = 0; i < s.size(); ++i) dst[i] = static_cast<E>(s[i]);
  } else {
    auto s = t.span<double>();
    for (size_t i = 0; i < s.size(); ++i) dst[i] = static_cast<E>(s[i]);
  }
}

template <class E>
constexpr DType dtype_of() {
  return sizeof(E) == 4 ? DType::F32 : DType::F64;
}

// Splits [0, total) into `parts` contiguous ranges whose bounds are multiples of `align`.
std::vector<std::pair<int64_t, int64_t>> split(int64_t total, int parts, int64_t align) {
  std::vector<std::pair<int64_t, int64_t>> out;
  const int64_t units = (total + align - 1) / align;
  parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(parts, units)));
  int64_t at = 0;
  for (int p = 0; p < parts; ++p) {
    const int64_t take = units / parts + (p < units % parts ? 1 : 0);
    const int64_t end = std::min(total, at + take * align);
    if (end > at) out.push_back({at, end});
    at = end;
  }
  return out;
}

template <class E>
class Runner {
 public:
  Runner(const ir::Module& m, std::shared_ptr<const CompiledCpuCell> k) : m_(m), k_(std::move(k)) {}

  Tensor forward(const TensorMap& params, const TensorMap& inputs, const RunOptions& opt);
  TensorMap backward(const Tensor& dr);

 private:
  std::vector<void*> args();
  E* scratch(int worker, int64_t rows);
  void ensure_workers(int n) {
    if (scratch_.size() < static_cast<size_t>(n)) scratch_.resize(static_cast<size_t>(n));
  }

  const ir::Module& m_;
  std::shared_ptr<const CompiledCpuCell> k_;
  bool have_run_ = false;
  int64_t B_ = 0, T_ = 0;
  ValueMap prologue_;
  Buf<E> wf_, wb_, bias_, alpha_, r0_, rout_, dsave_, phisave_, zsave_, dr_, delta_, dr0_, dalpha_,
      dbank_, dzsave_;
  CpuNoiseContext noise_;  // read by the forward kernel's host calls
  std::vector<Buf<E>> gates_, inputs_, dgates_, dinputs_;
  std::vector<Buf<E>> scratch_;
};

// Called from the pool's tasks: each worker touches only its own buffer; the vector of buffers is
// sized before the tasks start (ensure_workers).
template <class E>
E* Runner<E>::scratch(int worker, int64_t rows) {
  const size_t need = static_cast<size_t>(k_->layout.scratch_elems(rows));
  auto& s = scratch_[static_cast<size_t>(worker)];
  if (s.size() < need) s.resize(need);
  return s.data();
}

template <class E>
std::vector<void*> Runner<E>::args() {
  const CpuLayout& L = k_->layout;
  const int ng = static_cast<int>(k_->plan.gates.size()),
            ni = static_cast<int>(k_->plan.inputs.size());
  std::vector<void*> a(static_cast<size_t>(L.slot_count(ng, ni)), nullptr);
  a[kWf] = wf_.data();
  a[kWb] = wb_.data();
  a[kBias] = bias_.data();
  a[kAlpha] = alpha_.data();
  a[kR0] = r0_.data();
  a[kROut] = rout_.data();
  a[kDSave] = dsave_.data();
  a[kPhiSave] = phisave_.data();
  a[kZSave] = zsave_.data();
  a[kDr] = dr_.data();
  a[kDelta] = delta_.data();
  a[kDr0] = dr0_.data();
  a[kDalphaB] = dalpha_.data();
  a[kDBank] = dbank_.data();
  a[kDzSave] = dzsave_.data();
  a[kNoiseCtx] = &noise_;
  for (int g = 0; g < ng; ++g) {
    a[static_cast<size_t>(L.gate_slot(g))] = gates_[static_cast<size_t>(g)].data();
    a[static_cast<size_t>(L.dgate_slot(g, ng, ni))] =
        dgates_.empty() ? nullptr : dgates_[static_cast<size_t>(g)].data();
  }
  for (int q = 0; q < ni; ++q) {
    a[static_cast<size_t>(L.input_slot(q, ng))] = inputs_[static_cast<size_t>(q)].data();
    a[static_cast<size_t>(L.dinput_slot(q, ng, ni))] =
        dinputs_.empty() ? nullptr : dinputs_[static_cast<size_t>(q)].data();
  }
  return a;
}

template <class E>
Tensor Runner<E>::forward(const TensorMap& params, const TensorMap& inputs, const RunOptions& opt) {
  const CellPlan& P = k_->plan;
  const CpuLayout& L = k_->layout;
  const int64_t n = P.n, np = L.np;
  // Shapes first: B from r0, T from the gates / inputs (or opt.steps). Nothing changes on error.
  const Tensor& r0 = require(inputs, "r0", kWhere);
  if (r0.rank() != 2 || r0.dim(1) != n)
    throw ShapeError(std::string(kWhere) + ": tensor 'r0' has shape " + r0.shape_str() +
                     " but the module needs [B," + std::to_string(n) + "]");
  const int64_t B = r0.dim(0);
  int64_t T = -1;
  std::string t_from;
  auto take_t = [&](const std::string& name, int64_t width) -> const Tensor& {
    const Tensor& t = require(inputs, name, kWhere);
    if (t.rank() != 3 || t.dim(0) != B || t.dim(2) != width || (T >= 0 && t.dim(1) != T))
      throw ShapeError(std::string(kWhere) + ": tensor '" + name + "' has shape " + t.shape_str() +
                       " but the module needs " +
                       shape_str({B, T >= 0 ? T : (t.rank() == 3 ? t.dim(1) : -1), width}) +
                       (T >= 0 ? " (T=" + std::to_string(T) + " from '" + t_from + "')" : ""));
    if (T < 0) {
      T = t.dim(1);
      t_from = name;
    }
    return t;
  };
  std::vector<const Tensor*> gt, it;
  for (auto& g : P.gates) gt.push_back(&take_t(g.name, g.width));
  for (auto& in : P.inputs) it.push_back(&take_t(in.input, in.width));
  if (T < 0) T = opt.steps;
  if (T < 0)
    throw std::runtime_error(std::string(kWhere) +
                             ": no gate or input fixes T; set RunOptions::steps");
  ValueMap pro = run_prologue(m_, params);
  std::vector<std::vector<double>> win;
  for (auto& in : P.inputs) {
    const ir::Value* w = m_.find(in.weight, ir::Role::Param);
    const Tensor& t = require(params, in.weight, kWhere);
    check_shape(std::string(kWhere) + ": parameter '" + in.weight + "'", t, {n, in.width});
    std::vector<double> d(static_cast<size_t>(t.numel()));
    for (int64_t i = 0; i < t.numel(); ++i) d[static_cast<size_t>(i)] = t.at_f64(i);
    win.push_back(std::move(d));
    (void)w;
  }
  const Tensor* bias = nullptr;
  if (P.has_bias()) {
    bias = &require(params, P.bias, kWhere);
    check_shape(std::string(kWhere) + ": parameter '" + P.bias + "'", *bias, {n});
  }

  // Layouts of cpu_abi.hpp.
  B_ = B;
  T_ = T;
  prologue_ = std::move(pro);
  const int64_t M = L.m, kc = L.kcols;
  const int64_t ldf = L.ldf, ldb = L.ldb;
  wf_.resize(static_cast<size_t>(kc * ldf));
  wb_.resize(static_cast<size_t>(np * ldb));
  if (M > 0) {
    const auto& bank = prologue_.at(P.bank_value);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const E w = static_cast<E>(bank[static_cast<size_t>((m * n + i) * n + j)]);
          wf_[static_cast<size_t>((m * np + j) * ldf + i)] = w;
          wb_[static_cast<size_t>(i * ldb + m * np + j)] = w;
        }
  }
  for (size_t q = 0; q < P.inputs.size(); ++q) {
    const auto& in = P.inputs[q];
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < in.width; ++c) {
        const E w = static_cast<E>(win[q][static_cast<size_t>(i * in.width + c)]);
        wf_[static_cast<size_t>((M * np + in.offset + c) * ldf + i)] = w;
        wb_[static_cast<size_t>(i * ldb + M * np + in.offset + c)] = w;
      }
  }
  bias_.resize(static_cast<size_t>(np));
  if (bias)
    for (int64_t i = 0; i < n; ++i) bias_[static_cast<size_t>(i)] = static_cast<E>(bias->at_f64(i));
  alpha_.resize(static_cast<size_t>(np));
  if (P.alpha_vector) {
    const auto& a = prologue_.at(P.alpha_value);
    for (int64_t i = 0; i < n; ++i)
      alpha_[static_cast<size_t>(i)] = static_cast<E>(a[static_cast<size_t>(i)]);
  }
  r0_.resize(static_cast<size_t>(B * n));
  copy_in(r0, r0_.data());
  gates_.clear();
  for (auto* g : gt) {
    gates_.emplace_back(static_cast<size_t>(g->numel()));
    copy_in(*g, gates_.back().data());
  }
  inputs_.clear();
  for (auto* u : it) {
    inputs_.emplace_back(static_cast<size_t>(u->numel()));
    copy_in(*u, inputs_.back().data());
  }
  Tensor r(dtype_of<E>(), {B, T, n});
  const size_t btnp = static_cast<size_t>(B * T * np);
  rout_ = Buf<E>();
  dsave_.resize(btnp);
  zsave_.resize(btnp);
  phisave_.resize(P.alpha_vector ? btnp : 0);
  dzsave_.resize(P.has_noise() ? btnp : 0);
  noise_.kind = static_cast<int>(noise::to_noise_kind(P.noise));
  noise_.n = n;
  noise_.np = np;
  noise_.factor = P.noise_factor;
  noise_.dt = P.noise_dt;
  noise_.seed = opt.noise_seed;
  dgates_.clear();
  dinputs_.clear();

  std::vector<void*> a = args();
  a[kROut] = r.template data<E>();
  ThreadPool& pool = ThreadPool::shared();
  ensure_workers(pool.size());
  auto ranges = split(B, pool.size(), 1);
  pool.run(static_cast<int>(ranges.size()), [&](int task, int worker) {
    auto [b0, b1] = ranges[static_cast<size_t>(task)];
    const FlushDenormals ftz;
    k_->fwd(a.data(), b0, b1, B, T, scratch(worker, b1 - b0));
  });
  // r is kept for the gate gradients' z_t (saved separately in zsave) only through zsave.
  have_run_ = true;
  return r;
}

template <class E>
TensorMap Runner<E>::backward(const Tensor& dr) {
  if (!have_run_) throw std::logic_error(std::string(kWhere) + ": backward() before forward()");
  const CellPlan& P = k_->plan;
  const CpuLayout& L = k_->layout;
  const int64_t n = P.n, np = L.np, B = B_, T = T_, M = L.m;
  check_shape(std::string(kWhere) + ": cotangent 'dr'", dr, {B, T, n});
  dr_.resize(static_cast<size_t>(B * T * n));
  copy_in(dr, dr_.data());
  delta_.resize(static_cast<size_t>(B * T * np));
  dr0_.resize(static_cast<size_t>(B * n));
  dalpha_.resize(P.alpha_vector ? static_cast<size_t>(B * np) : 0);
  dbank_.resize(static_cast<size_t>(M * np * np));
  dgates_.clear();
  for (auto& g : P.gates) dgates_.emplace_back(static_cast<size_t>(B * T * g.width));
  dinputs_.clear();
  for (auto& in : P.inputs) dinputs_.emplace_back(static_cast<size_t>(B * T * in.width));

  std::vector<void*> a = args();
  ThreadPool& pool = ThreadPool::shared();
  ensure_workers(pool.size());
  auto ranges = split(B, pool.size(), 1);
  pool.run(static_cast<int>(ranges.size()), [&](int task, int worker) {
    auto [b0, b1] = ranges[static_cast<size_t>(task)];
    const FlushDenormals ftz;
    k_->bwd(a.data(), b0, b1, B, T, scratch(worker, b1 - b0));
  });
  if (M > 0) {
    auto rows = split(np, pool.size(), L.tp);
    pool.run(static_cast<int>(rows.size()), [&](int task, int worker) {
      auto [i0, i1] = rows[static_cast<size_t>(task)];
      const FlushDenormals ftz;
      k_->wgrad(a.data(), i0, i1, B, T, scratch(worker, 0));
    });
  }

  // Reductions over (b, t) that are O(B T N): bias, alpha, input weights.
  ValueMap grads;
  const int64_t R = B * T;
  if (M > 0) {
    std::vector<double> g(static_cast<size_t>(M * n * n));
    for (int64_t m = 0; m < M; ++m)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j)
          g[static_cast<size_t>((m * n + i) * n + j)] =
              dbank_[static_cast<size_t>((m * np + i) * np + j)];
    grads[P.bank_value] = std::move(g);
  }
  if (P.alpha_vector) {
    std::vector<double> g(static_cast<size_t>(n), 0.0);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < n; ++i)
        g[static_cast<size_t>(i)] += dalpha_[static_cast<size_t>(b * np + i)];
    grads[P.alpha_value] = std::move(g);
  }
  prologue_vjp(m_, prologue_, grads);

  TensorMap out;
  auto put = [&](const std::string& name, std::vector<int64_t> shape, const auto& fill) {
    Tensor t(dtype_of<E>(), std::move(shape));
    fill(t.template data<E>());
    out[name] = std::move(t);
  };
  for (auto& v : m_.values) {
    if (!((v.role == ir::Role::Param || v.role == ir::Role::Buffer) && v.learn)) continue;
    std::vector<int64_t> shape;
    for (auto& d : v.shape) shape.push_back(d.size);
    put(v.name, shape, [&](E* dst) {
      if (v.role == ir::Role::Param && P.has_bias() && v.name == P.bias) {
        std::vector<double> acc(static_cast<size_t>(np), 0.0);
        for (int64_t r = 0; r < R; ++r)
          for (int64_t i = 0; i < np; ++i)
            acc[static_cast<size_t>(i)] += delta_[static_cast<size_t>(r * np + i)];
        for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<E>(acc[static_cast<size_t>(i)]);
        return;
      }
      for (size_t q = 0; q < P.inputs.size(); ++q) {
        const auto& in = P.inputs[q];
        if (in.weight != v.name) continue;
        // dW_in[i][c] = scale * sum_r delta[r][i] u[r][c]
        std::vector<double> acc(static_cast<size_t>(n * in.width), 0.0);
        const E* u = inputs_[q].data();
        for (int64_t r = 0; r < R; ++r) {
          const E* d = delta_.data() + r * np;
          const E* ur = u + r * in.width;
          for (int64_t i = 0; i < n; ++i) {
            const double di = d[i];
            double* row = acc.data() + i * in.width;
            for (int64_t c = 0; c < in.width; ++c) row[c] += di * ur[c];
          }
        }
        for (int64_t k = 0; k < n * in.width; ++k)
          dst[k] += static_cast<E>(in.scale * acc[static_cast<size_t>(k)]);
      }
      if (auto it = grads.find(v.id); it != grads.end())
        for (size_t k = 0; k < it->second.size(); ++k) dst[k] += static_cast<E>(it->second[k]);
    });
  }
  put("r0", {B, n},
      [&](E* dst) { std::memcpy(dst, dr0_.data(), static_cast<size_t>(B * n) * sizeof(E)); });
  for (size_t g = 0; g < P.gates.size(); ++g)
    put(P.gates[g].name, {B, T, P.gates[g].width},
        [&](E* dst) { std::memcpy(dst, dgates_[g].data(), dgates_[g].size() * sizeof(E)); });
  for (size_t q = 0; q < P.inputs.size(); ++q) {
    const auto& in = P.inputs[q];
    if (!out.count(in.input)) out[in.input] = Tensor(dtype_of<E>(), {B, T, in.width});
    E* dst = out[in.input].template data<E>();
    for (size_t k = 0; k < dinputs_[q].size(); ++k) dst[k] += dinputs_[q][k];
  }
  return out;
}

class CpuExecutor final : public CellExecutor {
 public:
  CpuExecutor(const ir::Module& m, const ExecutorConfig& cfg) : m_(m) {
    ir::verify(m_);
    bool hit = false;
    kernels_ = compile_cpu_cell(m_, cfg.precision, &hit, &DiskObjectStore::shared());
    compile_s_ = hit ? 0.0 : kernels_->compile_seconds;
    const char* from = hit ? "from the in-memory cache"
                       : kernels_->origin == CpuCellOrigin::ObjectStore
                           ? "loaded from the disk cache"
                           : "JIT-compiled";
    if (cfg.verbose)
      std::fprintf(stderr, "rnnjit: cpu kernels for @%s %s (%.3f s)\n", m_.name.c_str(), from,
                   compile_s_);
    if (kernels_->fp64)
      f64_ = std::make_unique<Runner<double>>(m_, kernels_);
    else
      f32_ = std::make_unique<Runner<float>>(m_, kernels_);
  }
  std::string backend() const override { return "cpu"; }
  std::string device() const override {
    return host_cpu_description() + ", " + std::to_string(ThreadPool::shared().size()) + " threads";
  }
  DType dtype() const override { return kernels_->fp64 ? DType::F64 : DType::F32; }
  double compile_seconds() const override { return compile_s_; }
  Tensor forward(const TensorMap& params, const TensorMap& inputs, const RunOptions& opt) override {
    return f64_ ? f64_->forward(params, inputs, opt) : f32_->forward(params, inputs, opt);
  }
  TensorMap backward(const Tensor& dr) override {
    return f64_ ? f64_->backward(dr) : f32_->backward(dr);
  }

 private:
  ir::Module m_;
  std::shared_ptr<const CompiledCpuCell> kernels_;
  double compile_s_ = 0.0;
  std::unique_ptr<Runner<float>> f32_;
  std::unique_ptr<Runner<double>> f64_;
};

}  // namespace
}  // namespace cpu

std::unique_ptr<CellExecutor> make_cpu_executor(const ir::Module& m, const ExecutorConfig& cfg) {
  return std::make_unique<cpu::CpuExecutor>(m, cfg);
}

}  // namespace rnnjit
