// Training checkpoints: one safetensors file per saved step (<dir>/checkpoint-<step>.safetensors),
// written atomically (temporary file + rename), so a crash never leaves a half-written checkpoint
// that --resume would pick up. A checkpoint holds whatever tensors the trainer puts in it (the
// parameters in float64, the optimiser moments, ...) and string metadata (step, the run record of
// run_folder.hpp, the trainer's settings).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime/core/safetensors.hpp"
#include "runtime/core/tensor.hpp"

namespace rnnjit::train {

struct Checkpoint {
  int64_t step = 0;
  TensorMap tensors;
  Metadata metadata;  // always has "step"
  std::string path;
};

// Writes the checkpoint of `step` into `dir` (created if missing), then deletes older checkpoints
// so that the newest `keep` with a step <= `step` remain. The one just written is never deleted,
// and neither is one of a later step. Returns the file's path.
std::string save_checkpoint(const std::string& dir, int64_t step, const TensorMap& tensors,
                            Metadata metadata, int keep = 2);

// The file save_checkpoint writes for `step` in `dir`.
std::string checkpoint_path(const std::string& dir, int64_t step);

// The newest checkpoint file of `dir` (highest step), if any.
std::optional<std::string> latest_checkpoint(const std::string& dir);

// Reads a checkpoint; throws std::runtime_error naming the file if it is not one.
Checkpoint load_checkpoint(const std::string& path);

// The newest checkpoint of `dir` that reads, without changing anything (nullopt: none reads).
std::optional<Checkpoint> newest_readable_checkpoint(const std::string& dir);

// The checkpoint a resume continues from: the newest of `dir` that reads. A newer one that does
// not read (truncated, bad header) is renamed to <name>.corrupt, so it is kept but no longer
// picked, and `warn` is told both files. Throws std::runtime_error when there is no checkpoint, or
// none that reads (the newest one's error is kept).
Checkpoint load_resume_checkpoint(const std::string& dir,
                                  const std::function<void(const std::string&)>& warn);

// A metadata value that must be there and be an integer / a number; std::runtime_error naming the
// checkpoint and the key otherwise.
int64_t metadata_int(const Checkpoint& c, const std::string& key);
uint64_t metadata_uint(const Checkpoint& c, const std::string& key);
double metadata_double(const Checkpoint& c, const std::string& key);

}  // namespace rnnjit::train
