// Training checkpoints: one safetensors file per saved step (<dir>/checkpoint-<step>.safetensors),
// written atomically (temporary file + rename), so a crash never leaves a half-written checkpoint
// that --resume would pick up. A checkpoint holds whatever tensors the trainer puts in it (the
// parameters in float64, the optimiser moments, ...) and string metadata (step, seeds, config).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/safetensors.hpp"
#include "runtime/tensor.hpp"

namespace rnnjit::train {

struct Checkpoint {
  int64_t step = 0;
  TensorMap tensors;
  Metadata metadata;  // always has "step"
  std::string path;
};

// Writes the checkpoint of `step` into `dir` (created if missing) and deletes all but the newest
// `keep` checkpoints there. Returns the file's path.
std::string save_checkpoint(const std::string& dir, int64_t step, const TensorMap& tensors,
                            Metadata metadata, int keep = 2);

// The file save_checkpoint writes for `step` in `dir`.
std::string checkpoint_path(const std::string& dir, int64_t step);

// The newest checkpoint file of `dir` (highest step), if any.
std::optional<std::string> latest_checkpoint(const std::string& dir);

// Reads a checkpoint; throws std::runtime_error naming the file if it is not one.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace rnnjit::train
