// Central finite differences in float64 against the hand-written adjoints: of a whole cell run by
// an executor (every gradient backward() returns), and of one op in isolation (ops.hpp).
//
// The loss is L = sum(C .* y) with a random cotangent C, so backward(C) must equal dL/dx. For each
// gradient tensor, entries are compared one by one (all of them, or a random sample of
// `max_entries` for big tensors) and the whole tensor along one random direction v
// ((L(x + h v) - L(x - h v)) / 2h against <g, v>), which catches an error in entries the sample
// skipped. The error reported is relative: ||fd - g|| / max(||fd||, ||g||) over the sampled
// entries, and |fd_v - <g,v>| / max(|<g,v>|, ||g||) along the direction.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/module.hpp"
#include "runtime/core/executor.hpp"
#include "runtime/reference/ops.hpp"
#include "tests/reference/test_util.hpp"

namespace rnnjit::reftest {

// The fourth-order central difference (8 (f(h) - f(-h)) - (f(2h) - f(-2h))) / 12h of f at 0.
// Its truncation error is O(h^4), so h can be large enough (1e-4) that rounding in L stays near
// 1e-12 relative; the second-order (f(h) - f(-h)) / 2h at h = 1e-6 measured 1e-7..1e-6 relative
// error on this cell from rounding alone, too close to the 1e-7 bound to tell a bug from noise.
double central_difference(const std::function<double(double)>& f, double h);

struct FdOptions {
  double h = 1e-4;                // step, scaled by max(1, |x|) per entry (by the rms of x along v)
  int64_t max_entries = 1 << 30;  // entries checked one by one per tensor
};

struct GradCheck {
  std::string name;
  int64_t entries = 0;       // entries checked one by one
  double entry_error = 0.0;  // relative L2 error over those entries
  double direction_error = 0.0;
  double grad_norm = 0.0;  // ||g|| over the whole tensor
  double worst() const { return std::max(entry_error, direction_error); }
};

// Runs forward + backward(C) on a fresh reference executor for `m`, then checks every returned
// gradient against central differences of L = sum(C .* r). *grads receives backward()'s result.
std::vector<GradCheck> check_cell_gradients(const ir::Module& m, const TensorMap& params,
                                            const TensorMap& inputs, const RunOptions& opt,
                                            const FdOptions& fd, Rng& rng,
                                            TensorMap* grads = nullptr);

// Generic core: `loss` evaluates L for perturbed copies of the tensors in `point`; `grads` holds
// the claimed dL/d(point[name]) for the names to check.
std::vector<GradCheck> check_gradients(const std::function<double(const TensorMap&)>& loss,
                                       const TensorMap& point, const TensorMap& grads,
                                       const FdOptions& fd, Rng& rng);

// One op in isolation: `operand_slots[k]` names the tensor of `tensors` that feeds operand k (a
// name may repeat: the op then sees one buffer twice, and its adjoint accumulates into one
// gradient). Checks adjoint_op against central differences of L = sum(C .* forward_op(...)) for
// every tensor.
std::vector<GradCheck> check_op_gradients(const ir::Op& op, const TensorMap& tensors,
                                          const std::vector<std::string>& operand_slots,
                                          const reference::OpSizes& sz, const FdOptions& fd,
                                          Rng& rng);

}  // namespace rnnjit::reftest
