// The kernel cache: a second compile hits the cache (memory, then disk in a fresh process, which
// clear_memory() stands in for), a damaged entry is detected and rebuilt, RNNJIT_CACHE_DIR=off
// disables the disk.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "runtime/cuda/kernel_cache.hpp"
#include "runtime/cuda/nvrtc_api.hpp"

namespace rnnjit {
namespace {

namespace fs = std::filesystem;
using cuda::KernelCache;

class KernelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!cuda::nvrtc_available(&why)) GTEST_SKIP() << "SKIPPED: " << why;
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("rnnjit-cache-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    ::setenv("RNNJIT_CACHE_DIR", dir_.c_str(), 1);
    // A small kernel, unique per test run so nothing from earlier runs answers.
    source_ = "// run " + std::to_string(rd()) +
              "\nextern \"C\" __global__ void scale(float* x, float a) { x[threadIdx.x] *= a; }\n";
  }
  void TearDown() override {
    ::unsetenv("RNNJIT_CACHE_DIR");
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  fs::path dir_;
  std::string source_;
};

TEST_F(KernelCacheTest, SecondCompileHitsMemoryThenDisk) {
  KernelCache& cache = KernelCache::instance();
  const cuda::CacheStats before = cache.stats();
  const std::string first = cache.get(source_, "sm_90", false);
  EXPECT_NE(first.find(".entry scale"), std::string::npos);
  EXPECT_EQ(cache.stats().compiles, before.compiles + 1);

  EXPECT_EQ(cache.get(source_, "sm_90", false), first);
  EXPECT_EQ(cache.stats().memory_hits, before.memory_hits + 1);
  EXPECT_EQ(cache.stats().compiles, before.compiles + 1);

  const auto path = cache.entry_path(cache.key(source_, "sm_90", false));
  ASSERT_TRUE(path);
  EXPECT_TRUE(fs::exists(*path));
  EXPECT_EQ(path->parent_path(), dir_);
  cache.clear_memory();
  EXPECT_EQ(cache.get(source_, "sm_90", false), first);
  EXPECT_EQ(cache.stats().disk_hits, before.disk_hits + 1);
  EXPECT_EQ(cache.stats().compiles, before.compiles + 1);

  // Another architecture is another key.
  cache.get(source_, "sm_80", false);
  EXPECT_EQ(cache.stats().compiles, before.compiles + 2);
  // No temporary files left behind.
  for (auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST_F(KernelCacheTest, CorruptEntriesAreRebuilt) {
  KernelCache& cache = KernelCache::instance();
  const std::string good = cache.get(source_, "sm_90", false);
  const auto path = *cache.entry_path(cache.key(source_, "sm_90", false));
  const auto size = fs::file_size(path);

  // 1: truncated.
  fs::resize_file(path, size / 2);
  cache.clear_memory();
  cuda::CacheStats s = cache.stats();
  EXPECT_EQ(cache.get(source_, "sm_90", false), good);
  EXPECT_EQ(cache.stats().corrupt_entries, s.corrupt_entries + 1);
  EXPECT_EQ(cache.stats().compiles, s.compiles + 1);
  EXPECT_EQ(fs::file_size(path), size);  // rewritten whole

  // 2: one payload byte flipped (the stored checksum no longer matches).
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size - 10));
    char c;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(size - 10));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  cache.clear_memory();
  s = cache.stats();
  EXPECT_EQ(cache.get(source_, "sm_90", false), good);
  EXPECT_EQ(cache.stats().corrupt_entries, s.corrupt_entries + 1);

  // 3: repaired: the next fresh lookup is a clean disk hit.
  cache.clear_memory();
  s = cache.stats();
  EXPECT_EQ(cache.get(source_, "sm_90", false), good);
  EXPECT_EQ(cache.stats().disk_hits, s.disk_hits + 1);
  EXPECT_EQ(cache.stats().corrupt_entries, s.corrupt_entries);
}

TEST_F(KernelCacheTest, OffDisablesTheDisk) {
  ::setenv("RNNJIT_CACHE_DIR", "off", 1);
  EXPECT_FALSE(cuda::cache_directory());
  KernelCache& cache = KernelCache::instance();
  EXPECT_FALSE(cache.entry_path(cache.key(source_, "sm_90", false)));
  const cuda::CacheStats s = cache.stats();
  cache.get(source_ + "// off\n", "sm_90", false);
  cache.clear_memory();
  cache.get(source_ + "// off\n", "sm_90", false);
  EXPECT_EQ(cache.stats().compiles, s.compiles + 2);  // nothing on disk to hit
  EXPECT_FALSE(fs::exists(dir_));
}

TEST(KernelCacheDir, EnvironmentDecidesTheDirectory) {
  ::setenv("RNNJIT_CACHE_DIR", "/x/y", 1);
  EXPECT_EQ(*cuda::cache_directory(), fs::path("/x/y"));
  ::unsetenv("RNNJIT_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(*cuda::cache_directory(), fs::path("/xdg/rnnjit"));
  ::unsetenv("XDG_CACHE_HOME");
  if (const char* home = std::getenv("HOME")) {
    EXPECT_EQ(*cuda::cache_directory(), fs::path(home) / ".cache" / "rnnjit");
  }
}

}  // namespace
}  // namespace rnnjit
