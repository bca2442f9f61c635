// math/noise_math.hpp must compile standalone under NVRTC (no system headers), since the CUDA
// backend pastes it into generated kernels. libnvrtc is loaded at run time; the test skips when it
// is absent. Compiling needs no GPU.
#include <dlfcn.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

// The few NVRTC entry points used, declared here so the test needs neither nvrtc.h nor a link.
using Program = void*;
using CreateFn = int (*)(Program*, const char*, const char*, int, const char* const*,
                         const char* const*);
using CompileFn = int (*)(Program, int, const char* const*);
using SizeFn = int (*)(Program, size_t*);
using TextFn = int (*)(Program, char*);
using DestroyFn = int (*)(Program*);

const char* kKernel = R"(
#include "math/noise_math.hpp"
using namespace rnnjit::noise;
extern "C" __global__ void noise_kernel(const double* r, double* z, double* dz, float* zf,
                                        float* dzf, int B, int N, int t) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * N) return;
  unsigned b = idx / N, i = idx % N;
  spike_noise<double>(NoiseKind::Gamma, r[idx], 0.05, 10.0, 1234ull, kStreamRecurrent, t, b, i,
                      &z[idx], &dz[idx]);
  spike_noise<float>(NoiseKind::Gauss, (float)r[idx], 0.05f, 10.0f, 1234ull, kStreamReadout, t, b,
                     i, &zf[idx], &dzf[idx]);
  float pz;
  spike_noise<float>(NoiseKind::PureGauss, (float)r[idx], 0.05f, 10.0f, 1ull, 0u, t, b, i, &pz,
                     nullptr);
  spike_noise<float>(NoiseKind::Gamma, (float)r[idx], 0.05f, 10.0f, 1ull, 0u, t, b, i, &pz,
                     nullptr);
  zf[idx] += pz;
}
)";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(NoiseNvrtc, HeaderCompilesStandalone) {
  void* lib = nullptr;
  for (const char* name :
       {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so", "/usr/local/cuda/lib64/libnvrtc.so"}) {
    if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
  }
  if (!lib) GTEST_SKIP() << "libnvrtc not found: " << dlerror();
  auto create = (CreateFn)dlsym(lib, "nvrtcCreateProgram");
  auto compile = (CompileFn)dlsym(lib, "nvrtcCompileProgram");
  auto log_size = (SizeFn)dlsym(lib, "nvrtcGetProgramLogSize");
  auto get_log = (TextFn)dlsym(lib, "nvrtcGetProgramLog");
  auto ptx_size = (SizeFn)dlsym(lib, "nvrtcGetPTXSize");
  auto destroy = (DestroyFn)dlsym(lib, "nvrtcDestroyProgram");
  ASSERT_TRUE(create && compile && log_size && get_log && ptx_size && destroy);

  const std::string header = read_file(std::string(RNNJIT_SOURCE_DIR) + "/math/noise_math.hpp");
  ASSERT_FALSE(header.empty());
  const char* headers[] = {header.c_str()};
  const char* include_names[] = {"math/noise_math.hpp"};
  Program prog = nullptr;
  ASSERT_EQ(create(&prog, kKernel, "noise_kernel.cu", 1, headers, include_names), 0);
  const char* options[] = {"--gpu-architecture=compute_80", "-std=c++17"};
  int rc = compile(prog, 2, options);
  size_t n = 0;
  log_size(prog, &n);
  std::string log(n, '\0');
  if (n) get_log(prog, log.data());
  EXPECT_EQ(rc, 0) << "NVRTC log:\n" << log;
  size_t ptx = 0;
  if (rc == 0) {
    ptx_size(prog, &ptx);
    EXPECT_GT(ptx, 100u);
  }
  destroy(&prog);
  dlclose(lib);
}

}  // namespace
