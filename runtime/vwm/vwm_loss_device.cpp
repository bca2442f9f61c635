// The VWM loss kernels' NVRTC source and their launcher. The kernels are templates/vwm_loss.cuh;
// the scalar math they share with the host twin (vwm_loss_twin.cpp) is vwm_loss_math.hpp.
#include "runtime/vwm/vwm_loss_device.hpp"

#include <iterator>
#include <stdexcept>
#include <string>

#include "math/vwm_loss_math.hpp"

#ifdef RNNJIT_HAVE_CUDA
#include "compiler/cuda/embedded_templates.hpp"
#include "runtime/cuda/kernel_cache.hpp"
#endif

namespace rnnjit::vwm {

#ifdef RNNJIT_HAVE_CUDA

std::string vwm_loss_kernel_source() {
  return "// rnnjit CUDA kernels of the VWM readout loss. Generated; compile with NVRTC "
         "(-std=c++17).\n" +
         cuda::unit_text("noise_math.hpp") + "\n" + cuda::unit_text("common.cuh") + "\n" +
         cuda::unit_text("vwm_loss_math.hpp") + "\n" + cuda::unit_text("vwm_loss.cuh") + "\n";
}

DeviceVwmLoss::DeviceVwmLoss(const LossOptions& opt, int64_t N, int64_t M)
    : opt_(opt), n_(N), m_(M) {
  check_vwm_loss_shape("device vwm loss", 1, 1, N, M, 0);
  vwm_error_def_code(opt.error_def);  // rejects an unknown value before any launch
  const cuda::Device& dev = cuda::device();
  const std::string cubin =
      cuda::KernelCache::instance().get(vwm_loss_kernel_source(), dev.arch(), /*cubin=*/true);
  const cuda::DriverApi& d = cuda::driver();
  d.check(d.ModuleLoadData(&mod_, cubin.data()), "cuModuleLoadData(vwm_loss)");
  CUfunction* fns[] = {&readout_, &trial_, &dr_, &df_partial_, &df_reduce_};
  for (size_t k = 0; k < std::size(fns); ++k)
    d.check(d.ModuleGetFunction(fns[k], mod_, kVwmLossEntries[k]), "cuModuleGetFunction(vwm_loss)");
}

DeviceVwmLoss::~DeviceVwmLoss() {
  if (mod_) cuda::driver().ModuleUnload(mod_);
}

void DeviceVwmLoss::launch(CUdeviceptr r, CUdeviceptr F, CUdeviceptr theta, CUdeviceptr presence,
                           int64_t B, int64_t T, uint64_t noise_seed, CUdeviceptr dr,
                           CUdeviceptr dF, CUdeviceptr trial_out, CUdeviceptr decoded,
                           CUstream stream) {
  check_vwm_loss_shape("device vwm loss", B, T, n_, m_, opt_.decode_start);
  if (T > 65535)
    throw std::invalid_argument("device vwm loss: T = " + std::to_string(T) +
                                " steps exceed the grid's y limit of 65535");
  using vwm_math::kVwmLossThreads;
  const int64_t K = T - opt_.decode_start, O = 2 * m_, P = B * K;
  z_.reserve(static_cast<size_t>(P * n_));
  slope_.reserve(static_cast<size_t>(P * n_));
  y_.reserve(static_cast<size_t>(P * O));
  gy_.reserve(static_cast<size_t>(P * O));
  const vwm_math::VwmSlabs slabs = vwm_math::vwm_df_slabs(static_cast<int>(P));
  part_.reserve(static_cast<size_t>(slabs.count) * static_cast<size_t>(O * n_));

  // Kernel arguments, named as in templates/vwm_loss.cuh.
  int b = static_cast<int>(B), t = static_cast<int>(T), n = static_cast<int>(n_);
  int m = static_cast<int>(m_), o = static_cast<int>(O), t0 = static_cast<int>(opt_.decode_start);
  int pairs = static_cast<int>(P), chunk = slabs.chunk, nslabs = slabs.count, on = o * n;
  int kind = static_cast<int>(opt_.noise.kind), def = vwm_error_def_code(opt_.error_def);
  float factor = static_cast<float>(opt_.noise.factor), dt = static_cast<float>(opt_.noise.dt);
  float lambda_err = static_cast<float>(opt_.lambda_err);
  float reg_scale = vwm_reg_scale(opt_, B, T, n_);
  unsigned long long seed = noise_seed;
  CUdeviceptr z = z_.ptr(), slope = slope_.ptr(), y = y_.ptr(), gy = gy_.ptr(), part = part_.ptr();

  const cuda::DriverApi& d = cuda::driver();
  const auto go = [&](CUfunction fn, unsigned gx, unsigned gy_dim, void** args, const char* what) {
    d.check(d.LaunchKernel(fn, gx, gy_dim, 1, kVwmLossThreads, 1, 1, 0, stream, args, nullptr),
            what);
  };
  const unsigned ub = static_cast<unsigned>(B), uk = static_cast<unsigned>(K);
  void* readout_args[] = {&r, &F, &t, &n, &o, &t0, &kind, &factor, &dt, &seed, &z, &slope, &y};
  go(readout_, ub, uk, readout_args, "cuLaunchKernel(vwm_readout)");
  void* trial_args[] = {&r, &y,  &theta, &presence,   &b,  &t,         &n,
                        &m, &t0, &def,   &lambda_err, &gy, &trial_out, &decoded};
  go(trial_, ub, 1, trial_args, "cuLaunchKernel(vwm_trial)");
  void* dr_args[] = {&r, &F, &slope, &gy, &t, &n, &o, &t0, &reg_scale, &dr};
  go(dr_, ub, static_cast<unsigned>(T), dr_args, "cuLaunchKernel(vwm_dr)");
  const unsigned ncols = static_cast<unsigned>((n_ + kVwmLossThreads - 1) / kVwmLossThreads);
  void* partial_args[] = {&z, &gy, &n, &o, &pairs, &chunk, &part};
  go(df_partial_, ncols, static_cast<unsigned>(nslabs), partial_args,
     "cuLaunchKernel(vwm_df_partial)");
  void* reduce_args[] = {&part, &nslabs, &on, &dF};
  go(df_reduce_, static_cast<unsigned>((on + kVwmLossThreads - 1) / kVwmLossThreads), 1,
     reduce_args, "cuLaunchKernel(vwm_df_reduce)");
}

#endif

}  // namespace rnnjit::vwm
