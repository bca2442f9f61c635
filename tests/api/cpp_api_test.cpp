// The public C++ API (rnnjit/rnnjit.hpp): specs, compiled cells, training and analysis, the way a
// program that embeds rnnjit uses them.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "rnnjit/rnnjit.hpp"

namespace {

namespace fs = std::filesystem;

const std::string kExamples = std::string(RNNJIT_SOURCE_DIR) + "/examples/";

std::string temp_dir(const std::string& tag) {
  std::random_device rd;
  const fs::path p = fs::temp_directory_path() / ("rnnjit-api-" + tag + "-" + std::to_string(rd()));
  fs::create_directories(p);
  return p.string();
}

// A small ring: odd N, K = 2, the examples' model.
std::string small_ring_yaml(int n, const std::string& activation = "gelu") {
  return "version: 1\nname: small\nneurons: " + std::to_string(n) + "\nactivation: " + activation +
         "\nalpha: 0.15\ngates: {actions: 2}\nrecurrent:\n  - uniform: -0.1\n"
         "  - {name: Wo, scale: 0.1, learn: true}\n  - {name: Wa, gated_by: actions, learn: "
         "true}\n";
}

rnnjit::Tensor random_like(const rnnjit::Tensor& t, uint64_t seed) {
  rnnjit::Tensor out(rnnjit::DType::F64, t.shape());
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  for (double& x : out.span<double>()) x = g(rng);
  return out;
}

double max_rel(const rnnjit::Tensor& a, const rnnjit::Tensor& b) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    num = std::max(num, std::fabs(a.at_f64(i) - b.at_f64(i)));
    den = std::max(den, std::fabs(b.at_f64(i)));
  }
  return num / std::max(den, 1e-30);
}

TEST(CppApi, SpecDescribesItsTensorsAndItsModel) {
  const rnnjit::Spec spec = rnnjit::Spec::from_string(small_ring_yaml(7), "small.yaml");
  EXPECT_EQ(spec.neurons(), 7);
  EXPECT_EQ(spec.trainer(), "ring");
  EXPECT_EQ(rnnjit::Spec::from_file(kExamples + "vwm_small.yaml").trainer(), "vwm");
  std::vector<std::string> names;
  for (const auto& p : spec.params()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Wo", "Wa"}));
  EXPECT_EQ(spec.params()[1].shape, (std::vector<int64_t>{2, 7, 7}));
  EXPECT_TRUE(spec.params()[1].learned);
  const auto in = spec.inputs(3, 5);
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].name, "r0");
  EXPECT_EQ(in[1].shape, (std::vector<int64_t>{3, 5, 2}));
  // The same model written differently has the same hash; another activation does not.
  const rnnjit::Spec same = rnnjit::Spec::from_string("# a comment\n" + small_ring_yaml(7));
  EXPECT_EQ(spec.hash(), same.hash());
  EXPECT_NE(spec.hash(), rnnjit::Spec::from_string(small_ring_yaml(7, "tanh")).hash());
  EXPECT_NE(spec.ir().find("bank"), std::string::npos) << spec.ir();
}

TEST(CppApi, ABadSpecNamesFileLineAndColumn) {
  try {
    rnnjit::Spec::from_string("version: 1\nname: b\nneurons: -3\n", "bad.yaml");
    FAIL();
  } catch (const rnnjit::SpecError& e) {
    EXPECT_EQ(e.loc().file, "bad.yaml");
    EXPECT_EQ(e.loc().line, 3);
    EXPECT_NE(std::string(e.what()).find("bad.yaml:3:"), std::string::npos) << e.what();
  }
}

// The cell on the CPU JIT and on the float64 reference, through the API, over shapes that
// exercise odd N, K = 1 and T = 1.
TEST(CppApi, CellsAgreeWithTheReferenceForwardAndBackward) {
  if (!rnnjit::have_cpu_backend()) GTEST_SKIP() << "built without the LLVM CPU backend";
  for (const auto& [n, steps] : {std::pair{7, 9}, std::pair{16, 1}, std::pair{33, 4}}) {
    const rnnjit::Spec spec = rnnjit::Spec::from_string(small_ring_yaml(n));
    rnnjit::Cell cpu = rnnjit::Cell::compile(spec, {.backend = "cpu"});
    rnnjit::Cell ref = rnnjit::Cell::compile(spec, {.backend = "reference"});
    EXPECT_EQ(cpu.backend(), "cpu");
    EXPECT_EQ(ref.dtype(), rnnjit::DType::F64);
    const rnnjit::TensorMap params = cpu.init_params(3);
    EXPECT_NO_THROW(cpu.check_params(params));
    const rnnjit::TensorMap inputs = cpu.random_inputs(3, steps, 4);
    const rnnjit::Tensor r = cpu.forward(params, inputs), r_ref = ref.forward(params, inputs);
    ASSERT_EQ(r.shape(), (std::vector<int64_t>{3, steps, n}));
    EXPECT_LT(max_rel(r, r_ref), 1e-5);
    const rnnjit::Tensor dr = random_like(r_ref, 5);
    const rnnjit::TensorMap g = cpu.backward(dr), g_ref = ref.backward(dr);
    for (const char* name : {"Wo", "Wa", "r0", "actions"})
      EXPECT_LT(max_rel(g.at(name), g_ref.at(name)), 1e-4) << name << " n=" << n;
  }
}

TEST(CppApi, WrongShapesNameBothShapes) {
  const rnnjit::Spec spec = rnnjit::Spec::from_string(small_ring_yaml(5));
  rnnjit::Cell cell = rnnjit::Cell::compile(spec, {.backend = "reference"});
  rnnjit::TensorMap params = cell.init_params(1);
  params["Wo"] = rnnjit::Tensor(rnnjit::DType::F32, {4, 5});
  try {
    cell.check_params(params);
    FAIL();
  } catch (const rnnjit::ShapeError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("[4,5]"), std::string::npos) << m;
    EXPECT_NE(m.find("[5,5]"), std::string::npos) << m;
  }
  EXPECT_THROW(cell.forward(params, cell.random_inputs(2, 3, 1)), rnnjit::ShapeError);
}

TEST(CppApi, TrainsResumesAndReportsEveryStep) {
  const std::string dir = temp_dir("train") + "/run";
  const rnnjit::Spec spec = rnnjit::Spec::from_string(small_ring_yaml(12), "small.yaml");
  rnnjit::TrainOptions o;
  o.out_dir = dir;
  o.backend = "reference";
  o.figures = false;
  o.settings = {{"batch", "4"}, {"seq_len", "8"}, {"eval_trials", "8"}, {"steps", "3"}};
  std::vector<int64_t> seen;
  o.on_step = [&](const rnnjit::TrainProgress& p) {
    seen.push_back(p.step);
    EXPECT_EQ(p.last_step, 3);
    EXPECT_TRUE(std::isfinite(p.loss));
  };
  const rnnjit::TrainResult r = rnnjit::train_model(spec, o);
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(r.trainer, "ring");
  EXPECT_EQ(r.steps, 3);
  EXPECT_EQ(r.metrics.at("step").back(), 3);
  EXPECT_NE(r.summary_json.find(r.run_id), std::string::npos);
  EXPECT_THROW(rnnjit::train_model(spec, o), rnnjit::UsageError);  // the folder holds a run
  rnnjit::TrainOptions more;
  more.steps = 5;
  more.backend = "reference";
  more.figures = false;
  const rnnjit::TrainResult r2 = rnnjit::resume_training(dir, more);
  EXPECT_EQ(r2.start_step, 3);
  EXPECT_EQ(r2.steps, 5);
  EXPECT_EQ(r2.run_id, r.run_id);
  o.settings["batch"] = "zero";
  o.overwrite = true;
  EXPECT_THROW(rnnjit::train_model(spec, o), rnnjit::SpecError);  // checked like the file
  fs::remove_all(fs::path(dir).parent_path());
}

TEST(CppApi, TrainsAndAnalysesAVwmNetwork) {
  const std::string dir = temp_dir("vwm") + "/run";
  rnnjit::TrainOptions o;
  o.out_dir = dir;
  o.backend = "reference";
  o.figures = false;
  o.steps = 2;
  o.settings = {{"num_trials", "4"}, {"T_stimi", "40"},       {"T_delay", "40"},
                {"T_decode", "30"},  {"logging_period", "1"}, {"seed", "7"}};
  int steps = 0;
  o.on_step = [&](const rnnjit::TrainProgress&) { ++steps; };
  const rnnjit::TrainResult r =
      rnnjit::train_model(rnnjit::Spec::from_file(kExamples + "vwm_small.yaml"), o);
  EXPECT_EQ(r.trainer, "vwm");
  EXPECT_EQ(steps, 2);
  EXPECT_EQ(r.metrics.at("step").size(), 2u);
  rnnjit::AnalyzeOptions a;
  a.what = {"errors"};
  a.trials = 8;
  a.backend = "reference";
  a.figures = false;
  const rnnjit::AnalyzeResult an = rnnjit::analyze_run(dir, a);
  EXPECT_NE(an.json.at("errors").find("set_sizes"), std::string::npos);
  a.what = {"nonsense"};
  EXPECT_THROW(rnnjit::analyze_run(dir, a), rnnjit::UsageError);
  fs::remove_all(fs::path(dir).parent_path());
}

}  // namespace
