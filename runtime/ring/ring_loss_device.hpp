// The ring loss of ring_loss() on the GPU: a CUDA kernel (templates/ring_loss.cuh) computing the
// loss and dL/dr in float32 from device buffers, and its host twin, the same arithmetic in plain
// C++ on the CPU (both share math/ring_loss_math.hpp), so that CI without a GPU
// checks the kernel's formulas against the float64 loss and a GPU test checks the kernel against
// the twin.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/ring/ring_loss.hpp"

#ifdef RNNJIT_HAVE_CUDA
#include "runtime/cuda/cuda_driver.hpp"
#include "runtime/cuda/device_buffer.hpp"
#endif

namespace rnnjit::train::ring {

// The readout in the form the kernel takes: q_k's cos and sin rounded to float, and the four
// constants a_cc = sum_j cos q_j cos p_j, a_sc = sum_j sin q_j cos p_j, a_cs = sum_j cos q_j sin
// p_j, a_ss = sum_j sin q_j sin p_j (float64 sums; ring_loss_math.hpp shows why they suffice).
struct RingLossTables {
  int64_t n = 0;
  std::vector<float> cos_q, sin_q;
  double a_cc = 0, a_sc = 0, a_cs = 0, a_ss = 0;
};
RingLossTables make_ring_loss_tables(const RingReadout& ro);

// The kernel keeps 4 T + 1 floats of one trial in shared memory; this T fits the 48 KiB every
// CUDA device gives a kernel without opting in.
inline constexpr int64_t kRingLossMaxT = (48 * 1024 / 4 - 1) / 4;

// The kernel's arithmetic on the CPU in float32, same formulas and shared math header; r [B][T][N],
// angle [B][T]; writes dr [B][T][N] and parts [B][2] (per trial: heading sum / (B T), bump sum /
// (B T)). The loss of ring_loss() is heading = sum_b parts[b][0], bump = sum_b parts[b][1].
void ring_loss_twin(const RingLossTables& tb, const float* r, const float* angle, int64_t B,
                    int64_t T, float bump_weight, float* dr, float* parts);

#ifdef RNNJIT_HAVE_CUDA
// The NVRTC source of the kernel: ring_loss_math.hpp + common.cuh + ring_loss.cuh.
std::string ring_loss_kernel_source();

// The kernel compiled for the current device (through the kernel cache) and loaded, with the
// readout's cos q and sin q uploaded once. Uses the primary context of rnnjit::cuda::device().
class DeviceRingLoss {
 public:
  explicit DeviceRingLoss(const RingReadout& ro);
  ~DeviceRingLoss();
  DeviceRingLoss(const DeviceRingLoss&) = delete;
  DeviceRingLoss& operator=(const DeviceRingLoss&) = delete;

  // Enqueues the kernel on `stream`; every pointer is a device address (r, dr: B*T*N floats,
  // angle: B*T, parts: 2*B); no synchronisation. Throws std::invalid_argument for B < 1, T < 1,
  // T > kRingLossMaxT or B beyond the grid limit.
  void launch(CUdeviceptr r, CUdeviceptr angle, int64_t B, int64_t T, float bump_weight,
              CUdeviceptr dr, CUdeviceptr parts, CUstream stream);

  int64_t n() const { return tables_.n; }

 private:
  RingLossTables tables_;
  CUmodule mod_ = nullptr;
  CUfunction fn_ = nullptr;
  cuda::DeviceBuffer cos_q_, sin_q_;
};
#endif

}  // namespace rnnjit::train::ring
