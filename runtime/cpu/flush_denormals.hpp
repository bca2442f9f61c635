// Flush-to-zero and denormals-are-zero for the duration of a scope, on the calling thread.
//
// Why: float32 values below 1.2e-38 (subnormals) cost a microcode assist per operation on x86. They
// appear in real runs: with a strong uniform inhibition the pre-activations reach s ~ -13 and
// gelu'(s) ~ exp(-s^2/2) underflows, so the adjoint and weight-gradient kernels spent 1.9 s (1374 +
// 529 ms) of a 2034 ms training step at B=256, N=512, T=20, against 122 ms for the whole step
// flushed (bench/README.md, "Subnormals", 2026-11-30). Flushing them changes
// results only below 1.2e-38 (2.2e-308 in float64), far under every tolerance, and is what GPUs do
// in their fast paths. The previous MXCSR is restored, so code that embeds the runtime is
// unaffected.
#pragma once

#if defined(__x86_64__) || defined(_M_X64) || defined(__SSE__)
#include <xmmintrin.h>
#define RNNJIT_HAVE_MXCSR 1
#endif

namespace rnnjit::cpu {

class FlushDenormals {
 public:
  FlushDenormals() {
#ifdef RNNJIT_HAVE_MXCSR
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | kFtz | kDaz);
#endif
  }
  ~FlushDenormals() {
#ifdef RNNJIT_HAVE_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
#ifdef RNNJIT_HAVE_MXCSR
  static constexpr unsigned kFtz = 0x8000;  // results that would be subnormal become 0
  static constexpr unsigned kDaz = 0x0040;  // subnormal inputs are read as 0
  unsigned saved_ = 0;
#endif
};

}  // namespace rnnjit::cpu
