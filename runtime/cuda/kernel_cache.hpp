// The compiled-kernel cache: in memory for the process, and on disk under $XDG_CACHE_HOME/rnnjit
// (default ~/.cache/rnnjit; RNNJIT_CACHE_DIR overrides; RNNJIT_CACHE_DIR=off disables the disk).
//
// The key hashes the generated source, the NVRTC options, the architecture, the NVRTC version and
// kCacheFormat. An entry is a small header (magic, format, payload size, payload checksum, key) and
// the payload; it is written to a temporary file and renamed, so readers never see half an entry.
// An entry that fails any check (truncated, checksum mismatch, other key) is compiled again and
// overwritten.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace rnnjit::cuda {

inline constexpr unsigned kCacheFormat = 1;

// 32 hex digits of a 128-bit FNV-1a hash (two independent 64-bit lanes).
std::string content_hash(const std::string& data);

// The on-disk cache directory (runtime/core/cache_directory.hpp), read from the environment on
// every call; nullopt when disabled.
std::optional<std::filesystem::path> cache_directory();

struct CacheStats {
  int memory_hits = 0;
  int disk_hits = 0;
  int compiles = 0;
  int corrupt_entries = 0;  // entries found damaged and rebuilt
};

class KernelCache {
 public:
  static KernelCache& instance();

  // The NVRTC output (cubin or PTX) for `source` on `arch`, compiled on a miss.
  // Throws what nvrtc_compile throws.
  std::string get(const std::string& source, const std::string& arch, bool cubin);

  // The cache key and the entry file get() uses for these arguments (the file may not exist).
  std::string key(const std::string& source, const std::string& arch, bool cubin) const;
  std::optional<std::filesystem::path> entry_path(const std::string& key) const;

  CacheStats stats() const;
  void clear_memory();  // forget the in-memory entries (tests use it to reach the disk)

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> memory_;
  CacheStats stats_;
};

}  // namespace rnnjit::cuda
