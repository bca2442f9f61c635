// One spike-noise draw with its reparametrisation gradient (math/noise_math.hpp), as the
// backends call it: float32 (cpu and cuda kernels) and float64 (the reference and the VWM host
// loss), gamma at the shapes a = r lam the VWM meets (lam = 4 for k = 0.05, dt = 10 ms: rates from
// ~0 Hz at initialisation to 60 Hz saturated), and the Gaussian kinds for comparison. Reported: ns
// per draw (items_per_second inverted), over counters that change every draw.
//
//   ninja -C build rnnjit_bench_noise && ./build/bench/noise/rnnjit_bench_noise
#include <benchmark/benchmark.h>

#include "math/noise_math.hpp"

namespace {

using rnnjit::noise::NoiseKind;

template <class T>
void draws(benchmark::State& state, NoiseKind kind, double rate_hz) {
  const T factor = T(0.05), dt = T(10);
  unsigned i = 0;
  T sink = 0;
  for (auto _ : state) {
    T z, dz;
    rnnjit::noise::spike_noise<T>(kind, T(rate_hz), factor, dt, 0x5eedull,
                                  rnnjit::noise::kStreamRecurrent, 7u, i >> 8, i & 255u, &z, &dz);
    sink += z + dz;
    ++i;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
  state.counters["shape_a"] = rate_hz * (dt / 1000.0) / (0.05 * 0.05);
}

void register_all() {
  for (double rate : {0.0125, 0.25, 2.5, 10.0, 25.0, 60.0}) {
    benchmark::RegisterBenchmark(
        ("gamma_f32/rate_hz:" + std::to_string(rate)).c_str(),
        [rate](benchmark::State& s) { draws<float>(s, NoiseKind::Gamma, rate); });
    benchmark::RegisterBenchmark(
        ("gamma_f64/rate_hz:" + std::to_string(rate)).c_str(),
        [rate](benchmark::State& s) { draws<double>(s, NoiseKind::Gamma, rate); });
  }
  benchmark::RegisterBenchmark(
      "gauss_f32/rate_hz:10", [](benchmark::State& s) { draws<float>(s, NoiseKind::Gauss, 10.0); });
  benchmark::RegisterBenchmark("puregauss_f32/rate_hz:10", [](benchmark::State& s) {
    draws<float>(s, NoiseKind::PureGauss, 10.0);
  });
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
