// `rnnjit bench` on a reduced CPU sweep: the JSON has one sane record per point and the markdown a
// table row per point.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "runtime/backends/backends.hpp"

namespace {

std::string run(const std::string& args, int* status) {
  const std::string cmd = std::string(RNNJIT_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  *status = p ? pclose(p) : -1;
  return out;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(BenchCli, ReducedCpuSweepWritesSaneJsonAndMarkdown) {
  if (!rnnjit::have_llvm_backend()) GTEST_SKIP() << "built without the LLVM CPU backend";
  const auto dir =
      std::filesystem::temp_directory_path() / ("rnnjit_bench_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto json_path = dir / "out.json", md_path = dir / "out.md";
  int status = 0;
  const std::string args =
      "bench " + std::string(RNNJIT_SOURCE_DIR) +
      "/examples/ring.yaml --backend cpu --sweep neurons=32,48 --sweep steps=8 --sweep "
      "batch=4 --mode train --repeats 5 --json " +
      json_path.string() + " --markdown " + md_path.string();
  const std::string log = run(args, &status);
  ASSERT_EQ(status, 0) << log;

  const auto doc = nlohmann::json::parse(slurp(json_path));
  EXPECT_EQ(doc["backend"], "cpu");
#ifndef RNNJIT_TEST_HAVE_BENCH_REFS
  GTEST_SKIP() << "built without bench/ (RNNJIT_BUILD_BENCH=OFF): no eager reference, no peak";
#endif
  EXPECT_GT(doc["peak_gflops"].get<double>(), 0.0);
  EXPECT_EQ(doc["reference"], "eager-cpu");
  const auto& points = doc["points"];
  ASSERT_EQ(points.size(), 2u) << doc.dump(2);
  const int64_t want_n[] = {32, 48};
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    SCOPED_TRACE(p.dump());
    EXPECT_EQ(p["mode"], "train");
    EXPECT_EQ(p["neurons"].get<int64_t>(), want_n[i]);
    EXPECT_EQ(p["batch"].get<int64_t>(), 4);
    EXPECT_EQ(p["steps"].get<int64_t>(), 8);
    EXPECT_EQ(p["gates"].get<int64_t>(), 2);  // ring.yaml's gate size: not swept here
    EXPECT_EQ(p["bank"].get<int64_t>(), 3);   // Wo + 2 gated matrices
    const double jit = p["jit_ms"].get<double>(), ref = p["ref_ms"].get<double>();
    EXPECT_GT(jit, 0.0);
    EXPECT_GT(ref, 0.0);
    EXPECT_NEAR(p["speedup"].get<double>(), ref / jit, 1e-9 * ref / jit);
    EXPECT_LT(p["error"].get<double>(), 1e-4);
    EXPECT_GE(p["error"].get<double>(), 0.0);
    const double flops = 3.0 * 2.0 * 4 * 8 * want_n[i] * want_n[i] * 3;
    EXPECT_DOUBLE_EQ(p["flops"].get<double>(), flops);
    EXPECT_NEAR(p["gflops"].get<double>(), flops / (jit * 1e-3) * 1e-9,
                1e-6 * p["gflops"].get<double>());
    EXPECT_GT(p["gflops"].get<double>(), 0.0);
    EXPECT_GT(p["fraction_of_peak"].get<double>(), 0.0);
    EXPECT_GE(p["compile_s"].get<double>(), 0.0);
  }

  const std::string md = slurp(md_path);
  EXPECT_NE(md.find("| 4 | 32 | 2 | 8 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 4 | 48 | 2 | 8 |"), std::string::npos) << md;
  std::filesystem::remove_all(dir);
}

TEST(BenchCli, BadSweepIsAUsageError) {
  int status = 0;
  const std::string log = run("bench " + std::string(RNNJIT_SOURCE_DIR) +
                                  "/examples/ring.yaml --backend cpu --sweep width=3",
                              &status);
  EXPECT_EQ(WEXITSTATUS(status), 2) << log;
  EXPECT_NE(log.find("--sweep"), std::string::npos) << log;
}

}  // namespace
