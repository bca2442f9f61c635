// The VWM readout loss of vwm_loss() on the GPU: CUDA kernels (templates/vwm_loss.cuh) computing
// the loss, its metrics and the gradients dL/dr, dL/dF in float32 from device buffers, and their
// host twin, the same arithmetic in plain C++ on the CPU (both share math/vwm_loss_math.hpp),
// so that CI without a GPU checks the kernels' formulas against the float64 loss and a GPU test
// checks the kernels against the twin.
//
// Both take the error definition and the noise kind as run-time values (kernel arguments): one
// compiled module serves every configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/vwm/vwm_loss.hpp"

#ifdef RNNJIT_HAVE_CUDA
#include "runtime/cuda/cuda_driver.hpp"
#include "runtime/cuda/device_buffer.hpp"
#endif

namespace rnnjit::vwm {

// The kernels keep the 2M outputs of a step in registers: M is at most this (the seed's
// max_item_num is at most 10).
inline constexpr int64_t kVwmLossMaxItems = 10;

// The kernels' arithmetic on the CPU in float32, in the kernels' summation orders. Layouts:
// r, dr [B][T][N]; F, dF [2M][N]; theta, presence, decoded [B][M]; trial_out [B][4] = per trial
// (error term, activity = mean |r| over its T steps and N neurons, eval error = mean |wrapped
// angular error| over present items, number of present items). Uses opt's error_def, lambda_err,
// lambda_reg, decode_start and noise (seed included); ignores gradients and threads (always
// computes dr and dF; dr and dF are written, not accumulated into). Throws std::invalid_argument
// for an empty shape, M > kVwmLossMaxItems or a decode window outside [0, T).
void vwm_loss_twin(const LossOptions& opt, int64_t B, int64_t T, int64_t N, int64_t M,
                   const float* r, const float* F, const float* theta, const float* presence,
                   float* dr, float* dF, float* trial_out, float* decoded);

// Every field of vwm_loss()'s LossResult but dr and dF from the kernels' (or the twin's)
// per-trial outputs: trials summed in order in float64, the unbiased std, angular_error wrapped
// in float64 from decoded and theta (0 for absent items). trial_out [B][4], decoded [B][M];
// theta, presence [B][M] as vwm_loss() takes them.
LossResult loss_result_from_parts(const LossOptions& opt, int64_t B, int64_t M,
                                  const std::vector<float>& trial_out,
                                  const std::vector<float>& decoded,
                                  const std::vector<double>& theta,
                                  const std::vector<double>& presence);

// Throws std::invalid_argument naming the problem unless B, T, N >= 1, 1 <= M <= kVwmLossMaxItems,
// 0 <= decode_start < T, and B (T - decode_start), T N and 2 M N fit an int (the kernels'
// indices). `who` prefixes the message.
void check_vwm_loss_shape(const char* who, int64_t B, int64_t T, int64_t N, int64_t M,
                          int64_t decode_start);

// lambda_reg / (B T N) rounded to float, as both the kernels and the twin use it.
float vwm_reg_scale(const LossOptions& opt, int64_t B, int64_t T, int64_t N);

// The kernels' int for an ErrorDef (vwm_math::kVwmL2 ...).
int vwm_error_def_code(ErrorDef def);

// The kernels' entry points, in launch order.
inline constexpr const char* kVwmLossEntries[] = {"rnnjit_vwm_readout", "rnnjit_vwm_trial",
                                                  "rnnjit_vwm_dr", "rnnjit_vwm_df_partial",
                                                  "rnnjit_vwm_df_reduce"};

#ifdef RNNJIT_HAVE_CUDA
// The NVRTC source of the five kernels: noise_math.hpp + common.cuh + vwm_loss_math.hpp +
// vwm_loss.cuh. Not specialised: error_def and noise kind are kernel arguments.
std::string vwm_loss_kernel_source();

// The kernels compiled for the current device (through the kernel cache) and loaded, for one
// readout shape (N neurons, M items) and one set of loss options. Owns the scratch buffers, which
// grow with B T on demand (a cuMemAlloc, the only call that may block) and are reused: launches
// of one object must therefore go to one stream (or be ordered between streams by the caller).
// Uses the primary context of rnnjit::cuda::device().
class DeviceVwmLoss {
 public:
  // Throws std::invalid_argument for N < 1, M < 1 or M > kVwmLossMaxItems.
  DeviceVwmLoss(const LossOptions& opt, int64_t N, int64_t M);
  ~DeviceVwmLoss();
  DeviceVwmLoss(const DeviceVwmLoss&) = delete;
  DeviceVwmLoss& operator=(const DeviceVwmLoss&) = delete;

  // Enqueues the kernels on `stream`; every pointer is a device address of floats: r, dr
  // [B][T][N]; F, dF [2M][N]; theta, presence, decoded [B][M]; trial_out [B][4] (as
  // vwm_loss_twin). noise_seed replaces opt.noise.seed (the forward pass's seed). dr and dF are
  // fully written. No synchronisation. Throws std::invalid_argument for B < 1, a decode window
  // outside [0, T), T > 65535 (a grid dimension) or sizes past the kernels' int indices.
  void launch(CUdeviceptr r, CUdeviceptr F, CUdeviceptr theta, CUdeviceptr presence, int64_t B,
              int64_t T, uint64_t noise_seed, CUdeviceptr dr, CUdeviceptr dF, CUdeviceptr trial_out,
              CUdeviceptr decoded, CUstream stream);

  int64_t n() const { return n_; }
  int64_t m() const { return m_; }

 private:
  LossOptions opt_;
  int64_t n_ = 0, m_ = 0;
  CUmodule mod_ = nullptr;
  CUfunction readout_ = nullptr, trial_ = nullptr, dr_ = nullptr, df_partial_ = nullptr,
             df_reduce_ = nullptr;
  cuda::DeviceBuffer z_, slope_, y_, gy_, part_;
};
#endif

}  // namespace rnnjit::vwm
