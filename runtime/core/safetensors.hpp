// safetensors files (what numpy's and PyTorch's safetensors packages read and write): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
// then the raw little-endian data. We read F32 and F64 (and F16/BF16 are refused with a message),
// and write F32 or F64. Writes are atomic: a temporary file in the same folder, then rename().
#pragma once

#include <map>
#include <string>

#include "runtime/core/atomic_write.hpp"  // write_file_atomic, which write_safetensors uses
#include "runtime/core/tensor.hpp"

namespace rnnjit {

using Metadata = std::map<std::string, std::string>;

// Throws std::runtime_error naming the file and what is wrong with it.
TensorMap read_safetensors(const std::string& path, Metadata* metadata = nullptr);
void write_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& metadata = {});

}  // namespace rnnjit
