#include "runtime/train/checkpoint.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
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
  const char* first = name.data() + pre.size();
  const char* last = name.data() + name.size() - suf.size();
  int64_t step = -1;
  auto [end, ec] = std::from_chars(first, last, step);
  if (ec != std::errc() || end != last || step < 0) return -1;  // not digits, or too many
  return step;
}

std::vector<std::pair<int64_t, fs::path>> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, fs::path>> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    const int64_t s = step_of(e.path());
    if (s >= 0 && e.is_regular_file(ec)) out.emplace_back(s, e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::string& metadata_text(const Checkpoint& c, const std::string& key) {
  auto it = c.metadata.find(key);
  if (it == c.metadata.end())
    throw std::runtime_error(c.path + ": checkpoint metadata lacks '" + key + "'");
  return it->second;
}

}  // namespace

std::string save_checkpoint(const std::string& dir, int64_t step, const TensorMap& tensors,
                            Metadata metadata, int keep) {
  fs::create_directories(dir);
  metadata["step"] = std::to_string(step);
  const std::string path = checkpoint_path(dir, step);
  write_safetensors(path, tensors, metadata);
  std::vector<fs::path> older;  // checkpoints of earlier steps, oldest first
  for (auto& [s, p] : list_checkpoints(dir))
    if (s < step) older.push_back(p);
  const int64_t excess = static_cast<int64_t>(older.size()) - (std::max(keep, 1) - 1);
  for (int64_t i = 0; i < excess; ++i) fs::remove(older[static_cast<size_t>(i)]);
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
  if (!c.metadata.count("step"))
    throw std::runtime_error(path + ": not an rnnjit checkpoint (no 'step' in the metadata)");
  c.step = metadata_int(c, "step");
  if (c.step < 0) throw std::runtime_error(path + ": checkpoint metadata 'step' is negative");
  return c;
}

std::optional<Checkpoint> newest_readable_checkpoint(const std::string& dir) {
  auto all = list_checkpoints(dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      return load_checkpoint(it->second.string());
    } catch (const std::runtime_error&) {
    }
  }
  return std::nullopt;
}

Checkpoint load_resume_checkpoint(const std::string& dir,
                                  const std::function<void(const std::string&)>& warn) {
  auto all = list_checkpoints(dir);
  if (all.empty()) throw std::runtime_error(dir + ": no checkpoint-*.safetensors to resume from");
  std::string first_error;
  std::vector<fs::path> unreadable;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      Checkpoint c = load_checkpoint(it->second.string());
      for (const fs::path& bad : unreadable) {
        const fs::path aside = bad.string() + ".corrupt";
        std::error_code ec;
        fs::rename(bad, aside, ec);
        warn(fmt::format(
            "{} cannot be read ({}); resuming from the previous checkpoint {} "
            "instead{}",
            bad.string(), first_error, c.path,
            ec ? std::string() : ", and keeping the unreadable one as " + aside.string()));
      }
      return c;
    } catch (const std::runtime_error& e) {
      if (first_error.empty()) first_error = e.what();
      unreadable.push_back(it->second);
    }
  }
  throw std::runtime_error(first_error + " (and no older checkpoint in " + dir + " reads)");
}

namespace {

template <class Int>
Int metadata_integer(const Checkpoint& c, const std::string& key) {
  const std::string& t = metadata_text(c, key);
  Int v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty())
    throw std::runtime_error(c.path + ": checkpoint metadata '" + key + "' is not an integer: '" +
                             t.substr(0, 40) + "'");
  return v;
}

}  // namespace

int64_t metadata_int(const Checkpoint& c, const std::string& key) {
  return metadata_integer<int64_t>(c, key);
}

uint64_t metadata_uint(const Checkpoint& c, const std::string& key) {
  return metadata_integer<uint64_t>(c, key);
}

double metadata_double(const Checkpoint& c, const std::string& key) {
  const std::string& t = metadata_text(c, key);
  double v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty())
    throw std::runtime_error(c.path + ": checkpoint metadata '" + key + "' is not a number: '" +
                             t.substr(0, 40) + "'");
  return v;
}

}  // namespace rnnjit::train
