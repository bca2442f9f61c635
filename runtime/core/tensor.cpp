#include "runtime/core/tensor.hpp"

#include <algorithm>

namespace rnnjit {

std::string_view name(DType d) { return d == DType::F32 ? "F32" : "F64"; }

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

static int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw ShapeError("negative dimension in shape " + shape_str(shape));
    n *= d;
  }
  return n;
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape) : dtype_(dtype), shape_(std::move(shape)) {
  const auto n = static_cast<size_t>(product(shape_));
  if (dtype_ == DType::F32)
    storage_ = std::vector<float>(n, 0.0f);
  else
    storage_ = std::vector<double>(n, 0.0);
}

Tensor Tensor::f32(std::vector<int64_t> shape, std::vector<float> data) {
  Tensor t;
  t.dtype_ = DType::F32;
  t.shape_ = std::move(shape);
  if (static_cast<int64_t>(data.size()) != product(t.shape_))
    throw ShapeError("tensor data has " + std::to_string(data.size()) + " elements but shape " +
                     rnnjit::shape_str(t.shape_) + " needs " + std::to_string(product(t.shape_)));
  t.storage_ = std::move(data);
  return t;
}

Tensor Tensor::f64(std::vector<int64_t> shape, std::vector<double> data) {
  Tensor t;
  t.dtype_ = DType::F64;
  t.shape_ = std::move(shape);
  if (static_cast<int64_t>(data.size()) != product(t.shape_))
    throw ShapeError("tensor data has " + std::to_string(data.size()) + " elements but shape " +
                     rnnjit::shape_str(t.shape_) + " needs " + std::to_string(product(t.shape_)));
  t.storage_ = std::move(data);
  return t;
}

int64_t Tensor::numel() const {
  return std::visit([](auto& v) { return static_cast<int64_t>(v.size()); }, storage_);
}

size_t Tensor::nbytes() const {
  return static_cast<size_t>(numel()) * (dtype_ == DType::F32 ? sizeof(float) : sizeof(double));
}

std::string Tensor::shape_str() const { return rnnjit::shape_str(shape_); }

template <>
float* Tensor::data<float>() {
  if (dtype_ != DType::F32) throw std::logic_error("tensor is F64, F32 data requested");
  return std::get<std::vector<float>>(storage_).data();
}
template <>
const float* Tensor::data<float>() const {
  if (dtype_ != DType::F32) throw std::logic_error("tensor is F64, F32 data requested");
  return std::get<std::vector<float>>(storage_).data();
}
template <>
double* Tensor::data<double>() {
  if (dtype_ != DType::F64) throw std::logic_error("tensor is F32, F64 data requested");
  return std::get<std::vector<double>>(storage_).data();
}
template <>
const double* Tensor::data<double>() const {
  if (dtype_ != DType::F64) throw std::logic_error("tensor is F32, F64 data requested");
  return std::get<std::vector<double>>(storage_).data();
}

const void* Tensor::raw() const {
  return std::visit([](auto& v) -> const void* { return v.data(); }, storage_);
}
void* Tensor::raw() {
  return std::visit([](auto& v) -> void* { return v.data(); }, storage_);
}

Tensor Tensor::to(DType d) const {
  if (d == dtype_) return *this;
  Tensor out(d, shape_);
  if (d == DType::F64) {
    auto& src = std::get<std::vector<float>>(storage_);
    std::copy(src.begin(), src.end(), out.data<double>());
  } else {
    auto& src = std::get<std::vector<double>>(storage_);
    std::transform(src.begin(), src.end(), out.data<float>(),
                   [](double x) { return static_cast<float>(x); });
  }
  return out;
}

double Tensor::at_f64(int64_t i) const {
  if (dtype_ == DType::F32) return std::get<std::vector<float>>(storage_).at(static_cast<size_t>(i));
  return std::get<std::vector<double>>(storage_).at(static_cast<size_t>(i));
}

void check_shape(const std::string& what, const Tensor& t, const std::vector<int64_t>& expected) {
  if (t.shape() != expected)
    throw ShapeError("tensor '" + what + "' has shape " + t.shape_str() + " but " +
                     shape_str(expected) + " is expected");
}

const Tensor& require(const TensorMap& m, const std::string& name, const std::string& where) {
  auto it = m.find(name);
  if (it == m.end()) {
    std::string have;
    for (auto& [k, v] : m) have += (have.empty() ? "" : ", ") + k + v.shape_str();
    throw ShapeError(where + ": tensor '" + name + "' is missing (present: " +
                     (have.empty() ? std::string("none") : have) + ")");
  }
  return it->second;
}

}  // namespace rnnjit
