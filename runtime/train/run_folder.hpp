// A run folder belongs to one training run. This file holds the rules that keep it so:
//   - a run has an id (new_run_id), stored in every checkpoint's metadata, in metrics.csv's first
//     line ("# rnnjit run <id>") and in summary.json;
//   - a fresh run refuses a folder that holds another run unless asked to overwrite it, and then
//     removes that run's files only (run_files lists what rnnjit writes; nothing else is touched);
//   - a resumed run checks that the model it is given is the model the run was trained with;
//   - one process at a time writes a folder (RunFolderLock);
//   - temporary files a killed write left behind are removed when the next run starts.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/safetensors.hpp"
#include "runtime/train/checkpoint.hpp"

namespace rnnjit::train {

// What identifies a run and the model it trains. Saved into each checkpoint's metadata.
struct RunRecord {
  std::string run_id;     // new_run_id() when the run began
  std::string model;      // the trainer: "ring" | "vwm"
  nlohmann::json spec;    // the model's canonical form (compiler/spec_canonical.hpp) and the
                          // trainer's own model fields
  std::string spec_text;  // the spec as the user wrote it (YAML or JSON), to resume without it

  std::string spec_hash() const;
  void to_metadata(Metadata& md) const;
  // The record of a checkpoint's metadata; nullopt for a checkpoint written before run records.
  static std::optional<RunRecord> from_metadata(const Metadata& md, const std::string& path);
};

// "<UTC time>-<8 hex digits>", e.g. "20261205T021530Z-3f9a2c1b": sortable, unique in practice.
std::string new_run_id();

// Whether `name` (a path relative to the run folder) is a file rnnjit writes into run folders:
// checkpoints (and set-aside corrupt ones), metrics.csv, summary.json, config.json, the figures,
// the movie frames and the analyses' outputs.
bool is_run_file(const std::string& name);
// The run files present in `dir` (relative paths), sorted.
std::vector<std::string> run_files(const std::string& dir);

// Gets `dir` ready for a fresh run (created if missing). When it holds another run's files:
// UsageError naming the folder and the run, unless `overwrite`, which removes exactly those files.
void prepare_fresh_run(const std::string& dir, bool overwrite);

// Removes the ".<name>.tmp<digits>" files an interrupted atomic write left in `dir`; returns their
// names.
std::vector<std::string> remove_orphan_temporaries(const std::string& dir);

// An exclusive lock on a run folder (flock of <dir>/.rnnjit-lock) for the lifetime of the object:
// a second process training into the same folder gets a UsageError instead of interleaving its
// files with the first one's. The lock goes away with the process, even on SIGKILL.
class RunFolderLock {
 public:
  explicit RunFolderLock(const std::string& dir);
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

 private:
  int fd_ = -1;
};

// metrics.csv's first line for a run ("rnnjit run <id>"; CsvWriter adds the "# "), and the run id
// read back from an existing metrics.csv (nullopt when it has none).
std::string metrics_comment(const std::string& run_id);
std::optional<std::string> metrics_run_id(const std::string& csv_path);

// Checks that the model a resumed run is given (`now`) is the one it was trained with (`run`):
// UsageError naming the first field that differs, the checkpoint and where `now` came from.
void check_same_model(const RunRecord& run, const nlohmann::json& now,
                      const std::string& checkpoint, const std::string& now_source);

// A run folder opened for training: locked for this process, cleared of orphan temporaries, and
// either fresh or positioned at the checkpoint to resume from.
struct OpenRun {
  std::unique_ptr<RunFolderLock> lock;
  std::optional<Checkpoint> checkpoint;  // the one to resume from; nullopt for a fresh run
  RunRecord record;                      // the run's: the checkpoint's when resuming
};

// Opens `dir` for a run of the trainer `fresh.model`.
//   Fresh (resume false): prepare_fresh_run(dir, overwrite); the record is `fresh` with a new id.
//   Resume: load_resume_checkpoint (`warn` hears of a corrupt newest checkpoint); the checkpoint
//   must be one of this trainer; when `now` is given (the spec the user named) it must describe
//   the run's model (check_same_model); metrics.csv must carry the checkpoint's run id. A
//   checkpoint from before run records resumes unchecked, with a warning.
OpenRun open_run(const std::string& dir, bool resume, bool overwrite, RunRecord fresh,
                 const std::optional<nlohmann::json>& now, const std::string& now_source,
                 const std::function<void(const std::string&)>& warn);

// The fields every summary.json starts with: rnnjit's version, the command line, the run id, the
// model, the spec and its hash, the backend and device.
nlohmann::json summary_header(const RunRecord& run, const std::string& spec_path,
                              const std::string& command_line, const std::string& backend,
                              const std::string& device);

}  // namespace rnnjit::train
