#include "runtime/cpu/cpu_disk_cache.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "runtime/core/atomic_write.hpp"
#include "runtime/core/cache_directory.hpp"

namespace rnnjit::cpu {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'R', 'N', 'N', 'J', 'I', 'T', 'C', 'O'};

// Fixed-width fields, written in the host's byte order: an entry never leaves the machine (its key
// names the host CPU), and one from another byte order fails the format check.
struct Header {
  char magic[8];
  uint32_t format;
  uint32_t reserved;
  uint64_t key_size;
  uint64_t object_size;
  uint64_t checksum;  // FNV-1a 64 of the key text followed by the object
};

uint64_t fnv1a(const char* data, size_t size, uint64_t h) {
  for (size_t i = 0; i < size; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull;

uint64_t checksum(const std::string& key, const std::string& object) {
  return fnv1a(object.data(), object.size(), fnv1a(key.data(), key.size(), kFnvBasis));
}

// 32 hex digits: two 64-bit FNV-1a lanes with different offset bases.
std::string file_name(const std::string& key) {
  return fmt::format("{:016x}{:016x}.rnnjito", fnv1a(key.data(), key.size(), kFnvBasis),
                     fnv1a(key.data(), key.size(), kFnvBasis ^ 0x9e3779b97f4a7c15ull));
}

std::string encode(const std::string& key, const std::string& object) {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.format = kCpuObjectCacheFormat;
  h.key_size = key.size();
  h.object_size = object.size();
  h.checksum = checksum(key, object);
  std::string bytes(reinterpret_cast<const char*>(&h), sizeof(h));
  bytes += key;
  bytes += object;
  return bytes;
}

// The object of a whole, undamaged entry for exactly `key`; nullopt otherwise. Sizes are checked
// against the file's length before anything is read at an offset, so no damage can read past it.
std::optional<std::string> decode(const std::string& bytes, const std::string& key) {
  Header h;
  if (bytes.size() < sizeof(h)) return std::nullopt;
  std::memcpy(&h, bytes.data(), sizeof(h));
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0 || h.format != kCpuObjectCacheFormat)
    return std::nullopt;
  const uint64_t body = bytes.size() - sizeof(h);
  if (h.key_size != key.size() || h.object_size > body || h.key_size != body - h.object_size)
    return std::nullopt;
  if (bytes.compare(sizeof(h), key.size(), key) != 0) return std::nullopt;
  std::string object = bytes.substr(sizeof(h) + key.size());
  if (checksum(key, object) != h.checksum) return std::nullopt;
  return object;
}

}  // namespace

DiskObjectStore& DiskObjectStore::shared() {
  static DiskObjectStore store;
  return store;
}

std::optional<fs::path> DiskObjectStore::folder() const {
  if (folder_) return folder_;
  auto root = kernel_cache_directory();
  if (!root) return std::nullopt;
  return *root / "cpu";
}

std::optional<fs::path> DiskObjectStore::entry_path(const std::string& key) const {
  auto dir = folder();
  if (!dir) return std::nullopt;
  return *dir / file_name(key);
}

std::optional<std::string> DiskObjectStore::find(const std::string& key) {
  const auto path = entry_path(key);
  if (!path) return std::nullopt;
  std::ifstream in(*path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  std::string bytes(static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) bytes.clear();
  auto object = decode(bytes, key);
  ++(object ? hits_ : refused_);
  return object;
}

void DiskObjectStore::keep(const std::string& key, const std::string& object) {
  const auto path = entry_path(key);
  if (!path) return;
  try {
    std::error_code ec;
    fs::create_directories(path->parent_path(), ec);
    write_file_atomic(path->string(), encode(key, object));
  } catch (const std::exception&) {
    // A read-only or full cache folder only costs the next process a compile.
  }
}

}  // namespace rnnjit::cpu
