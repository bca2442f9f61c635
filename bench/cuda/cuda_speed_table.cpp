// The speed table of issue 3: the ring-attractor cell (uniform J0, dense Wo, gated bank Wa with
// K = 3 channels: bank M = 4) at B = 256, T = 20, N in {128, 256, 512, 1024}, fp32 exact mode.
// Prints per shape: JIT seconds (code generation + NVRTC or cache + module load, excluded from the
// timings), forward ms, adjoint + weight-gradient ms, full training step ms (median of --reps runs
// after --warmup runs, CUDA events), and the targets (seed / 5, and step < 1 ms at N =
// 256). Without a device it prints "SKIPPED: no CUDA device" and exits 0.
//   usage: rnnjit_bench_cuda [--reps 100] [--warmup 10] [--batch 256] [--steps 20] [--n 128,256]
#include <fmt/core.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>

#include "runtime/backends/backends.hpp"
#include "runtime/cuda/cuda_executor.hpp"
#include "tests/cuda/cuda_test_specs.hpp"

int main(int argc, char** argv) {
  using namespace rnnjit;
  int reps = 100, warmup = 10;
  int64_t batch = 256, steps = 20;
  std::vector<int64_t> sizes{128, 256, 512, 1024};
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a], v = argv[a + 1];
    if (k == "--reps")
      reps = std::atoi(v.c_str());
    else if (k == "--warmup")
      warmup = std::atoi(v.c_str());
    else if (k == "--batch")
      batch = std::atoll(v.c_str());
    else if (k == "--steps")
      steps = std::atoll(v.c_str());
    else if (k == "--n") {
      sizes.clear();
      std::stringstream ss(v);
      for (std::string item; std::getline(ss, item, ',');)
        sizes.push_back(std::atoll(item.c_str()));
    } else {
      fmt::print(stderr, "unknown option {}\n", k);
      return 2;
    }
  }
  std::string why;
  if (!cuda_probe_device(&why)) {
    fmt::print("SKIPPED: no CUDA device ({})\n", why);
    return 0;
  }
  const double seed_ms[] = {0.63, 1.46, 4.45,
                            15.5};  // the seed's forward on an H100, N = 128..1024
  fmt::print("B={} T={} K=3 (bank M=4), fp32, median of {} after {} warm-up\n", batch, steps, reps,
             warmup);
  fmt::print("{:>6} {:>8} {:>5} {:>11} {:>12} {:>10} {:>14} {:>9}\n", "N", "jit_s", "TB",
             "forward_ms", "backward_ms", "step_ms", "fwd_target_ms", "fwd_ok");
  for (int64_t n : sizes) {
    cuda_test::SpecOptions o;
    o.n = n, o.k = 3, o.act = ir::Activation::Relu;
    const ir::Module m = cuda_test::make_module(o);
    std::mt19937_64 rng(42);
    const TensorMap params = cuda_test::random_params(m, o.act, rng);
    const TensorMap inputs = cuda_test::random_inputs(m, batch, steps, rng);
    const Tensor dr = cuda_test::random_cotangent(batch, steps, n, rng);
    ExecutorConfig cfg;
    cfg.backend = "cuda";
    auto e = make_cuda_executor(m, cfg);
    e->forward(params, inputs);
    e->backward(dr);
    const cuda::KernelTimes t = cuda::time_kernels(*e, warmup, reps);
    double target = -1;
    for (int s = 0; s < 4; ++s)
      if (n == int64_t{128} << s && batch == 256 && steps == 20) target = seed_ms[s] / 5;
    fmt::print("{:>6} {:>8.3f} {:>5} {:>11.4f} {:>12.4f} {:>10.4f} {:>14} {:>9}\n", n,
               e->compile_seconds(), t.tile, t.forward_ms, t.backward_ms, t.step_ms,
               target > 0 ? fmt::format("{:.3f}", target) : "-",
               target > 0 ? (t.forward_ms <= target ? "yes" : "NO") : "-");
    if (n == 256 && batch == 256 && steps == 20)
      fmt::print("       training step at N=256: {:.4f} ms (target < 1 ms: {})\n", t.step_ms,
                 t.step_ms < 1.0 ? "yes" : "NO");
  }
  return 0;
}
