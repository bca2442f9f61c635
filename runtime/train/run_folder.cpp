#include "runtime/train/run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

#include "compiler/spec_canonical.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/version.hpp"

namespace rnnjit::train {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Every file name rnnjit writes at the top of a run folder, besides checkpoints.
// clang-format off
const std::vector<std::string> kRunFiles = {
    "metrics.csv", "summary.json", "config.json",
    // an ensemble's own files (runtime/ring/ring_ensemble.hpp), beside its member-NNN folders
    "ensemble.json", "ensemble.csv", "ensemble_errors.png",
    // the ring trainer's figures (runtime/ring/ring_figures.cpp)
    "weights_initial.png", "weights_trained.png", "loss.png", "activity.png", "bump_profiles.png",
    "angle.png", "weights_evolution.gif",
    // the VWM trainer's figures (runtime/vwm/vwm_figures.cpp)
    "loss_lr.png", "error_vs_set_size.png", "weights.png", "rates.png",
    // the VWM analyses (runtime/vwm/analyze_*.cpp), in analysis/
    "analysis/errors.json", "analysis/error_hist.png", "analysis/snr.json",
    "analysis/snr_vs_set_size.png", "analysis/fixed_points.json", "analysis/fixed_points_pca.png"};
// clang-format on

bool is_checkpoint_name(const std::string& name) {
  return starts_with(name, "checkpoint-") &&
         (ends_with(name, ".safetensors") || ends_with(name, ".safetensors.corrupt"));
}

std::string run_id_of(const std::string& dir) {
  if (auto id = metrics_run_id(dir + "/metrics.csv")) return " (run " + *id + ")";
  return "";
}

void create_folder(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw std::runtime_error(dir + ": cannot create the output folder" +
                             (ec ? ": " + ec.message() : std::string(": a file is in the way")));
}

}  // namespace

std::string RunRecord::spec_hash() const {
  return rnnjit::spec_hash(spec);
}

void RunRecord::to_metadata(Metadata& md) const {
  md["run_id"] = run_id;
  md["model"] = model;
  md["model_spec"] = spec.dump();
  md["spec_hash"] = spec_hash();
  md["spec_text"] = spec_text;
  md["rnnjit_version"] = version();
}

std::optional<RunRecord> RunRecord::from_metadata(const Metadata& md, const std::string& path) {
  auto id = md.find("run_id");
  if (id == md.end()) return std::nullopt;
  RunRecord r;
  r.run_id = id->second;
  auto get = [&](const char* key) -> std::string {
    auto it = md.find(key);
    if (it == md.end())
      throw std::runtime_error(path + ": checkpoint metadata has a run id but no '" + key + "'");
    return it->second;
  };
  r.model = get("model");
  r.spec_text = get("spec_text");
  r.spec = nlohmann::json::parse(get("model_spec"), nullptr, false);
  if (r.spec.is_discarded())
    throw std::runtime_error(path + ": checkpoint metadata 'model_spec' is not JSON");
  return r;
}

std::string new_run_id() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::random_device rd;
  return fmt::format("{}-{:08x}", stamp, rd());
}

bool is_run_file(const std::string& name) {
  if (is_checkpoint_name(name)) return true;
  if (starts_with(name, "movie/frame-") && ends_with(name, ".png")) return true;
  return std::find(kRunFiles.begin(), kRunFiles.end(), name) != kRunFiles.end();
}

std::vector<std::string> run_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const char* sub : {"", "movie", "analysis"}) {
    const fs::path d = fs::path(dir) / sub;
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      const std::string rel = (fs::path(sub) / e.path().filename()).generic_string();
      if (is_run_file(rel) && !e.is_directory(ec)) out.push_back(rel);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void prepare_fresh_run(const std::string& dir, bool overwrite) {
  create_folder(dir);
  std::error_code ec;
  const std::vector<std::string> files = run_files(dir);
  if (files.empty()) return;
  if (!overwrite)
    throw UsageError(fmt::format(
        "{} already holds a training run{} ({} files, e.g. {}): continue it with --resume, "
        "replace it with --overwrite, or give another --out",
        dir, run_id_of(dir), files.size(), files.front()));
  for (const std::string& f : files) {
    fs::remove(fs::path(dir) / f, ec);
    if (ec) throw std::runtime_error(dir + "/" + f + ": cannot remove: " + ec.message());
  }
  for (const char* sub : {"movie", "analysis"})  // only if now empty: a user's files stay
    if (fs::is_directory(fs::path(dir) / sub, ec) && fs::is_empty(fs::path(dir) / sub, ec))
      fs::remove(fs::path(dir) / sub, ec);
}

std::vector<std::string> remove_orphan_temporaries(const std::string& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return removed;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!is_orphan_temporary(name) || !e.is_regular_file(ec)) continue;
    // Only temporaries of run files: ".checkpoint-00000300.safetensors.tmp123" -> its target.
    const std::string target = name.substr(1, name.rfind(".tmp") - 1);
    if (is_run_file(target) && fs::remove(e.path(), ec)) removed.push_back(name);
  }
  return removed;
}

RunFolderLock::RunFolderLock(const std::string& dir) {
  const std::string path = dir + "/.rnnjit-lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot create the run folder's lock file");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw UsageError(dir + " is being written by another rnnjit process right now (it holds " +
                     path + "); wait for it or give another --out");
  }
}

RunFolderLock::~RunFolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock; the empty lock file stays, harmless
}

std::string metrics_comment(const std::string& run_id) {
  return "rnnjit run " + run_id;
}

std::optional<std::string> metrics_run_id(const std::string& csv_path) {
  std::ifstream in(csv_path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  const std::string prefix = "# rnnjit run ";
  if (!starts_with(line, prefix)) return std::nullopt;
  return line.substr(prefix.size());
}

void check_same_model(const RunRecord& run, const nlohmann::json& now,
                      const std::string& checkpoint, const std::string& now_source) {
  if (auto d = first_difference(run.spec, now))
    throw UsageError(fmt::format(
        "{} does not describe the run being resumed ({}): {}; resume with the run's own spec "
        "(leave the spec out to use the copy stored in the checkpoint) or start a new run",
        now_source, checkpoint, *d));
}

OpenRun open_run(const std::string& dir, bool resume, bool overwrite, RunRecord fresh,
                 const std::optional<nlohmann::json>& now, const std::string& now_source,
                 const std::function<void(const std::string&)>& warn) {
  OpenRun run;
  if (!resume) {
    create_folder(dir);
    run.lock = std::make_unique<RunFolderLock>(dir);  // before looking: no one else is writing
    prepare_fresh_run(dir, overwrite);
    remove_orphan_temporaries(dir);
    run.record = std::move(fresh);
    run.record.run_id = new_run_id();
    return run;
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UsageError(dir + ": no such run folder to resume (give the folder a run wrote)");
  run.lock = std::make_unique<RunFolderLock>(dir);
  remove_orphan_temporaries(dir);
  run.checkpoint = load_resume_checkpoint(dir, warn);
  const std::string& path = run.checkpoint->path;
  if (auto m = run.checkpoint->metadata.find("model");
      m != run.checkpoint->metadata.end() && m->second != fresh.model)
    throw UsageError(path + " is a checkpoint of the " + m->second + " trainer, not the " +
                     fresh.model + " trainer");
  if (auto record = RunRecord::from_metadata(run.checkpoint->metadata, path)) {
    run.record = std::move(*record);
    if (now) check_same_model(run.record, *now, path, now_source);
    const auto csv_id = metrics_run_id(dir + "/metrics.csv");
    if (csv_id && *csv_id != run.record.run_id)
      throw std::runtime_error(dir + "/metrics.csv belongs to run " + *csv_id + " but " + path +
                               " to run " + run.record.run_id +
                               ": the folder mixes two runs; move one of them away");
  } else {
    warn(path + " was written before rnnjit recorded runs: the spec cannot be checked against it");
    run.record = std::move(fresh);
    run.record.run_id = metrics_run_id(dir + "/metrics.csv").value_or(new_run_id());
  }
  return run;
}

nlohmann::json summary_header(const RunRecord& run, const std::string& spec_path,
                              const std::string& command_line, const std::string& backend,
                              const std::string& device) {
  return {{"rnnjit_version", version()}, {"command_line", command_line},
          {"run_id", run.run_id},        {"model", run.model},
          {"spec", spec_path},           {"spec_hash", run.spec_hash()},
          {"backend", backend},          {"device", device}};
}

}  // namespace rnnjit::train
