// rnnjit's public C++ API, all of it: tensors and safetensors files, model specs and compiled
// cells (forward and hand-derived adjoint), training and analysis. docs/API.md is the guide;
// rnnjit/rnnjit.h is the C API.
#pragma once

#include "rnnjit/cell.hpp"
#include "rnnjit/errors.hpp"
#include "rnnjit/run_options.hpp"
#include "rnnjit/safetensors.hpp"
#include "rnnjit/tensor.hpp"
#include "rnnjit/train.hpp"
#include "rnnjit/version.hpp"
