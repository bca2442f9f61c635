// Ring ensembles: every member trains exactly as it would alone, a diverged member stops alone,
// the ensemble resumes, and the CLI's --ensemble / --sweep make the Cartesian product.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "runtime/backends/backends.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/ring/ring_ensemble.hpp"
#include "runtime/train/metrics.hpp"
#include "tests/cli/run_cli.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit::train::ring {
namespace {

namespace fs = std::filesystem;

RingTrainConfig small_config(uint64_t seed, double lr) {
  RingTrainConfig c;
  c.batch = 6;
  c.task.seq_len = 10;
  c.steps = 5;
  c.lr = lr;
  c.seed = seed;
  c.eval_trials = 8;
  c.eval_every = 0;
  c.checkpoint_every = 2;
  c.log_every = 1;
  return c;
}

RingTrainOptions common(const std::string& dir) {
  RingTrainOptions o;
  o.out_dir = dir;
  o.exec.backend = have_llvm_backend() ? "cpu" : "reference";
  o.quiet = true;
  o.figures = false;
  return o;
}

TEST(RingEnsemble, EveryMemberTrainsAsItWouldAlone) {
  const std::string root = testing::temp_dir("ens");
  const ModelSpec spec = testing::ring_spec(11, 2);
  const uint64_t seed = std::random_device{}() % 1000;
  RingEnsembleOptions opt{.common = common(root + "/ens"),
                          .members = {small_config(seed, 1e-2), small_config(seed + 1, 3e-2)},
                          .labels = {{{"seed", "a"}}, {{"seed", "b"}}}};
  const auto members = train_ring_ensemble(spec, opt);
  ASSERT_EQ(members.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(members[e].status, "finished");
    RingTrainOptions solo = common(root + "/solo" + std::to_string(e));
    solo.cfg = opt.members[e];
    const RingTrainResult alone = train_ring(spec, solo);
    EXPECT_EQ(members[e].held_out_error, alone.eval.pv_error) << "member " << e;
    const auto a = read_csv_columns(members[e].dir + "/metrics.csv");
    const auto b = read_csv_columns(root + "/solo" + std::to_string(e) + "/metrics.csv");
    EXPECT_EQ(a.at("loss"), b.at("loss")) << "member " << e;
    EXPECT_EQ(a.at("grad_norm"), b.at("grad_norm")) << "member " << e;
  }
  std::ifstream csv(root + "/ens/ensemble.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "member,seed,status,steps,held_out_error,run_id");
  // The folder now holds an ensemble: a fresh one is refused, a resume continues every member.
  EXPECT_THROW(train_ring_ensemble(spec, opt), UsageError);
  RingEnsembleOptions more;
  more.common = common(root + "/ens");
  more.common.steps = 7;
  const auto resumed = resume_ring_ensemble(more, &spec);
  ASSERT_EQ(resumed.size(), 2u);
  for (const auto& m : resumed) EXPECT_EQ(m.steps, 7);
  EXPECT_EQ(resumed[0].run_id, members[0].run_id);
  fs::remove_all(root);
}

TEST(RingEnsemble, ADivergedMemberStopsAloneAndTheOthersGoOn) {
  const std::string root = testing::temp_dir("ens-nan");
  RingTrainConfig wild = small_config(1, 1e300);  // the first update sends the weights to inf
  wild.clip = 0;
  RingEnsembleOptions opt{.common = common(root),
                          .members = {small_config(2, 1e-2), wild, small_config(3, 1e-2)},
                          .labels = {{{"lr", "0.01"}}, {{"lr", "1e300"}}, {{"lr", "0.01"}}}};
  const auto members = train_ring_ensemble(testing::ring_spec(9, 2), opt);
  EXPECT_EQ(members[0].status, "finished");
  EXPECT_EQ(members[1].status, "diverged");
  EXPECT_TRUE(std::isnan(members[1].held_out_error));
  EXPECT_LT(members[1].steps, 5);
  EXPECT_EQ(members[2].status, "finished");
  EXPECT_EQ(members[2].steps, 5);
  std::ifstream s(members[1].dir + "/summary.json");
  const std::string summary((std::istreambuf_iterator<char>(s)), {});
  EXPECT_NE(summary.find("diverged: the loss became"), std::string::npos) << summary;
  fs::remove_all(root);
}

TEST(RingEnsemble, TheCliSweepsTheCartesianProduct) {
  const std::string dir = testing::temp_dir("ens-cli");
  const std::string spec = std::string(RNNJIT_SOURCE_DIR) + "/examples/ring.yaml";
  const std::string flags =
      " --backend reference --neurons 8 --batch 4 --seq-len 6 --eval-trials 4 --steps 2 "
      "--no-figures --quiet --out " +
      dir + "/e";
  auto r = rnnjit::test::run_rnnjit("train " + spec + flags +
                                    " --sweep lr=1e-3,3e-3,1e-2 --sweep seed=4..5");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ensemble: 6 of 6 members finished"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir + "/e/member-005/summary.json"));
  std::ifstream csv(dir + "/e/ensemble.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "member,lr,seed,status,steps,held_out_error,run_id");
  std::getline(csv, line);
  EXPECT_EQ(line.rfind("0,1e-3,4,finished,2,", 0), 0u) << line;
  r = rnnjit::test::run_rnnjit("train " + spec + flags + "2 --ensemble 3 --sweep seed=1..2");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--ensemble sets the seeds"), std::string::npos) << r.output;
  r = rnnjit::test::run_rnnjit("train " + spec + flags + "3 --sweep neurons=8,16");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("'neurons' cannot be swept"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnjit::train::ring
