// `mpirun -np 2 rnnjit train` as a user launches it, against the same run on one process.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "runtime/train/metrics.hpp"
#include "tests/cli/run_cli.hpp"

namespace rnnjit {
namespace {

namespace fs = std::filesystem;

#ifdef RNNJIT_MPIEXEC
const std::string kMpirun = std::string(RNNJIT_MPIEXEC) +
                            " --allow-run-as-root --oversubscribe -x RNNJIT_CPU_THREADS=1 "
                            "-x RNNJIT_TEST_FAIL_RANK -x RNNJIT_TEST_FAIL_STEP -np ";
#endif

class MpiTrain : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef RNNJIT_MPIEXEC
    GTEST_SKIP() << "built without MPI";
#endif
    std::random_device rd;
    dir = (fs::temp_directory_path() / ("rnnjit-mpi-" + std::to_string(rd()))).string();
    fs::create_directories(dir);
    ::setenv("RNNJIT_CPU_THREADS", "1", 1);
  }
  void TearDown() override {
    fs::remove_all(dir);
  }

  // rnnjit train on `ranks` processes (1: no mpirun) into dir/out; returns the exit code and
  // output.
  test::CliResult train(int ranks, const std::string& out, const std::string& extra) {
    const std::string args = "train " + std::string(RNNJIT_SOURCE_DIR) +
                             "/examples/ring.yaml --backend cpu --neurons 13 --batch 9 "
                             "--seq-len 10 --eval-trials 11 --eval-every 2 --no-figures --quiet "
                             "--out " +
                             dir + "/" + out + " " + extra;
#ifdef RNNJIT_MPIEXEC
    if (ranks > 1) {
      const std::string cmd = kMpirun + std::to_string(ranks) + " " + RNNJIT_BINARY + " " + args;
      FILE* p = popen(("timeout 120 " + cmd + " 2>&1").c_str(), "r");
      std::string text;
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
      const int status = pclose(p);
      return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
    }
#endif
    return test::run_rnnjit(args);
  }

  std::map<std::string, std::vector<double>> metrics(const std::string& out) {
    return train::read_csv_columns(dir + "/" + out + "/metrics.csv");
  }

  std::string dir;
};

// Within float32 reassociation: the gradients are the same sums added in another order.
void expect_close(const std::vector<double>& a, const std::vector<double>& b, double rel,
                  const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    if (!std::isnan(a[i]) || !std::isnan(b[i]))
      EXPECT_NEAR(a[i], b[i], rel * std::max(std::fabs(a[i]), 1e-12)) << what << " row " << i;
}

TEST_F(MpiTrain, TwoRanksTrainAsOneProcessDoesAndRepeatThemselves) {
  ASSERT_EQ(train(1, "one", "--steps 6").code, 0);
  auto r = train(2, "two", "--steps 6");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(train(2, "again", "--steps 6").code, 0);
  const auto one = metrics("one"), two = metrics("two"), again = metrics("again");
  for (const char* col :
       {"loss", "heading_loss", "bump_loss", "grad_norm", "eval_loss", "eval_error"}) {
    expect_close(one.at(col), two.at(col), 1e-6, col);
    EXPECT_EQ(two.at(col), again.at(col)) << col << ": two runs on 2 ranks must be identical";
  }
  // Rank 0 alone wrote: one metrics.csv, one summary.json, the checkpoints.
  EXPECT_TRUE(fs::exists(dir + "/two/checkpoint-00000006.safetensors"));
}

TEST_F(MpiTrain, AResumeMayChangeTheRankCount) {
  ASSERT_EQ(train(1, "straight", "--steps 6").code, 0);
  ASSERT_EQ(train(2, "split", "--steps 4").code, 0);
  // The README's form, which keeps the run's own settings.
  auto r = test::run_rnnjit("train --resume " + dir + "/split --steps 6 --quiet --no-figures");
  ASSERT_EQ(r.code, 0) << r.output;
  expect_close(metrics("straight").at("loss"), metrics("split").at("loss"), 1e-6, "loss");
}

TEST_F(MpiTrain, AFailureOnOneRankEndsEveryRankWithItsMessage) {
  ::setenv("RNNJIT_TEST_FAIL_RANK", "1", 1);
  ::setenv("RNNJIT_TEST_FAIL_STEP", "3", 1);
  const auto r = train(2, "fails", "--steps 6 --checkpoint-every 2");
  ::unsetenv("RNNJIT_TEST_FAIL_RANK");
  ::unsetenv("RNNJIT_TEST_FAIL_STEP");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.code, 124) << "timed out: a rank hung instead of stopping\n" << r.output;
  EXPECT_NE(r.output.find("rank 1: injected failure at step 3"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir + "/fails/checkpoint-00000002.safetensors"))
      << "the last checkpoint before the failure stays";
}

}  // namespace
}  // namespace rnnjit
