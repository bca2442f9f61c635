// rnnjit::Cell (rnnjit/cell.hpp): a spec compiled for one backend, over the executor contract.
#include <random>

#include "api/api_data.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/params.hpp"

namespace rnnjit {

Cell::Cell(std::unique_ptr<detail::CellData> d) : d_(std::move(d)) {}
Cell::Cell(Cell&&) noexcept = default;
Cell& Cell::operator=(Cell&&) noexcept = default;
Cell::~Cell() = default;

Cell Cell::compile(const Spec& spec, const CompileOptions& options) {
  auto d = std::make_unique<detail::CellData>(detail::CellData{spec, nullptr});
  d->exec = make_executor(detail::data_of(spec).module, options);
  return Cell(std::move(d));
}

const Spec& Cell::spec() const {
  return d_->spec;
}
std::string Cell::backend() const {
  return d_->exec->backend();
}
std::string Cell::device() const {
  return d_->exec->device();
}
DType Cell::dtype() const {
  return d_->exec->dtype();
}
double Cell::compile_seconds() const {
  return d_->exec->compile_seconds();
}

TensorMap Cell::init_params(uint64_t seed) const {
  const detail::SpecData& s = detail::data_of(d_->spec);
  return rnnjit::init_params(s.spec, s.module, seed);
}

TensorMap Cell::random_inputs(int64_t batch, int64_t steps, uint64_t seed) const {
  if (batch < 1 || steps < 1)
    throw ShapeError("random_inputs needs batch >= 1 and steps >= 1, got " + std::to_string(batch) +
                     " and " + std::to_string(steps));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  TensorMap out;
  for (const TensorInfo& info : d_->spec.inputs(batch, steps)) {
    const bool external = detail::data_of(d_->spec).spec.find_input(info.name) != nullptr;
    Tensor t(DType::F32, info.shape);
    for (float& x : t.span<float>()) x = external ? normal(rng) : unit(rng);
    out.emplace(info.name, std::move(t));
  }
  return out;
}

void Cell::check_params(const TensorMap& params) const {
  rnnjit::check_params(detail::data_of(d_->spec).module, params, "params");
}

Tensor Cell::forward(const TensorMap& params, const TensorMap& inputs, const RunOptions& options) {
  return d_->exec->forward(params, inputs, options);
}

TensorMap Cell::backward(const Tensor& dr) {
  return d_->exec->backward(dr);
}

bool have_cpu_backend() {
  return have_llvm_backend();
}

}  // namespace rnnjit
