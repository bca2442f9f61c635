// Tensor, TensorMap and ShapeError: the public rnnjit/tensor.hpp.
#pragma once

#include "rnnjit/tensor.hpp"
