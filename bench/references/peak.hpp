// The device's achievable fp32 rate, measured in the same run as the benchmark so the fraction of
// peak that rnnjit bench reports compares like with like (same machine load, same threads).
#pragma once

namespace rnnjit::bench {

// GFLOP/s of `threads` concurrent single-threaded Eigen float32 GEMMs (n x n times n x n, best of a
// few runs on each thread), summed.
double measure_cpu_sgemm_gflops(int threads, int n = 512);

// Threads the CPU JIT backend uses: RNNJIT_CPU_THREADS, else one per hardware thread.
int cpu_backend_threads();

}  // namespace rnnjit::bench
