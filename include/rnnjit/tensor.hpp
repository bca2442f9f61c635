// A dense, row-major, batch-first host tensor of float32 or float64, and a name -> tensor map: what
// every function of rnnjit takes and returns, and what safetensors files hold (part of the public
// API; rnnjit/safetensors.hpp reads and writes them).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace rnnjit {

enum class DType { F32, F64 };
std::string_view name(DType d);

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, std::vector<int64_t> shape);  // zero-filled
  static Tensor f32(std::vector<int64_t> shape, std::vector<float> data);
  static Tensor f64(std::vector<int64_t> shape, std::vector<double> data);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_.at(i); }
  size_t rank() const { return shape_.size(); }
  int64_t numel() const;
  bool empty() const { return shape_.empty() && numel() == 0; }
  size_t nbytes() const;
  std::string shape_str() const;  // "[2,3,4]"

  // Typed access; throws std::logic_error if T does not match dtype().
  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  template <class T>
  std::span<T> span() {
    return {data<T>(), static_cast<size_t>(numel())};
  }
  template <class T>
  std::span<const T> span() const {
    return {data<T>(), static_cast<size_t>(numel())};
  }

  const void* raw() const;
  void* raw();

  Tensor to(DType d) const;                 // converts (copies) when the dtype differs
  double at_f64(int64_t flat_index) const;  // element as double, any dtype

 private:
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  std::variant<std::vector<float>, std::vector<double>> storage_;
};

using TensorMap = std::map<std::string, Tensor>;

// "tensor 'Wo' has shape [3,4] but the spec needs [256,256]"
class ShapeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string shape_str(const std::vector<int64_t>& s);
// The element count of `shape`. Throws ShapeError naming the shape for a negative dimension, or
// when the count (of the non-zero dimensions) in float64 bytes would not fit in int64: a shape
// read from a file must not wrap around to a small count.
int64_t checked_numel(const std::vector<int64_t>& shape);
// Throws ShapeError naming `what`, the actual and the expected shapes, if they differ.
void check_shape(const std::string& what, const Tensor& t, const std::vector<int64_t>& expected);
// The tensor `name` of `m`, or a ShapeError-like std::runtime_error saying it is missing.
const Tensor& require(const TensorMap& m, const std::string& name, const std::string& where);

}  // namespace rnnjit
