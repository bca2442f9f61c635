// Google Benchmark suite of the seed's README tables (issue 7): for every sweep point of
// bench/references/bench_problem.hpp (B=256, K=3, T=20 with N swept; N=256 with T, B or K swept),
// a forward pass and a training step (forward + adjoint + weight gradients) of
//   - the JIT backend (cuda when a device answers, else the LLVM CPU JIT), and
//   - the eager reference of the same device (eager-gpu: cuBLAS + one kernel per op; eager-cpu:
//     Eigen, one thread),
// with counters GFLOP/s (forward 2 B T N^2 M, training step 3x) and frac_of_peak (against an SGEMM
// measured at start-up: cuBLAS 4096^3 on the GPU, one Eigen 512^3 per JIT thread on the CPU).
// On the GPU the times are CUDA-event device times on resident data (manual time), as rnnjit bench
// reports them; on the CPU, wall time of the synchronous calls.
//
//   ninja -C build rnnjit_bench_tables
//   build/bench/tables/rnnjit_bench_tables [--spec SPEC] [--backend auto|cpu|cuda] [--quick]
//       [--benchmark_filter=REGEX] [--benchmark_format=json] ...
// Names: <backend>/<forward|train>/<table>/B<b>_N<n>_K<k>_T<t>, e.g.
// cuda/train/neurons/B256_N512_K3_T20.
// --quick runs every benchmark for exactly one iteration (the CI smoke test).
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/references/bench_problem.hpp"
#include "bench/references/eager_cpu.hpp"
#include "bench/references/peak.hpp"
#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/executor.hpp"
#include "runtime/core/params.hpp"
#ifdef RNNJIT_HAVE_EAGER_GPU
#include "bench/references/eager_gpu.hpp"
#include "bench/references/eager_ops.hpp"
#include "runtime/cuda/cuda_executor.hpp"
#endif

namespace {

using namespace rnnjit;
using bench::SweepPoint;

struct Case {
  ModelSpec spec;
  SweepPoint pt;
  bool train = false;
  bool eager = false;
  std::string backend;  // cpu | cuda
  double flops = 0, peak_gflops = 0;
};

struct Problem {
  ir::Module module;
  TensorMap params, inputs;
  Tensor dr;
};

Problem make_problem(const Case& c) {
  const ModelSpec spec = bench::spec_at(c.spec, c.pt);
  Problem p{compile_module(spec), {}, {}, Tensor()};
  for (auto& [k, v] : init_params(spec, p.module, 1)) p.params[k] = v.to(DType::F32);
  std::mt19937_64 rng(1 + static_cast<uint64_t>(c.pt.neurons * 7 + c.pt.batch * 13 +
                                                c.pt.steps * 17 + c.pt.gates * 19));
  p.inputs = bench::make_bench_inputs(spec, c.pt.batch, c.pt.steps, rng);
  p.dr = bench::bench_cotangent(c.pt.batch, c.pt.steps, c.pt.neurons, rng);
  return p;
}

void set_counters(benchmark::State& st, const Case& c) {
  st.counters["GFLOP/s"] =
      benchmark::Counter(c.flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (c.peak_gflops > 0)
    st.counters["frac_of_peak"] = benchmark::Counter(c.flops * 1e-9 / c.peak_gflops,
                                                     benchmark::Counter::kIsIterationInvariantRate);
}

void run_case(benchmark::State& st, const Case& c) {
  const Problem p = make_problem(c);
  std::unique_ptr<CellExecutor> ex;
#ifdef RNNJIT_HAVE_EAGER_GPU
  std::unique_ptr<bench::EagerGpuReference> eager_gpu;
#endif
  if (c.eager && c.backend == "cpu") {
    ex = bench::make_eager_cpu_reference(p.module, 1);
#ifdef RNNJIT_HAVE_EAGER_GPU
  } else if (c.eager) {
    eager_gpu = bench::make_eager_gpu_reference(p.module);
#endif
  } else {
    ExecutorConfig cfg;
    cfg.backend = c.backend;
    ex = make_executor(p.module, cfg);
  }
  if (c.backend == "cuda") {
#ifdef RNNJIT_HAVE_EAGER_GPU
    CellExecutor& e = eager_gpu ? static_cast<CellExecutor&>(*eager_gpu) : *ex;
    e.forward(p.params, p.inputs);
    if (c.train) e.backward(p.dr);
    for (auto _ : st) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop idiom
      double ms = 0;
      if (eager_gpu) {
        ms = eager_gpu->time_device_ms(c.train, 0, 1);
      } else {
        const cuda::KernelTimes kt = cuda::time_kernels(*ex, 0, 1);
        ms = c.train ? kt.step_ms : kt.forward_ms;
      }
      st.SetIterationTime(ms * 1e-3);
    }
    st.SetLabel(e.device());
#endif
  } else {
    for (auto _ : st) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop idiom
      Tensor r = ex->forward(p.params, p.inputs);
      benchmark::DoNotOptimize(r.raw());
      if (c.train) {
        TensorMap g = ex->backward(p.dr);
        benchmark::DoNotOptimize(g.size());
      }
    }
    st.SetLabel(ex->device());
  }
  set_counters(st, c);
}

std::string take_flag(int& argc, char** argv, const char* name, const std::string& fallback) {
  const std::string prefix = std::string(name) + "=";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    std::string value;
    int used = 0;
    if (a.rfind(prefix, 0) == 0) {
      value = a.substr(prefix.size());
      used = 1;
    } else if (a == name && i + 1 < argc) {
      value = argv[i + 1];
      used = 2;
    } else if (a == name) {
      value = "1";
      used = 1;
    }
    if (used) {
      for (int j = i; j + used < argc; ++j) argv[j] = argv[j + used];
      argc -= used;
      return value;
    }
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::string spec_path =
      take_flag(argc, argv, "--spec", std::string(RNNJIT_SOURCE_DIR) + "/examples/ring.yaml");
  std::string backend = take_flag(argc, argv, "--backend", "auto");
  const bool quick = take_flag(argc, argv, "--quick", "") == "1";
  if (argc > 1) {
    fmt::print(stderr, "rnnjit_bench_tables: unknown argument '{}'\n", argv[1]);
    return 2;
  }
  if (backend != "auto" && backend != "cpu" && backend != "cuda") {
    fmt::print(stderr, "rnnjit_bench_tables: --backend must be auto, cpu or cuda, not '{}'\n",
               backend);
    return 2;
  }
  // The spec first: a bad path or field is reported before any measuring.
  ModelSpec spec;
  try {
    spec = parse_spec_file(spec_path);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 2;
  }
  if (backend == "auto") backend = cuda_device_available() ? "cuda" : "cpu";
  if (backend == "cpu" && !have_llvm_backend()) {
    fmt::print("SKIPPED: built without the LLVM CPU backend and no CUDA device\n");
    return 0;
  }
  if (backend == "cuda" && !cuda_device_available()) {
    fmt::print("SKIPPED: no CUDA device\n");
    return 0;
  }
#ifndef RNNJIT_HAVE_EAGER_GPU
  if (backend == "cuda") {
    fmt::print(stderr, "rnnjit_bench_tables: built without the CUDA backend\n");
    return 2;
  }
#endif
  double peak = 0;
  if (backend == "cpu") {
    peak = bench::measure_cpu_sgemm_gflops(bench::cpu_backend_threads());
  } else {
#ifdef RNNJIT_HAVE_EAGER_GPU
    peak = bench::measure_cuda_sgemm_gflops(4096);
#endif
  }
  benchmark::AddCustomContext("fp32_peak_gflops", fmt::format("{:.1f}", peak));
  benchmark::AddCustomContext("spec", spec_path);

  for (const bool train : {false, true})
    for (const SweepPoint& pt : bench::seed_table_points(!spec.gates.empty()))
      for (const bool eager : {false, true}) {
        Case c;
        c.spec = spec;
        c.pt = pt;
        c.train = train;
        c.eager = eager;
        c.backend = backend;
        const int64_t bank = bench::bank_size(compile_module(bench::spec_at(spec, pt)));
        c.flops = bench::forward_flops(pt, bank) * (train ? 3.0 : 1.0);
        c.peak_gflops = peak;
        const std::string who = eager ? (backend == "cuda" ? "eager-gpu" : "eager-cpu") : backend;
        const std::string name =
            fmt::format("{}/{}/{}/B{}_N{}_K{}_T{}", who, train ? "train" : "forward", pt.table,
                        pt.batch, pt.neurons, pt.gates, pt.steps);
        auto* b = benchmark::RegisterBenchmark(name.c_str(),
                                               [c](benchmark::State& st) { run_case(st, c); });
        b->Unit(benchmark::kMillisecond);
        // CUDA events on the GPU; wall time on the CPU (the JIT's thread pool works beside the
        // main thread, whose CPU time would understate the run).
        if (backend == "cuda")
          b->UseManualTime();
        else
          b->UseRealTime();
        if (quick) b->Iterations(1);
      }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
