// Measured fp32 peak: an Eigen SGEMM timed with a steady clock (see peak.hpp).
#include "bench/references/peak.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

namespace rnnjit::bench {

int cpu_backend_threads() {
  if (const char* env = std::getenv("RNNJIT_CPU_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

namespace {

// Seconds of the fastest of several n^3 SGEMMs on this thread (the least disturbed run on a shared
// machine).
double best_sgemm_seconds(int n) {
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf c(n, n);
  double best = 1e30;
  for (int rep = 0; rep < 6; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    c.noalias() = a * b;
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  volatile float sink = c(0, 0);  // keep the product alive
  (void)sink;
  return best;
}

}  // namespace

double measure_cpu_sgemm_gflops(int threads, int n) {
  // One single-threaded SGEMM per thread, all at once: the rate `threads` cores reach together.
  std::vector<double> seconds(static_cast<size_t>(std::max(1, threads)));
  std::vector<std::thread> pool;
  for (size_t i = 0; i < seconds.size(); ++i)
    pool.emplace_back([&, i] { seconds[i] = best_sgemm_seconds(n); });
  for (auto& t : pool) t.join();
  double total = 0;
  for (double s : seconds) total += 2.0 * n * n * n / s * 1e-9;
  return total;
}

}  // namespace rnnjit::bench
