// safetensors files: the public rnnjit/safetensors.hpp (read_safetensors, write_safetensors), and
// write_file_atomic, which every output file goes through.
#pragma once

#include "rnnjit/safetensors.hpp"
#include "runtime/core/atomic_write.hpp"
