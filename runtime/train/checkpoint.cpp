#include "runtime/train/checkpoint.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace rnnjit::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "checkpoint-";
constexpr const char* kSuffix = ".safetensors";

// The step encoded in a checkpoint file name, or -1 if the name is not one.
int64_t step_of(const fs::path& p) {
  const std::string name = p.filename().string();
  const std::string pre = kPrefix, suf = kSuffix;
  if (name.size() <= pre.size() + suf.size() || name.rfind(pre, 0) != 0 ||
      name.compare(name.size() - suf.size(), suf.size(), suf) != 0)
    return -1;
  const std::string digits = name.substr(pre.size(), name.size() - pre.size() - suf.size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
  return std::stoll(digits);
}

std::vector<std::pair<int64_t, fs::path>> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, fs::path>> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto& e : fs::directory_iterator(dir)) {
    const int64_t s = step_of(e.path());
    if (s >= 0 && e.is_regular_file()) out.emplace_back(s, e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string save_checkpoint(const std::string& dir, int64_t step, const TensorMap& tensors,
                            Metadata metadata, int keep) {
  fs::create_directories(dir);
  metadata["step"] = std::to_string(step);
  const std::string path = checkpoint_path(dir, step);
  write_safetensors(path, tensors, metadata);
  auto all = list_checkpoints(dir);
  const int64_t excess = static_cast<int64_t>(all.size()) - std::max(keep, 1);
  for (int64_t i = 0; i < excess; ++i) fs::remove(all[static_cast<size_t>(i)].second);
  return path;
}

std::string checkpoint_path(const std::string& dir, int64_t step) {
  return (fs::path(dir) / fmt::format("{}{:08d}{}", kPrefix, step, kSuffix)).string();
}

std::optional<std::string> latest_checkpoint(const std::string& dir) {
  auto all = list_checkpoints(dir);
  if (all.empty()) return std::nullopt;
  return all.back().second.string();
}

Checkpoint load_checkpoint(const std::string& path) {
  Checkpoint c;
  c.path = path;
  c.tensors = read_safetensors(path, &c.metadata);
  auto it = c.metadata.find("step");
  if (it == c.metadata.end())
    throw std::runtime_error(path + ": not an rnnjit checkpoint (no 'step' in the metadata)");
  c.step = std::stoll(it->second);
  return c;
}

}  // namespace rnnjit::train
