// rnnjit's public C++ API, part 1: model specs and compiled cells.
//
//   rnnjit::Spec spec = rnnjit::Spec::from_file("examples/ring.yaml");
//   rnnjit::Cell cell = rnnjit::Cell::compile(spec, {.backend = "cpu"});
//   rnnjit::TensorMap params = cell.init_params(/*seed=*/0);
//   rnnjit::TensorMap inputs = cell.random_inputs(/*batch=*/8, /*steps=*/20, /*seed=*/1);
//   rnnjit::Tensor r = cell.forward(params, inputs);           // [B, T, N]
//   rnnjit::TensorMap grads = cell.backward(dL_dr);           // dL/d(param), "r0", each input
//
// Names and layouts are batch-first and the spec's own: params holds every parameter and buffer
// of the spec by name (a dense term W [N,N], a gated bank [K,N,N], input weights [N,I], bias [N],
// tau [N]); inputs holds "r0" [B,N], each gate input [B,T,K] and each external input [B,T,I].
// forward returns r_1..r_T; backward takes dL/dr_t for every t (zero where the loss does not
// look) and returns the gradients of the loss through the recurrence, computed by the
// hand-derived adjoint kernels (no autograd).
//
// Errors: rnnjit/errors.hpp (SpecError with file:line:column, ShapeError naming both shapes).
// Threads: a Cell is used by one thread at a time; distinct Cells may run concurrently, and
// compiling is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rnnjit/errors.hpp"
#include "rnnjit/run_options.hpp"
#include "rnnjit/tensor.hpp"

namespace rnnjit {

namespace detail {
struct SpecData;
struct CellData;
}  // namespace detail

// A tensor a spec declares: a parameter, a buffer or an input.
struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  bool learned = false;      // parameters Adam updates (params only)
  bool nonnegative = false;  // kept >= 0 after each optimiser step (params only)
};

// A parsed and validated model spec. Cheap to copy (shared, immutable).
class Spec {
 public:
  // Throws SpecError naming file:line:column and the field.
  static Spec from_file(const std::string& path);
  static Spec from_string(const std::string& yaml, const std::string& name = "<string>");

  const std::string& name() const;  // the spec's `name:`
  const std::string& path() const;  // the file (or the name given to from_string)
  const std::string& text() const;  // the YAML it was parsed from
  int64_t neurons() const;
  // "ring" or "vwm": the trainer this spec's model belongs to (a spec with spike noise, an
  // external input or `train: {task: vwm}` is the visual-working-memory network).
  std::string trainer() const;
  // The model's canonical form (JSON text) and its hash: equal exactly when two specs describe
  // the same network, whatever the file looks like.
  std::string canonical_json() const;
  std::string hash() const;
  std::string ir() const;  // the optimised IR, printed (what `rnnjit compile` shows)

  std::vector<TensorInfo> params() const;  // parameters and buffers, in the spec's order
  // The inputs of a run of `batch` trials and `steps` steps: r0, then gates, then inputs.
  std::vector<TensorInfo> inputs(int64_t batch, int64_t steps) const;

 private:
  friend class Cell;
  friend struct detail::SpecData;
  explicit Spec(std::shared_ptr<const detail::SpecData> d);
  std::shared_ptr<const detail::SpecData> d_;
};

// A spec compiled for one backend and precision: the specialised forward and adjoint kernels.
class Cell {
 public:
  // Lowers, optimises and JIT-compiles (or loads from the kernel cache). Throws
  // std::runtime_error when the backend is unavailable, SpecError for a spec it cannot run.
  static Cell compile(const Spec& spec, const CompileOptions& options = {});
  Cell(Cell&&) noexcept;
  Cell& operator=(Cell&&) noexcept;
  ~Cell();

  const Spec& spec() const;
  std::string backend() const;  // "reference", "cpu" or "cuda" (after "auto" chose)
  std::string device() const;   // e.g. the CPU and its vector width, or the GPU's name
  DType dtype() const;          // of the tensors forward and backward return
  double compile_seconds() const;

  // Initial parameters per the spec's initialisers, deterministic in `seed` (float64).
  TensorMap init_params(uint64_t seed) const;
  // Random run inputs for tests and examples: r0 uniform in (0,1), gates uniform in (0,1), inputs
  // standard normal (float32), deterministic in `seed`.
  TensorMap random_inputs(int64_t batch, int64_t steps, uint64_t seed) const;
  // ShapeError naming the tensor and both shapes (or the missing name) unless `params` fits.
  void check_params(const TensorMap& params) const;

  // Tensors of either dtype are accepted (converted). forward returns r [B,T,N]; backward is the
  // adjoint of the most recent forward and takes dL/dr [B,T,N].
  Tensor forward(const TensorMap& params, const TensorMap& inputs, const RunOptions& options = {});
  TensorMap backward(const Tensor& dr);

 private:
  explicit Cell(std::unique_ptr<detail::CellData> d);
  std::unique_ptr<detail::CellData> d_;
};

// Which backends this build has, and whether a CUDA device answers.
bool have_cpu_backend();
bool have_cuda_backend();
bool cuda_device_available();

}  // namespace rnnjit
