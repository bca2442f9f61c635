// The CPU backend's disk cache of compiled kernels (runtime/cpu/cpu_disk_cache.hpp): an object
// loaded from it computes exactly what a fresh compile computes; damaged entries, and entries of
// another key under the same name, are compiled again and replaced; RNNJIT_CACHE_DIR=off writes
// nothing; another activation, precision or size is another key. Every test has a cache folder of
// its own in RNNJIT_CACHE_DIR, and empties the in-memory cache before each compile it inspects so
// that compile_cpu_cell goes to the disk.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "compiler/cpu/cpu_codegen.hpp"
#include "runtime/cpu/cpu_disk_cache.hpp"
#include "runtime/cpu/cpu_executor.hpp"
#include "tests/cpu/cpu_run_util.hpp"

namespace rnnjit {
namespace {

namespace fs = std::filesystem;
using cputest::cell_module;

// Sets an environment variable for the test's lifetime and restores the old value after it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class CpuDiskCache : public ::testing::Test {
 protected:
  CpuDiskCache()
      : root_(fs::temp_directory_path() / ("rnnjit-cpu-cache-test-" + std::to_string(::getpid()) +
                                           "-" + std::to_string(std::random_device{}()))),
        env_("RNNJIT_CACHE_DIR", root_.string()) {
    fs::create_directories(root_);
    cpu::forget_cpu_cells_in_memory();
  }
  ~CpuDiskCache() override {
    cpu::forget_cpu_cells_in_memory();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Compiles `m` afresh as far as this process is concerned: from the disk or by the compiler.
  std::shared_ptr<const cpu::CompiledCpuCell> compile(const ir::Module& m,
                                                      const std::string& precision) {
    cpu::forget_cpu_cells_in_memory();
    bool memory_hit = true;
    auto cell = cpu::compile_cpu_cell(m, precision, &memory_hit, &store_);
    EXPECT_FALSE(memory_hit);
    return cell;
  }

  // Forward and backward through a CPU executor, which takes the cell compile() left in memory.
  cputest::RunResults run(const ir::Module& m, const std::string& precision,
                          const cputest::RunData& d) {
    ExecutorConfig cfg;
    cfg.backend = "cpu";
    cfg.precision = precision;
    auto exec = make_cpu_executor(m, cfg);
    return cputest::run_once(*exec, d);
  }

  std::vector<fs::path> entries() const {
    std::vector<fs::path> out;
    if (fs::is_directory(root_ / "cpu"))
      for (const auto& e : fs::directory_iterator(root_ / "cpu")) out.push_back(e.path());
    return out;
  }

  fs::path root_;
  ScopedEnv env_;
  cpu::DiskObjectStore store_;  // follows RNNJIT_CACHE_DIR, like the executor's
};

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

struct HitCase {
  int64_t n, k;
  std::string precision;
};

class CpuDiskCacheHit : public CpuDiskCache, public ::testing::WithParamInterface<HitCase> {};

TEST_P(CpuDiskCacheHit, GivesTheSameBitsAsAFreshCompile) {
  const HitCase c = GetParam();
  const ir::Activation act = ir::Activation::Gelu;
  const ir::Module m = cell_module(c.n, c.k, act);
  const auto data = cputest::random_run_data(m, act, 5, 12);
  SCOPED_TRACE("seed " + std::to_string(data.seed));

  auto fresh = compile(m, c.precision);
  EXPECT_EQ(fresh->origin, cpu::CpuCellOrigin::Compiled);
  ASSERT_EQ(entries().size(), 1u) << "the compile wrote no entry";
  const auto want = run(m, c.precision, data);

  auto loaded = compile(m, c.precision);
  EXPECT_EQ(loaded->origin, cpu::CpuCellOrigin::ObjectStore);
  EXPECT_EQ(store_.hits(), 1);
  EXPECT_NE(loaded->fwd, fresh->fwd) << "the kernels were not linked again";
  cputest::expect_same_bits(run(m, c.precision, data), want);
  EXPECT_EQ(entries().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(CpuDiskCache, CpuDiskCacheHit,
                         ::testing::Values(HitCase{7, 3, "fp32"}, HitCase{7, 3, "fp64"},
                                           HitCase{33, 2, "fp32"}, HitCase{33, 2, "fp64"}),
                         [](const auto& info) {
                           return "N" + std::to_string(info.param.n) + "_K" +
                                  std::to_string(info.param.k) + "_" + info.param.precision;
                         });

TEST_F(CpuDiskCache, DamagedOrForeignEntriesAreCompiledAgainAndReplaced) {
  const ir::Activation act = ir::Activation::Tanh;
  const ir::Module m = cell_module(9, 2, act);
  const auto data = cputest::random_run_data(m, act, 4, 10);
  SCOPED_TRACE("seed " + std::to_string(data.seed));
  compile(m, "fp32");
  const auto want = run(m, "fp32", data);
  ASSERT_EQ(entries().size(), 1u);
  const fs::path entry = entries()[0];
  const std::string good = read_bytes(entry);

  // A valid entry of another key (another activation), under this key's name: what a collision
  // of the file names' hashes would look like.
  const ir::Module other = cell_module(9, 2, ir::Activation::Relu);
  compile(other, "fp32");
  ASSERT_EQ(entries().size(), 2u);
  std::string foreign;
  for (const auto& e : entries())
    if (e != entry) foreign = read_bytes(e);

  std::mt19937_64 rng(std::random_device{}());
  std::string garbage(good.size(), '\0');
  for (char& ch : garbage) ch = static_cast<char>(rng());
  std::string flipped = good;
  flipped[flipped.size() - 1 - rng() % 64] ^= 0x10;  // a bit of the object's tail
  std::string header_only = good.substr(0, 40);
  const std::vector<std::pair<std::string, std::string>> damage = {
      {"truncated", good.substr(0, good.size() / 2)},
      {"one byte short", good.substr(0, good.size() - 1)},
      {"one byte long", good + "x"},
      {"empty", ""},
      {"header only", header_only},
      {"garbage", garbage},
      {"a flipped bit", flipped},
      {"another key's entry", foreign},
  };
  int refused = store_.refused();
  for (const auto& [what, bytes] : damage) {
    SCOPED_TRACE(what);
    write_bytes(entry, bytes);
    auto cell = compile(m, "fp32");
    EXPECT_EQ(cell->origin, cpu::CpuCellOrigin::Compiled) << "a damaged entry was loaded";
    EXPECT_EQ(store_.refused(), ++refused);
    cputest::expect_same_bits(run(m, "fp32", data), want);
    // Replaced by a whole entry, which the next process loads.
    EXPECT_EQ(compile(m, "fp32")->origin, cpu::CpuCellOrigin::ObjectStore);
    cputest::expect_same_bits(run(m, "fp32", data), want);
  }
}

TEST_F(CpuDiskCache, OffWritesNothing) {
  const ScopedEnv off("RNNJIT_CACHE_DIR", "off");
  const ScopedEnv xdg("XDG_CACHE_HOME", (root_ / "xdg").string());
  const ScopedEnv home("HOME", (root_ / "home").string());
  const ir::Activation act = ir::Activation::Softplus;
  const ir::Module m = cell_module(5, 1, act);
  EXPECT_FALSE(store_.entry_path("any key"));
  const auto data = cputest::random_run_data(m, act, 3, 6);
  for (int rep = 0; rep < 2; ++rep) {
    EXPECT_EQ(compile(m, "fp32")->origin, cpu::CpuCellOrigin::Compiled);
    run(m, "fp32", data);
  }
  EXPECT_TRUE(fs::is_empty(root_)) << "files were written with RNNJIT_CACHE_DIR=off";
}

TEST_F(CpuDiskCache, AnotherActivationPrecisionOrSizeMisses) {
  const ir::Module tanh7 = cell_module(7, 2, ir::Activation::Tanh);
  EXPECT_EQ(compile(tanh7, "fp32")->origin, cpu::CpuCellOrigin::Compiled);
  EXPECT_EQ(compile(cell_module(7, 2, ir::Activation::Relu), "fp32")->origin,
            cpu::CpuCellOrigin::Compiled);
  EXPECT_EQ(compile(tanh7, "fp64")->origin, cpu::CpuCellOrigin::Compiled);
  EXPECT_EQ(compile(cell_module(8, 2, ir::Activation::Tanh), "fp32")->origin,
            cpu::CpuCellOrigin::Compiled);
  EXPECT_EQ(entries().size(), 4u);
  EXPECT_EQ(store_.hits(), 0);
  EXPECT_EQ(compile(tanh7, "fp32")->origin, cpu::CpuCellOrigin::ObjectStore);
  EXPECT_EQ(compile(tanh7, "fp64")->origin, cpu::CpuCellOrigin::ObjectStore);
}

// The executor's store follows RNNJIT_CACHE_DIR: what it compiled, the next process loads.
TEST_F(CpuDiskCache, TheExecutorWritesUnderTheCacheDirectory) {
  const ir::Module m = cell_module(6, 2, ir::Activation::Silu);
  ExecutorConfig cfg;
  cfg.backend = "cpu";
  auto exec = make_cpu_executor(m, cfg);
  EXPECT_GT(exec->compile_seconds(), 0.0);
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(entries()[0].parent_path(), root_ / "cpu");
  EXPECT_EQ(compile(m, "fp32")->origin, cpu::CpuCellOrigin::ObjectStore);
}

// A cache folder that cannot be created (a file is in the way) costs a compile, nothing more.
TEST_F(CpuDiskCache, AnUnwritableFolderOnlyCostsACompile) {
  write_bytes(root_ / "cpu", "a file where the folder should be");
  const ir::Module m = cell_module(4, 1, ir::Activation::Tanh);
  for (int rep = 0; rep < 2; ++rep)
    EXPECT_EQ(compile(m, "fp32")->origin, cpu::CpuCellOrigin::Compiled);
}

}  // namespace
}  // namespace rnnjit
