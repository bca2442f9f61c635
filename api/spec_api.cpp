// rnnjit::Spec (rnnjit/cell.hpp): a parsed spec and its optimised IR, shared and immutable.
#include "api/api_data.hpp"
#include "api/trainer_choice.hpp"
#include "compiler/lower.hpp"
#include "compiler/spec_canonical.hpp"
#include "runtime/core/params.hpp"

namespace rnnjit {

namespace detail {

namespace {

Spec make_spec(ModelSpec s) {
  auto d = std::make_shared<SpecData>();
  d->module = compile_module(s);
  d->spec = std::move(s);
  return SpecData::wrap(std::move(d));
}

}  // namespace

}  // namespace detail

Spec::Spec(std::shared_ptr<const detail::SpecData> d) : d_(std::move(d)) {}

Spec Spec::from_file(const std::string& path) {
  return detail::make_spec(parse_spec_file(path));
}

Spec Spec::from_string(const std::string& yaml, const std::string& name) {
  return detail::make_spec(parse_spec_string(yaml, name));
}

const std::string& Spec::name() const {
  return d_->spec.name;
}
const std::string& Spec::path() const {
  return d_->spec.path;
}
const std::string& Spec::text() const {
  return d_->spec.source;
}
int64_t Spec::neurons() const {
  return d_->spec.neurons;
}
std::string Spec::trainer() const {
  return api::trainer_of(d_->spec);
}
std::string Spec::canonical_json() const {
  return canonical_spec(d_->spec).dump();
}
std::string Spec::hash() const {
  return spec_hash(canonical_spec(d_->spec));
}
std::string Spec::ir() const {
  return ir::print(d_->module);
}

std::vector<TensorInfo> Spec::params() const {
  std::vector<TensorInfo> out;
  const auto shapes = param_shapes(d_->module);
  for (const auto& v : d_->module.values) {
    auto it = shapes.find(v.name);
    if (it == shapes.end()) continue;
    out.push_back({v.name, it->second, v.learn, v.nonnegative});
  }
  return out;
}

std::vector<TensorInfo> Spec::inputs(int64_t batch, int64_t steps) const {
  const ModelSpec& s = d_->spec;
  std::vector<TensorInfo> out{{"r0", {batch, s.neurons}}};
  for (const GateSpec& g : s.gates) out.push_back({g.name, {batch, steps, g.size}});
  for (const InputSpec& i : s.inputs) out.push_back({i.name, {batch, steps, i.size}});
  return out;
}

}  // namespace rnnjit
