// CPU backend benchmark: a forward pass and a training step (forward + adjoint + weight gradients)
// of the ring cell (uniform + dense Wo + K gated matrices, gelu, alpha 0.15) at B=64, N=256, K=3,
// T=100 on
//   - the LLVM ORC JIT backend (this repository, float32, all cores),
//   - the float64 reference interpreter,
//   - a straightforward float32 Eigen implementation of the same recurrence (per-step matrix
//     products, what a careful C++ user would write)
// (single-threaded: compare with RNNJIT_CPU_THREADS=1 for equal cores),
// plus an Eigen SGEMM of the same total work ([B*T x N] x [N x (K+1)N]) as the machine's achievable
// peak. Counters: GFLOP/s with forward flops = 2 B T N^2 (K+1), a training step ~3x that.
//
//   ninja -C build-cpu rnnjit_bench_cpu && ./build-cpu/bench/cpu/rnnjit_bench_cpu
#include <benchmark/benchmark.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>

#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/cpu/flush_denormals.hpp"

namespace {

using namespace rnnjit;
using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr int64_t kB = 64, kN = 256, kK = 3, kT = 100;
constexpr double kAlpha = 0.15, kUniform = -0.1, kScale = 0.1;

double fwd_flops() {
  return 2.0 * kB * kT * kN * kN * (kK + 1);
}
double train_flops() {
  return 3.0 * fwd_flops();
}

ModelSpec ring_spec() {
  ModelSpec s;
  s.name = "ring_bench";
  s.neurons = kN;
  s.activation.kind = ir::Activation::Gelu;
  s.leak.alpha = kAlpha;
  s.gates.push_back({"actions", kK, {}});
  RecurrentTerm u;
  u.kind = TermKind::Uniform;
  u.value = kUniform;
  RecurrentTerm wo;
  wo.kind = TermKind::Dense;
  wo.name = "Wo";
  wo.scale = kScale;
  wo.learn = true;
  RecurrentTerm wa;
  wa.kind = TermKind::Gated;
  wa.name = "Wa";
  wa.gated_by = "actions";
  wa.learn = true;
  s.recurrent = {u, wo, wa};
  return s;
}

struct Problem {
  TensorMap params, inputs;
  Tensor dr;
  Problem() {
    std::mt19937_64 rng(7);
    std::normal_distribution<float> g(0.0f, 1.0f / std::sqrt(float(kN)));
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    auto fill = [&](std::vector<int64_t> shape, auto& dist) {
      Tensor t(DType::F32, std::move(shape));
      for (auto& x : t.span<float>()) x = dist(rng);
      return t;
    };
    params["Wo"] = fill({kN, kN}, g);
    params["Wa"] = fill({kK, kN, kN}, g);
    inputs["r0"] = fill({kB, kN}, u);
    inputs["actions"] = fill({kB, kT, kK}, u);
    dr = fill({kB, kT, kN}, g);
  }
};

const Problem& problem() {
  static Problem p;
  return p;
}

void set_counters(benchmark::State& st, double flops) {
  st.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void run_backend(benchmark::State& st, const std::string& backend, bool train) {
  const ir::Module m = compile_module(ring_spec());
  ExecutorConfig cfg;
  cfg.backend = backend;
  auto ex = make_executor(m, cfg);
  const Problem& p = problem();
  for (auto _ : st) {
    Tensor r = ex->forward(p.params, p.inputs);
    benchmark::DoNotOptimize(r.raw());
    if (train) {
      TensorMap g = ex->backward(p.dr);
      benchmark::DoNotOptimize(g.size());
    }
  }
  st.counters["jit_s"] = ex->compile_seconds();
  set_counters(st, train ? train_flops() : fwd_flops());
  st.SetLabel(ex->device());
}

void BM_CpuJitForward(benchmark::State& st) {
  run_backend(st, "cpu", false);
}
void BM_CpuJitTrainStep(benchmark::State& st) {
  run_backend(st, "cpu", true);
}
void BM_ReferenceF64Forward(benchmark::State& st) {
  run_backend(st, "reference", false);
}
void BM_ReferenceF64TrainStep(benchmark::State& st) {
  run_backend(st, "reference", true);
}

// ---- the straightforward Eigen float32 implementation ----
struct EigenRing {
  Mat wo, wa[kK];  // [N,N] each, row i = postsynaptic
  Mat gates[kK];   // [T,B]: gate k at step t for every trial
  Mat r0;
  std::vector<Mat> r, s;  // r[t] = r_t (t = 0..T), s[t-1] = s_t
  Mat e;                  // dr as [B*T, N]
  EigenRing() {
    const Problem& p = problem();
    wo = Eigen::Map<const Mat>(p.params.at("Wo").data<float>(), kN, kN);
    for (int k = 0; k < kK; ++k) {
      wa[k] = Eigen::Map<const Mat>(p.params.at("Wa").data<float>() + k * kN * kN, kN, kN);
      gates[k].resize(kT, kB);
      for (int64_t b = 0; b < kB; ++b)
        for (int64_t t = 0; t < kT; ++t)
          gates[k](t, b) = p.inputs.at("actions").data<float>()[(b * kT + t) * kK + k];
    }
    r0 = Eigen::Map<const Mat>(p.inputs.at("r0").data<float>(), kB, kN);
    e = Eigen::Map<const Mat>(p.dr.data<float>(), kB * kT, kN);
  }
  static float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678f)); }
  static float dgelu(float x) {
    return 0.5f * (1.0f + std::erf(x * 0.70710678f)) + x * 0.39894228f * std::exp(-0.5f * x * x);
  }
  void forward() {
    r.assign(kT + 1, Mat());
    s.assign(kT, Mat());
    r[0] = r0;
    for (int64_t t = 0; t < kT; ++t) {
      const Mat& z = r[static_cast<size_t>(t)];
      Mat st = kScale * (z * wo.transpose());
      for (int k = 0; k < kK; ++k)
        st += gates[k].row(t).transpose().asDiagonal() * (z * wa[k].transpose());
      st.colwise() += kUniform * z.rowwise().sum();
      Mat phi = st.unaryExpr(&gelu);
      r[static_cast<size_t>(t + 1)] = (1.0f - kAlpha) * z + kAlpha * phi;
      s[static_cast<size_t>(t)] = std::move(st);
    }
  }
  void backward(Mat& dwo, Mat* dwa, Mat& dgate, Mat& dr0) {
    dwo.setZero(kN, kN);
    for (int k = 0; k < kK; ++k) dwa[k].setZero(kN, kN);
    dgate.setZero(kT, kB * kK);
    Mat carry = Mat::Zero(kB, kN);
    for (int64_t t = kT - 1; t >= 0; --t) {
      Mat lam = carry;
      for (int64_t b = 0; b < kB; ++b) lam.row(b) += e.row(b * kT + t);
      const Mat& z = r[static_cast<size_t>(t)];
      Mat delta =
          (kAlpha * s[static_cast<size_t>(t)].unaryExpr(&dgelu).array() * lam.array()).matrix();
      Mat zeta = kScale * (delta * wo);
      dwo.noalias() += kScale * (delta.transpose() * z);
      for (int k = 0; k < kK; ++k) {
        Mat dk = delta * wa[k];
        dgate.block(t, k * kB, 1, kB) = (dk.array() * z.array()).rowwise().sum().transpose();
        zeta += gates[k].row(t).transpose().asDiagonal() * dk;
        dwa[k].noalias() += (gates[k].row(t).transpose().asDiagonal() * delta).transpose() * z;
      }
      zeta.colwise() += kUniform * delta.rowwise().sum();
      carry = (1.0f - kAlpha) * lam + zeta;
    }
    dr0 = carry;
  }
};

// The Eigen implementation runs with subnormals flushed too (runtime/cpu/flush_denormals.hpp), as
// the JIT backend does, so the comparison is of the kernels, not of a floating-point mode.
void BM_EigenF32Forward(benchmark::State& st) {
  EigenRing e;
  const cpu::FlushDenormals ftz;
  for (auto _ : st) {
    e.forward();
    benchmark::DoNotOptimize(e.r.back().data());
  }
  set_counters(st, fwd_flops());
  st.SetLabel("Eigen threads " + std::to_string(Eigen::nbThreads()));
}

void BM_EigenF32TrainStep(benchmark::State& st) {
  EigenRing e;
  Mat dwo, dwa[kK], dgate, dr0;
  const cpu::FlushDenormals ftz;
  for (auto _ : st) {
    e.forward();
    e.backward(dwo, dwa, dgate, dr0);
    benchmark::DoNotOptimize(dwo.data());
  }
  set_counters(st, train_flops());
  st.SetLabel("Eigen threads " + std::to_string(Eigen::nbThreads()));
}

// The machine's achievable fp32 rate, measured the same way: one SGEMM with the forward pass's
// total work, [B*T, N] x [N, (K+1) N].
void BM_EigenSgemmPeak(benchmark::State& st) {
  Mat a = Mat::Random(kB * kT, kN), b = Mat::Random(kN, (kK + 1) * kN), c((kB * kT), (kK + 1) * kN);
  for (auto _ : st) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  set_counters(st, fwd_flops());
  st.SetLabel("Eigen threads " + std::to_string(Eigen::nbThreads()));
}

BENCHMARK(BM_CpuJitForward)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_CpuJitTrainStep)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_EigenF32Forward)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_EigenF32TrainStep)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_EigenSgemmPeak)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_ReferenceF64Forward)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_ReferenceF64TrainStep)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
