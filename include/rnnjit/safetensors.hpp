// safetensors files (what numpy's and PyTorch's safetensors packages read and write): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
// then the raw little-endian data. rnnjit reads F32 and F64 (F16/BF16 are refused with a message)
// and writes F32 or F64. Part of the public API.
#pragma once

#include <map>
#include <string>

#include "rnnjit/tensor.hpp"

namespace rnnjit {

using Metadata = std::map<std::string, std::string>;

// Throws std::runtime_error naming the file, the tensor or field, and what is wrong with it;
// nothing in the file is trusted. Metadata is merged into *metadata when given.
TensorMap read_safetensors(const std::string& path, Metadata* metadata = nullptr);
// Writes atomically (a temporary file beside it, then a rename), so a reader never sees half a
// file; through a symbolic link to its target, into a device or FIFO in place.
void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const Metadata& metadata = {});

}  // namespace rnnjit
