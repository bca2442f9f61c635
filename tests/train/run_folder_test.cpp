// The rules that keep a user's results: atomic writes that replace only regular files, metrics
// that fail loudly, one run per folder, a resume that checks what it resumes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "compiler/spec_canonical.hpp"
#include "runtime/core/atomic_write.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/train/adam.hpp"
#include "runtime/train/checkpoint.hpp"
#include "runtime/train/metrics.hpp"
#include "runtime/train/run_folder.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit::train {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

Tensor random_tensor(std::vector<int64_t> shape, std::mt19937_64& rng) {
  Tensor t(DType::F64, std::move(shape));
  std::normal_distribution<double> g;
  for (double& x : t.span<double>()) x = g(rng);
  return t;
}

TEST(AtomicWrite, ThroughASymlinkTheLinkStaysAndItsTargetIsReplaced) {
  const std::string dir = testing::temp_dir("aw-link");
  std::ofstream(dir + "/target.txt") << "old";
  fs::create_symlink("target.txt", dir + "/link.txt");  // relative, as users make them
  write_file_atomic(dir + "/link.txt", "new contents");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir + "/link.txt")));
  EXPECT_EQ(read_all(dir + "/target.txt"), "new contents");
  // A dangling link gets its target created.
  fs::create_symlink("later.txt", dir + "/dangling.txt");
  write_file_atomic(dir + "/dangling.txt", "made");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir + "/dangling.txt")));
  EXPECT_EQ(read_all(dir + "/later.txt"), "made");
  fs::remove_all(dir);
}

TEST(AtomicWrite, ADeviceNodeIsWrittenInPlaceNotReplaced) {
  write_file_atomic("/dev/null", "discarded");  // must not become a regular file
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(AtomicWrite, AFifoIsWrittenDirectly) {
  const std::string dir = testing::temp_dir("aw-fifo");
  const std::string fifo = dir + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read_all(fifo); });
  write_file_atomic(fifo, "through the pipe");
  reader.join();
  EXPECT_EQ(got, "through the pipe");
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  fs::remove_all(dir);
}

TEST(AtomicWrite, AFolderIsAnErrorAndPermissionsAreKept) {
  const std::string dir = testing::temp_dir("aw-dir");
  EXPECT_THROW(write_file_atomic(dir, "x"), std::runtime_error);
  const std::string f = dir + "/f.txt";
  std::ofstream(f) << "a";
  ::chmod(f.c_str(), 0600);
  write_file_atomic(f, "b");
  struct stat st {};
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (auto& e : fs::directory_iterator(dir))
    EXPECT_FALSE(is_orphan_temporary(e.path().filename().string())) << e.path();
  fs::remove_all(dir);
}

TEST(AtomicWrite, OrphanTemporaryNames) {
  EXPECT_TRUE(is_orphan_temporary(".checkpoint-00000300.safetensors.tmp123456"));
  EXPECT_TRUE(is_orphan_temporary(".metrics.csv.tmp9"));
  EXPECT_FALSE(is_orphan_temporary(".metrics.csv.tmp"));
  EXPECT_FALSE(is_orphan_temporary("metrics.csv.tmp12"));
  EXPECT_FALSE(is_orphan_temporary(".notes.tmpx1"));
}

// A row that cannot be written (here: past the file size limit, as on a full disk) stops the run.
TEST(Metrics, AFailedAppendThrowsNamingTheFile) {
  const std::string dir = testing::temp_dir("csv-full");
  CsvWriter w(dir + "/metrics.csv", {"step", "loss"}, true, -1, "rnnjit run test");
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit small = saved;
  small.rlim_cur = static_cast<rlim_t>(fs::file_size(dir + "/metrics.csv") + 64);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string error;
  try {
    for (int s = 1; s < 100; ++s) w.row({double(s), 0.123456789 * s});
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(error.find("metrics.csv: cannot append a row"), std::string::npos) << error;
  fs::remove_all(dir);
}

TEST(Metrics, TheRunCommentSurvivesAResumeAndABadStepIsNamed) {
  const std::string dir = testing::temp_dir("csv-comment");
  const std::string p = dir + "/m.csv";
  {
    CsvWriter w(p, {"step", "loss"}, true, -1, metrics_comment("abc"));
    for (int s = 1; s <= 3; ++s) w.row({double(s), 1.0 / s});
  }
  { CsvWriter w(p, {"step", "loss"}, false, 2); }
  EXPECT_EQ(read_all(p), "# rnnjit run abc\nstep,loss\n1,1\n2,0.5\n");
  EXPECT_EQ(metrics_run_id(p), "abc");
  EXPECT_EQ(read_csv_columns(p).at("loss"), (std::vector<double>{1.0, 0.5}));
  std::ofstream(p, std::ios::app) << "x7,1\n";
  try {
    CsvWriter w(p, {"step", "loss"}, false, 2);
    FAIL() << "a row whose step is not a number must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("m.csv:5: column 'step'"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(RunFolder, AFreshRunRefusesAFolderWithARunAndOverwriteRemovesOnlyItsFiles) {
  const std::string dir = testing::temp_dir("fresh");
  std::ofstream(dir + "/metrics.csv") << "# rnnjit run old-run\nstep\n1\n";
  std::ofstream(dir + "/checkpoint-00000300.safetensors") << "x";
  std::ofstream(dir + "/my_notes.txt") << "keep me";
  fs::create_directories(dir + "/analysis");
  std::ofstream(dir + "/analysis/errors.json") << "{}";
  try {
    prepare_fresh_run(dir, false);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("old-run"), std::string::npos) << m;
    EXPECT_NE(m.find("--resume"), std::string::npos) << m;
    EXPECT_NE(m.find("--overwrite"), std::string::npos) << m;
  }
  EXPECT_EQ(read_all(dir + "/metrics.csv"), "# rnnjit run old-run\nstep\n1\n");
  prepare_fresh_run(dir, true);
  EXPECT_FALSE(fs::exists(dir + "/metrics.csv"));
  EXPECT_FALSE(fs::exists(dir + "/checkpoint-00000300.safetensors"));
  EXPECT_FALSE(fs::exists(dir + "/analysis"));
  EXPECT_EQ(read_all(dir + "/my_notes.txt"), "keep me");
  EXPECT_NO_THROW(prepare_fresh_run(dir, false));  // only the user's file is left: not a run
  fs::remove_all(dir);
}

TEST(RunFolder, OrphanTemporariesOfRunFilesAreRemoved) {
  const std::string dir = testing::temp_dir("orphans");
  std::ofstream(dir + "/.checkpoint-00000100.safetensors.tmp4242") << "half";
  std::ofstream(dir + "/.metrics.csv.tmp7") << "half";
  std::ofstream(dir + "/.mine.tmp3") << "a user's file";
  const auto removed = remove_orphan_temporaries(dir);
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_FALSE(fs::exists(dir + "/.checkpoint-00000100.safetensors.tmp4242"));
  EXPECT_TRUE(fs::exists(dir + "/.mine.tmp3"));
  fs::remove_all(dir);
}

TEST(RunFolder, OneProcessAtATimeWritesAFolder) {
  const std::string dir = testing::temp_dir("lock");
  {
    RunFolderLock first(dir);
    EXPECT_THROW(RunFolderLock second(dir), UsageError);
  }
  EXPECT_NO_THROW(RunFolderLock again(dir));
  fs::remove_all(dir);
}

TEST(Checkpoint, RotationNeverDeletesTheCheckpointJustWritten) {
  const std::string dir = testing::temp_dir("rotate");
  std::mt19937_64 rng(5);
  const TensorMap t{{"w", random_tensor({3}, rng)}};
  save_checkpoint(dir, 300, t, {});  // a later step, e.g. one whose run went another way
  save_checkpoint(dir, 10, t, {});
  save_checkpoint(dir, 20, t, {});
  save_checkpoint(dir, 30, t, {});
  EXPECT_TRUE(fs::exists(checkpoint_path(dir, 30)));
  EXPECT_TRUE(fs::exists(checkpoint_path(dir, 20)));
  EXPECT_FALSE(fs::exists(checkpoint_path(dir, 10)));
  EXPECT_TRUE(fs::exists(checkpoint_path(dir, 300)));
  fs::remove_all(dir);
}

TEST(Checkpoint, ACorruptNewestCheckpointFallsBackToThePreviousWithAWarning) {
  const std::string dir = testing::temp_dir("corrupt");
  std::mt19937_64 rng(6);
  const TensorMap t{{"w", random_tensor({64}, rng)}};
  save_checkpoint(dir, 10, t, {});
  save_checkpoint(dir, 20, t, {});
  fs::resize_file(checkpoint_path(dir, 20), 100);  // a truncated write
  std::vector<std::string> warnings;
  const Checkpoint c =
      load_resume_checkpoint(dir, [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(c.step, 10);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("checkpoint-00000020"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("checkpoint-00000010"), std::string::npos) << warnings[0];
  EXPECT_TRUE(fs::exists(checkpoint_path(dir, 20) + ".corrupt"));  // kept, not deleted
  EXPECT_EQ(latest_checkpoint(dir), checkpoint_path(dir, 10));
  fs::resize_file(checkpoint_path(dir, 10), 7);
  EXPECT_THROW(load_resume_checkpoint(dir, [](const std::string&) {}), std::runtime_error);
  fs::remove_all(dir);
}

TEST(AdamState, MissingOrMisshapenMomentsAreRefused) {
  std::mt19937_64 rng(7);
  TensorMap params{{"W", random_tensor({3, 3}, rng)}, {"b", random_tensor({3}, rng)}};
  TensorMap saved{{"adam.m/W", random_tensor({3, 3}, rng)},
                  {"adam.v/W", random_tensor({3, 3}, rng)},
                  {"adam.m/b", random_tensor({3}, rng)},
                  {"adam.v/b", random_tensor({3}, rng)}};
  const std::set<std::string> learned{"W", "b"};
  Adam ok;
  EXPECT_NO_THROW(ok.load_state(saved, 4, params, learned, "ck"));

  TensorMap missing = saved;
  missing.erase("adam.v/b");
  Adam a;
  try {
    a.load_state(missing, 4, params, learned, "ck");
    FAIL() << "a missing moment must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("adam.v/b"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(a.load_state({}, 0, params, learned, "ck"));  // before any step: none needed

  TensorMap misshapen = saved;
  misshapen["adam.m/W"] = random_tensor({2, 3}, rng);
  EXPECT_THROW(a.load_state(misshapen, 4, params, learned, "ck"), ShapeError);
  TensorMap stray = saved;
  stray["adam.m/Q"] = random_tensor({3}, rng);
  EXPECT_THROW(a.load_state(stray, 4, params, learned, "ck"), std::runtime_error);
}

TEST(CanonicalSpec, TheFirstDifferenceIsNamed) {
  const ModelSpec a = testing::ring_spec(16, 2);
  ModelSpec b = a;
  b.activation.kind = ir::Activation::Tanh;
  b.path = "elsewhere.yaml";  // where a spec was written does not matter
  EXPECT_EQ(first_difference(canonical_spec(a), canonical_spec(a)), std::nullopt);
  const auto d = first_difference(canonical_spec(a), canonical_spec(b));
  ASSERT_TRUE(d);
  EXPECT_NE(d->find("activation.kind"), std::string::npos) << *d;
  EXPECT_NE(spec_hash(canonical_spec(a)), spec_hash(canonical_spec(b)));
  ModelSpec c = a;
  c.neurons = 17;
  EXPECT_EQ(first_difference(canonical_spec(a), canonical_spec(c))->rfind("neurons:", 0), 0u);
}

// vwm_rnn makes int(f * N) neurons excitatory (truncated), also for odd N.
TEST(DaleSplit, TheExcitatoryCountTruncatesAsVwmRnnDoes) {
  EXPECT_EQ(excitatory_neurons(0.5, 5), 2);
  EXPECT_EQ(excitatory_neurons(0.5, 255), 127);
  EXPECT_EQ(excitatory_neurons(0.8, 7), 5);
  EXPECT_EQ(excitatory_neurons(0.5, 256), 128);
}

}  // namespace
}  // namespace rnnjit::train
