// A CUDA emulator for running the real kernel text of templates/ on the CPU in CI, where there is
// no GPU: every CUDA thread is a std::thread, a block's threads meet at std::barrier for
// __syncthreads, a warp's at another for the shuffles, __shared__ becomes static (blocks run one
// after another), atomicAdd an atomic_ref. Slow (a thread per CUDA thread) but faithful to what the
// kernels' index math, barriers and warp reductions compute: it catches the bugs a host rewrite of
// a kernel (tests/cuda/kernel_emulation.cpp) cannot, those in the CUDA text itself.
//
// Use: force-include this header when compiling a kernel source as C++ (the test builds a shared
// object from the generated source at run time), after replacing each
// `extern __shared__ T name[];` with `T* name = reinterpret_cast<T*>(rnnjit_emu_dynamic_smem());`.
// Kernel entries are then plain extern "C" functions; rnnjit_emu_launch runs one on a grid.
// Early-exiting threads drop out of later barriers (arrive_and_drop), as exited threads do on a
// GPU.
#pragma once

#include <math.h>

#include <atomic>
#include <barrier>
#include <cstddef>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
#define __constant__
#define __launch_bounds__(...)

struct dim3 {
  unsigned x = 0, y = 0, z = 0;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
struct alignas(8) float2 {
  float x, y;
};

inline thread_local dim3 threadIdx;
inline dim3 blockIdx, blockDim, gridDim;

namespace rnnjit_emu {

struct Warp {
  explicit Warp(int lanes) : bar(lanes) {}
  std::barrier<> bar;
  unsigned long long slot[32] = {};
};
struct BlockState {
  std::unique_ptr<std::barrier<>> block;
  std::atomic<int> vote[2] = {0, 0};  // __syncthreads_or, alternating between calls
  std::vector<std::unique_ptr<Warp>> warps;
  std::vector<unsigned char> smem;
};
inline BlockState& state() {
  static BlockState s;
  return s;
}

template <class V>
V exchange(V v, unsigned src_of_lane(unsigned lane, int arg), int arg) {
  static_assert(sizeof(V) <= 8, "shuffles move at most 8 bytes");
  const unsigned t = threadIdx.x, lane = t & 31;
  Warp& w = *state().warps[t >> 5];
  std::memcpy(&w.slot[lane], &v, sizeof(V));
  w.bar.arrive_and_wait();
  V out;
  const unsigned src = src_of_lane(lane, arg);
  std::memcpy(&out, &w.slot[src < 32 ? src : lane], sizeof(V));
  w.bar.arrive_and_wait();
  return out;
}

}  // namespace rnnjit_emu

inline void* rnnjit_emu_dynamic_smem() {
  return rnnjit_emu::state().smem.data();
}
inline void __syncthreads() {
  rnnjit_emu::state().block->arrive_and_wait();
}
// Every thread of the block calls it the same number of times, so a per-thread call count picks
// the same slot in all; thread 0 clears it after everyone has read it, two calls before its reuse.
inline int __syncthreads_or(int predicate) {
  static thread_local unsigned calls = 0;
  rnnjit_emu::BlockState& s = rnnjit_emu::state();
  std::atomic<int>& slot = s.vote[calls++ % 2];
  if (predicate) slot.store(1);
  s.block->arrive_and_wait();
  const int any = slot.load();
  s.block->arrive_and_wait();
  if (threadIdx.x == 0) slot.store(0);
  return any;
}
template <class V>
V __shfl_xor_sync(unsigned, V v, int mask) {
  return rnnjit_emu::exchange(
      v, [](unsigned l, int m) { return l ^ static_cast<unsigned>(m); }, mask);
}
template <class V>
V __shfl_down_sync(unsigned, V v, int delta) {
  return rnnjit_emu::exchange(
      v, [](unsigned l, int d) { return l + static_cast<unsigned>(d); }, delta);
}
template <class V>
V __shfl_sync(unsigned, V v, int src) {
  return rnnjit_emu::exchange(
      v, [](unsigned, int s) { return static_cast<unsigned>(s & 31); }, src);
}
template <class V>
V __ldg(const V* p) {
  return *p;
}
inline float atomicAdd(float* p, float v) {
  return std::atomic_ref<float>(*p).fetch_add(v);
}
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  return std::atomic_ref<unsigned long long>(*p).fetch_add(v);
}
template <class A, class B>
inline auto min(A a, B b) {
  return a < b ? a : b;
}
template <class A, class B>
inline auto max(A a, B b) {
  return a < b ? b : a;
}

// Runs body(ctx) as every thread of a (gx, gy, gz) grid of `threads`-thread blocks, block after
// block, with `smem_bytes` of dynamic shared memory per block filled with 0xFF bytes (NaN floats),
// so a read of an unwritten element shows. (Static __shared__ arrays keep the previous block's
// values.)
extern "C" __attribute__((used)) void rnnjit_emu_launch(unsigned gx, unsigned gy, unsigned gz,
                                                        unsigned threads, size_t smem_bytes,
                                                        void (*body)(void*), void* ctx) {
  rnnjit_emu::BlockState& s = rnnjit_emu::state();
  gridDim = {gx, gy, gz};
  blockDim = {threads, 1, 1};
  for (unsigned z = 0; z < gz; ++z)
    for (unsigned y = 0; y < gy; ++y)
      for (unsigned x = 0; x < gx; ++x) {
        blockIdx = {x, y, z};
        s.block = std::make_unique<std::barrier<>>(static_cast<std::ptrdiff_t>(threads));
        s.warps.clear();
        for (unsigned w = 0; w < (threads + 31) / 32; ++w)
          s.warps.push_back(std::make_unique<rnnjit_emu::Warp>(
              static_cast<int>(threads - 32 * w < 32 ? threads - 32 * w : 32)));
        s.vote[0] = 0, s.vote[1] = 0;
        s.smem.assign(smem_bytes + 16, 0xFF);  // NaN floats: unwritten reads show
        std::vector<std::thread> pool;
        pool.reserve(threads);
        for (unsigned t = 0; t < threads; ++t)
          pool.emplace_back([&, t] {
            threadIdx = {t, 0, 0};
            body(ctx);
            s.warps[t >> 5]->bar.arrive_and_drop();
            s.block->arrive_and_drop();
          });
        for (std::thread& th : pool) th.join();
      }
}
