// The CPU backend's compiled kernels on disk: object files under <cache>/cpu/, where <cache> is
// kernel_cache_directory() (RNNJIT_CACHE_DIR; `off` keeps everything in memory), so that a process
// links in milliseconds what an earlier one spent tenths of a second optimising and generating.
//
// An entry is named by a 128-bit FNV-1a hash of its key and holds a header (magic, format, the
// sizes, a checksum of key and object), the whole key and the object. The key is compared whole
// on every read, so a hash collision, like a truncated or damaged file, is a miss: the cell
// is compiled again and the entry replaced. Entries are written through write_file_atomic (a
// temporary file, then a rename), so a reader never sees half of one.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

#include "compiler/cpu/cpu_object_store.hpp"

namespace rnnjit::cpu {

class DiskObjectStore final : public CompiledObjectStore {
 public:
  DiskObjectStore() = default;  // the folder from the environment, read on every call
  explicit DiskObjectStore(std::filesystem::path folder) : folder_(std::move(folder)) {}

  // The process's store, which follows the environment: what the CPU executor uses.
  static DiskObjectStore& shared();

  std::optional<std::string> find(const std::string& key) override;
  void keep(const std::string& key, const std::string& object) override;

  // The file an entry for `key` lives in (it may not exist), or nullopt when the cache is off.
  std::optional<std::filesystem::path> entry_path(const std::string& key) const;

  // Entries read whole and valid, and entries found but refused (damaged, or another key's).
  int hits() const { return hits_; }
  int refused() const { return refused_; }

 private:
  std::optional<std::filesystem::path> folder() const;

  std::optional<std::filesystem::path> folder_;
  std::atomic<int> hits_{0}, refused_{0};
};

}  // namespace rnnjit::cpu
