// The ring loss kernel's host side: its tables, its CPU twin and its launcher. The kernel itself
// is templates/ring_loss.cuh; the per-step math both share is ring_loss_math.hpp.
#include "runtime/ring/ring_loss_device.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "math/ring_loss_math.hpp"

#ifdef RNNJIT_HAVE_CUDA
#include "compiler/cuda/embedded_templates.hpp"
#include "runtime/cuda/kernel_cache.hpp"
#endif

namespace rnnjit::train::ring {

RingLossTables make_ring_loss_tables(const RingReadout& ro) {
  RingLossTables tb;
  tb.n = ro.n;
  for (int64_t j = 0; j < ro.n; ++j) {
    const size_t k = static_cast<size_t>(j);
    tb.cos_q.push_back(static_cast<float>(ro.cos_q[k]));
    tb.sin_q.push_back(static_cast<float>(ro.sin_q[k]));
    tb.a_cc += ro.cos_q[k] * ro.cos_p[k];
    tb.a_sc += ro.sin_q[k] * ro.cos_p[k];
    tb.a_cs += ro.cos_q[k] * ro.sin_p[k];
    tb.a_ss += ro.sin_q[k] * ro.sin_p[k];
  }
  return tb;
}

namespace {

// The kernel's sums in the kernel's order: lane l of a warp accumulates the terms l, l + 32, ...,
// then templates/common.cuh's warp_sum adds the lanes by an xor butterfly. Mirroring it (rather
// than summing in index order) keeps the twin within a few ulp of the kernel, and more accurate:
// the float sums over N neurons are what limit the agreement with the float64 loss.
class WarpOrderSum {
 public:
  void add(int64_t k, float v) { lane_[k & 31] += v; }
  void fma(int64_t k, float a, float b) { lane_[k & 31] = std::fmaf(a, b, lane_[k & 31]); }
  float total() const {
    std::array<float, 32> v = lane_;
    for (int o = 16; o > 0; o >>= 1) {
      std::array<float, 32> next;
      for (int l = 0; l < 32; ++l) next[l] = v[l] + v[l ^ o];
      v = next;
    }
    return v[0];
  }

 private:
  std::array<float, 32> lane_{};
};

}  // namespace

void ring_loss_twin(const RingLossTables& tb, const float* r, const float* angle, int64_t B,
                    int64_t T, float bump_weight, float* dr, float* parts) {
  using namespace ring_math;
  const int64_t N = tb.n;
  const float* cq = tb.cos_q.data();
  const float* sq = tb.sin_q.data();
  const RingConsts k = {static_cast<float>(tb.a_cc), static_cast<float>(tb.a_sc),
                        static_cast<float>(tb.a_cs), static_cast<float>(tb.a_ss)};
  const float inv_bt = 1.f / (static_cast<float>(B) * static_cast<float>(T));  // as the kernel
  std::vector<float> amp(static_cast<size_t>(T)), gc(amp.size()), gs(amp.size()), l(amp.size());
  for (int64_t b = 0; b < B; ++b) {
    const float* rb = r + b * T * N;
    float* gb = dr + b * T * N;
    // Phase 1 of the kernel: per step C, S, A and the argmax of u, then the step's scalars.
    for (int64_t t = 0; t < T; ++t) {
      const float* rt = rb + t * N;
      WarpOrderSum c, s, a;
      for (int64_t i = 0; i < N; ++i) {
        c.fma(i, rt[i], cq[i]);
        s.fma(i, rt[i], sq[i]);
        a.add(i, std::fabs(rt[i]));
      }
      const float cc = c.total(), ss = s.total();
      // The first maximum, as ring_loss()'s loop and the kernel's (value, index) reduction pick.
      int64_t js = 0;
      float m = ring_u(cq[0], sq[0], cc, ss);
      for (int64_t j = 1; j < N; ++j) {
        const float u = ring_u(cq[j], sq[j], cc, ss);
        if (u > m) m = u, js = j;
      }
      const RingStep st = ring_step(cc, ss, m, cq[js], sq[js], angle[b * T + t], k, inv_bt);
      const size_t ts = static_cast<size_t>(t);
      amp[ts] = a.total();
      gc[ts] = st.gc;
      gs[ts] = st.gs;
      l[ts] = st.l;
    }
    // Phase 2: the trial's sums over the steps.
    WarpOrderSum sum_dev, sum_dev2, sum_l;
    for (int64_t t = 0; t < T; ++t) {
      const float dev = amp[static_cast<size_t>(t)] - amp[0];
      sum_dev.add(t, dev);
      sum_dev2.fma(t, dev, dev);
      sum_l.add(t, l[static_cast<size_t>(t)]);
    }
    parts[2 * b + 0] = sum_l.total() * inv_bt;
    parts[2 * b + 1] = sum_dev2.total() * inv_bt;
    const float coef0 = -bump_weight * 2.f * inv_bt * sum_dev.total();
    // Phase 3: dr.
    for (int64_t t = 0; t < T; ++t) {
      const size_t ts = static_cast<size_t>(t);
      const float coef = t == 0 ? coef0 : bump_weight * 2.f * inv_bt * (amp[ts] - amp[0]);
      for (int64_t i = 0; i < N; ++i) {
        float g = std::fmaf(cq[i], gc[ts], sq[i] * gs[ts]);
        if (bump_weight != 0.f) g = std::fmaf(coef, ring_sgn(rb[t * N + i]), g);
        gb[t * N + i] = g;
      }
    }
  }
}

#ifdef RNNJIT_HAVE_CUDA

std::string ring_loss_kernel_source() {
  return "// rnnjit CUDA kernel of the ring loss. Generated; compile with NVRTC (-std=c++17).\n" +
         cuda::unit_text("ring_loss_math.hpp") + "\n" + cuda::unit_text("common.cuh") + "\n" +
         cuda::unit_text("ring_loss.cuh") + "\n";
}

DeviceRingLoss::DeviceRingLoss(const RingReadout& ro) : tables_(make_ring_loss_tables(ro)) {
  if (tables_.n > std::numeric_limits<int>::max())
    throw std::invalid_argument("device ring loss: N = " + std::to_string(tables_.n) +
                                " does not fit the kernel's int");
  const cuda::Device& dev = cuda::device();
  const std::string cubin =
      cuda::KernelCache::instance().get(ring_loss_kernel_source(), dev.arch(), /*cubin=*/true);
  const cuda::DriverApi& d = cuda::driver();
  d.check(d.ModuleLoadData(&mod_, cubin.data()), "cuModuleLoadData(ring_loss)");
  d.check(d.ModuleGetFunction(&fn_, mod_, "rnnjit_ring_loss"), "cuModuleGetFunction(ring_loss)");
  cos_q_.upload(tables_.cos_q);
  sin_q_.upload(tables_.sin_q);
}

DeviceRingLoss::~DeviceRingLoss() {
  if (mod_) cuda::driver().ModuleUnload(mod_);
}

void DeviceRingLoss::launch(CUdeviceptr r, CUdeviceptr angle, int64_t B, int64_t T,
                            float bump_weight, CUdeviceptr dr, CUdeviceptr parts, CUstream stream) {
  if (B < 1 || T < 1)
    throw std::invalid_argument("device ring loss: needs B >= 1 and T >= 1, got B = " +
                                std::to_string(B) + ", T = " + std::to_string(T));
  if (T > kRingLossMaxT)
    throw std::invalid_argument("device ring loss: T = " + std::to_string(T) +
                                " steps exceed the kernel's limit of " +
                                std::to_string(kRingLossMaxT) +
                                " (each trial keeps 4 floats per step in 48 KiB of shared memory)");
  if (B > std::numeric_limits<int>::max())
    throw std::invalid_argument("device ring loss: B = " + std::to_string(B) +
                                " trials exceed the grid limit");
  // The order of rnnjit_ring_loss's parameters.
  CUdeviceptr cq = cos_q_.ptr(), sq = sin_q_.ptr();
  float a_cc = static_cast<float>(tables_.a_cc), a_sc = static_cast<float>(tables_.a_sc);
  float a_cs = static_cast<float>(tables_.a_cs), a_ss = static_cast<float>(tables_.a_ss);
  int b = static_cast<int>(B), t = static_cast<int>(T), n = static_cast<int>(tables_.n);
  void* args[] = {&r,    &angle,       &cq, &sq, &a_cc, &a_sc, &a_cs,
                  &a_ss, &bump_weight, &b,  &t,  &n,    &dr,   &parts};
  const unsigned smem = static_cast<unsigned>((4 * T + 1) * sizeof(float));
  constexpr unsigned kThreads = ring_math::kRingLossThreads;
  const cuda::DriverApi& d = cuda::driver();
  d.check(d.LaunchKernel(fn_, static_cast<unsigned>(b), 1, 1, kThreads, 1, 1, smem, stream, args,
                         nullptr),
          "cuLaunchKernel(ring_loss)");
}

#endif

}  // namespace rnnjit::train::ring
