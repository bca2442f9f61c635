// The device-side optimiser's bookkeeping, device-free: which learned tensors it updates, how each
// maps onto the packed buffers the kernels read (math/optimizer_math.hpp has the maps), the
// float32 masters and moments laid end to end, and the host twin that runs the optimiser kernels'
// element functions on host buffers. CI checks the twin against train::Adam over pack_params and
// unpack_grads (tests/cuda/param_segments_test.cpp); on a GPU the kernels run the same functions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "compiler/cell_plan.hpp"
#include "math/optimizer_math.hpp"
#include "runtime/cuda/packed_buffers.hpp"
#include "runtime/train/adam.hpp"

namespace rnnjit::cuda {

struct ParamSegment {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0;     // first element in the concatenated masters / moments
  opt::SegmentView view;  // pointers unset: bind_segment fills them
};

// Every learned Param or Buffer of the module (learn: true) that the cell's packed buffers hold,
// in plan order, or only those named in `only` when it is given; `nonnegative` names the ones
// projected to >= 0 after each update. Throws std::runtime_error for a tensor the kernels read in
// two places (one segment per tensor).
std::vector<ParamSegment> plan_segments(const CellPlan& plan, const ir::Module& m,
                                        const std::set<std::string>& nonnegative,
                                        const std::set<std::string>* only = nullptr);
// Appends a tensor that lives outside the cell (kind plain: its gradient and its device copy are
// PackedBufferPtrs::dextra and ::extra). At most one.
void append_extra_segment(std::vector<ParamSegment>& segs, const std::string& name,
                          const std::vector<int64_t>& shape, bool nonnegative);
int64_t total_elements(const std::vector<ParamSegment>& segs);

opt::SegmentView bind_segment(const ParamSegment& seg, const PackedBufferPtrs& bufs);

// The masters from float64 parameters, and back (float64 tensors of each segment's shape).
std::vector<float> masters_from(const std::vector<ParamSegment>& segs, const TensorMap& params);
void masters_to(const std::vector<ParamSegment>& segs, const std::vector<float>& masters,
                TensorMap& params);

// The scalars of Adam step number `t` (1-based) with clip factor `clip_scale`.
opt::AdamStep adam_step_scalars(const train::AdamConfig& cfg, int64_t t, double clip_scale);

// The host twin of templates/optimizer.cuh: sum of dP^2 (float64 over the kernel's float terms)
// and the fused update, over the whole segment.
double twin_sumsq(const opt::SegmentView& s, const float* masters);
void twin_adam(const opt::SegmentView& s, float* masters, float* m, float* v,
               const opt::AdamStep& a);

}  // namespace rnnjit::cuda
