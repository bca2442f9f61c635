// The folders are layers (CMakeLists.txt at the top lists them): no file may include a header of
// a layer above its own, nor of another folder on its own level (the backends do not know each
// other, the two models do not know each other). Test-only code under tests/ may include anything.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Layer {
  const char* folder;  // repository-relative, with a trailing '/'
  int level;           // lower levels may be included by higher ones
};

// Longest prefix first, so that compiler/cpu/ is not taken for compiler/. Public headers are
// included as "rnnjit/x.hpp" (include/ is on the include path).
// clang-format off
const std::vector<Layer> kLayers = {
    {"include/rnnjit/errors.hpp", 0}, {"include/rnnjit/tensor.hpp", 0},
    {"include/rnnjit/run_options.hpp", 0}, {"include/rnnjit/version.hpp", 0},
    {"include/rnnjit/safetensors.hpp", 0},
    {"math/", 0},
    {"ir/", 1},
    {"compiler/cpu/", 3}, {"compiler/cuda/", 3}, {"templates/", 3},
    {"compiler/", 2},
    {"runtime/core/", 4},
    {"runtime/reference/", 5}, {"runtime/cpu/", 5}, {"runtime/cuda/", 5},
    {"runtime/backends/", 6},
    {"runtime/train/", 7}, {"runtime/plot/", 7}, {"bench/references/", 7},
    {"runtime/ring/", 8}, {"runtime/vwm/", 8},
    {"include/rnnjit/", 9}, {"api/", 10},
    {"cli/", 11}, {"python/", 11},
};
// clang-format on

std::optional<Layer> layer_of(const std::string& path) {
  for (const Layer& l : kLayers)
    if (path.rfind(l.folder, 0) == 0) return l;
  return std::nullopt;
}

std::string folder_of(const std::string& path) {
  return path.substr(0, path.rfind('/') + 1);
}

// Why `from` may not include `to`, or nullopt when it may.
std::optional<std::string> violation(const std::string& from, const std::string& included) {
  const std::string to = included.rfind("rnnjit/", 0) == 0 ? "include/" + included : included;
  const auto a = layer_of(from), b = layer_of(to);
  if (!a || !b || b->level < a->level || std::string(a->folder) == b->folder) return std::nullopt;
  // The public foundation headers (level 0) sit beside the API's and include each other.
  if (a->level == b->level && folder_of(from) == folder_of(to)) return std::nullopt;
  return from + " includes " + included +
         (b->level > a->level ? " (a layer above it)" : " (a folder on its own level)");
}

std::vector<std::string> violations_in_tree(const fs::path& root) {
  std::vector<std::string> out;
  const std::regex include_line(R"(^\s*#\s*include\s*"([^"]+)\")");
  for (const Layer& l : kLayers) {
    const fs::path dir = root / l.folder;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      const std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".h" && ext != ".cuh"))
        continue;
      const std::string from = fs::relative(e.path(), root).generic_string();
      std::ifstream in(e.path());
      std::smatch m;
      for (std::string line; std::getline(in, line);)
        if (std::regex_search(line, m, include_line))
          if (auto v = violation(from, m[1].str())) out.push_back(*v);
    }
  }
  return out;
}

TEST(Layering, NoIncludeRunsAgainstTheArrows) {
  const auto found = violations_in_tree(RNNJIT_SOURCE_DIR);
  std::string all;
  for (const std::string& v : found) all += "\n  " + v;
  EXPECT_TRUE(found.empty()) << found.size() << " includes against the layering:" << all;
}

TEST(Layering, TheCheckSeesABackwardsInclude) {
  EXPECT_TRUE(violation("runtime/core/tensor.cpp", "runtime/train/adam.hpp"));
  EXPECT_TRUE(violation("runtime/cuda/cuda_executor.hpp", "runtime/cpu/cpu_executor.hpp"));
  EXPECT_TRUE(violation("runtime/ring/ring_model.cpp", "runtime/vwm/vwm_task.hpp"));
  EXPECT_TRUE(violation("compiler/lower.cpp", "compiler/cuda/cuda_codegen.hpp"));
  EXPECT_FALSE(violation("runtime/ring/ring_model.cpp", "runtime/train/adam.hpp"));
  EXPECT_FALSE(violation("compiler/cuda/cuda_codegen.cpp", "math/noise_math.hpp"));
  EXPECT_FALSE(violation("runtime/vwm/analysis/snr_report.cpp", "runtime/vwm/vwm_task.hpp"));
  EXPECT_TRUE(violation("include/rnnjit/tensor.hpp", "rnnjit/cell.hpp"));
  EXPECT_TRUE(violation("runtime/core/executor.hpp", "rnnjit/train.hpp"));
  EXPECT_FALSE(violation("runtime/core/tensor.hpp", "rnnjit/tensor.hpp"));
  EXPECT_FALSE(violation("include/rnnjit/train.hpp", "rnnjit/cell.hpp"));
}

}  // namespace
