// The cell's packed parameter and gradient buffers of the CUDA backend, by address: what the
// executor's resident API hands to code that updates the parameters in place on the device (the
// training infrastructure's device optimiser, runtime/train/cuda/).
#pragma once

#include <cstdint>

namespace rnnjit::cuda {

// Where the packed buffers and the gradients live: host addresses for the twin, device addresses
// (cast) for the kernels. parts: trial tiles of the latest adjoint (rows of the partial sums).
struct PackedBufferPtrs {
  float *bank = nullptr, *bank_t = nullptr, *w_in = nullptr, *bias = nullptr, *alpha = nullptr;
  const float *dbank = nullptr, *dw_in = nullptr, *dbias_part = nullptr, *dalpha_part = nullptr;
  int64_t parts = 0;
  float* extra = nullptr;  // the extra segment's value and gradient (append_extra_segment)
  const float* dextra = nullptr;
};

}  // namespace rnnjit::cuda
