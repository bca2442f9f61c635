#include "runtime/cuda/kernel_cache.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "runtime/core/cache_directory.hpp"
#include "runtime/cuda/nvrtc_api.hpp"
#include "runtime/cuda/nvrtc_compile.hpp"

namespace rnnjit::cuda {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'R', 'N', 'N', 'J', 'I', 'T', 'K', 'C'};

uint64_t fnv1a(const std::string& s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

struct Header {
  char magic[8];
  uint32_t format;
  uint32_t reserved;
  uint64_t size;
  uint64_t checksum;
  char key[32];
};

uint64_t checksum(const std::string& payload) {
  return fnv1a(payload, 0xcbf29ce484222325ull);
}

// The payload of a valid entry for `key`, or nullopt (and *corrupt = true when the file exists but
// fails a check).
std::optional<std::string> read_entry(const fs::path& path, const std::string& key, bool* corrupt) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  *corrupt = true;
  Header h;
  if (bytes.size() < sizeof(Header)) return std::nullopt;
  std::memcpy(&h, bytes.data(), sizeof(Header));
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0 || h.format != kCacheFormat)
    return std::nullopt;
  if (std::string(h.key, sizeof(h.key)) != key) return std::nullopt;
  if (h.size != bytes.size() - sizeof(Header)) return std::nullopt;
  std::string payload = bytes.substr(sizeof(Header));
  if (checksum(payload) != h.checksum) return std::nullopt;
  *corrupt = false;
  return payload;
}

// Temp file in the same directory, then rename: atomic on POSIX file systems.
void write_entry(const fs::path& path, const std::string& key, const std::string& payload) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.format = kCacheFormat;
  h.size = payload.size();
  h.checksum = checksum(payload);
  std::memcpy(h.key, key.data(), sizeof(h.key));
  std::random_device rd;
  const fs::path tmp = path.string() + fmt::format(".tmp.{}.{:x}", getpid(), rd());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;  // a read-only cache directory only costs the next process a compile
    out.write(reinterpret_cast<const char*>(&h), sizeof(h));
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    if (!out) {
      fs::remove(tmp, ec);
      return;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
}

}  // namespace

std::string content_hash(const std::string& data) {
  return fmt::format("{:016x}{:016x}", fnv1a(data, 0xcbf29ce484222325ull),
                     fnv1a(data, 0x84222325cbf29ce4ull ^ 0x9e3779b97f4a7c15ull));
}

std::optional<fs::path> cache_directory() {
  return kernel_cache_directory();
}

KernelCache& KernelCache::instance() {
  static KernelCache cache;
  return cache;
}

std::string KernelCache::key(const std::string& source, const std::string& arch, bool cubin) const {
  std::ostringstream k;
  k << "format=" << kCacheFormat << "\nnvrtc=" << nvrtc_version() << "\narch=" << arch
    << "\nkind=" << (cubin ? "cubin" : "ptx") << "\noptions=";
  for (auto& o : nvrtc_options(arch, cubin)) k << o << ' ';
  k << "\nsource=" << source;
  return content_hash(k.str());
}

std::optional<fs::path> KernelCache::entry_path(const std::string& key) const {
  auto dir = cache_directory();
  if (!dir) return std::nullopt;
  return *dir / (key + ".rnnjitk");
}

std::string KernelCache::get(const std::string& source, const std::string& arch, bool cubin) {
  const std::string k = key(source, arch, cubin);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = memory_.find(k); it != memory_.end()) {
      ++stats_.memory_hits;
      return it->second;
    }
  }
  const auto path = entry_path(k);
  if (path) {
    bool corrupt = false;
    if (auto payload = read_entry(*path, k, &corrupt)) {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.disk_hits;
      memory_[k] = *payload;
      return *payload;
    }
    if (corrupt) {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.corrupt_entries;
    }
  }
  std::string binary = nvrtc_compile(source, arch, cubin);
  if (path) write_entry(*path, k, binary);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.compiles;
  memory_[k] = binary;
  return binary;
}

CacheStats KernelCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void KernelCache::clear_memory() {
  std::lock_guard<std::mutex> lock(mu_);
  memory_.clear();
}

}  // namespace rnnjit::cuda
