#include <gtest/gtest.h>

#include <cmath>

#include <filesystem>
#include <fstream>

#include "runtime/train/checkpoint.hpp"
#include "runtime/train/metrics.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit::train {
namespace {

namespace fs = std::filesystem;

TEST(Checkpoint, KeepsTheNewestAndLeavesNoTemporaryFiles) {
  const std::string dir = testing::temp_dir("ckpt");
  for (int64_t step : {5, 10, 15}) {
    TensorMap t{{"param/w", Tensor::f64({2}, {0.1 * static_cast<double>(step), 1.0 / 3.0})}};
    save_checkpoint(dir, step, t, {{"note", "x"}}, 2);
  }
  int count = 0;
  for (auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_NE(name[0], '.') << "temporary file left behind: " << name;
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
    ++count;
  }
  EXPECT_EQ(count, 2);
  auto latest = latest_checkpoint(dir);
  ASSERT_TRUE(latest);
  Checkpoint c = load_checkpoint(*latest);
  EXPECT_EQ(c.step, 15);
  EXPECT_EQ(c.metadata.at("note"), "x");
  EXPECT_EQ(c.tensors.at("param/w").at_f64(0), 0.1 * 15.0);
  EXPECT_EQ(c.tensors.at("param/w").at_f64(1), 1.0 / 3.0);  // bit-exact float64
  EXPECT_FALSE(latest_checkpoint(dir + "/missing"));
  fs::remove_all(dir);
}

TEST(Checkpoint, ANonCheckpointFileIsRefusedByName) {
  const std::string dir = testing::temp_dir("ckpt-bad");
  write_safetensors(dir + "/checkpoint-00000001.safetensors", {{"w", Tensor(DType::F64, {1})}});
  try {
    load_checkpoint(dir + "/checkpoint-00000001.safetensors");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint-00000001"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(Metrics, ResumingDropsRowsAfterTheCheckpoint) {
  const std::string dir = testing::temp_dir("csv");
  {
    CsvWriter w(dir + "/m.csv", {"step", "loss"}, true);
    for (int s = 1; s <= 4; ++s) w.row({double(s), 1.0 / s});
  }
  {
    CsvWriter w(dir + "/m.csv", {"step", "loss"}, false, 2);
    w.row({3.0, NAN});
  }
  std::ifstream in(dir + "/m.csv");
  std::string all((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(all, "step,loss\n1,1\n2,0.5\n3,\n");
  fs::remove_all(dir);
}

TEST(Metrics, ReadingBackGivesColumnsAndNamesABadCell) {
  const std::string dir = testing::temp_dir("csv_read");
  {
    CsvWriter w(dir + "/m.csv", {"step", "loss"}, true);
    w.row({1.0, 0.25});
    w.row({2.0, NAN});
  }
  const auto cols = read_csv_columns(dir + "/m.csv");
  ASSERT_EQ(cols.at("step"), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(cols.at("loss")[0], 0.25);
  EXPECT_TRUE(std::isnan(cols.at("loss")[1]));
  {
    std::ofstream out(dir + "/m.csv", std::ios::app);
    out << "3,oops\n";
  }
  try {
    read_csv_columns(dir + "/m.csv");
    FAIL() << "a bad cell was accepted";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("m.csv:4: column 'loss'"), std::string::npos) << what;
    EXPECT_NE(what.find("oops"), std::string::npos) << what;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnjit::train
