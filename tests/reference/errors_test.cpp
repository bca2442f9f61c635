// Bad runs get clear errors that name what is wrong (the tensor and both shapes), and change
// nothing; the executor contract's smaller promises (names, dtype, T from RunOptions::steps).
#include <gtest/gtest.h>

#include <cmath>

#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/reference/reference_executor.hpp"
#include "tests/reference/test_util.hpp"

namespace rnnjit::reftest {
namespace {

// N=7, K=3, T=5, B=3 with an input "stim" [3,5,4] and per-neuron alpha.
struct Fixture {
  CellConfig c{7, 3, 5, 3, ir::Activation::Tanh, true, true, true, true};
  ir::Module m = compile_module(make_spec(c));
  Rng rng{seed_for("errors")};
  CellData d = random_cell_data(m, c.act, c.b, c.t, rng);
};

// Runs forward and returns the ShapeError's message ("" if nothing was thrown).
std::string shape_error(const ir::Module& m, const TensorMap& params, const TensorMap& inputs,
                        RunOptions opt = {}) {
  reference::ReferenceExecutor ex(m);
  try {
    ex.forward(params, inputs, opt);
  } catch (const ShapeError& e) {
    return e.what();
  }
  return "";
}

void expect_mentions(const std::string& message, std::initializer_list<const char*> parts) {
  EXPECT_FALSE(message.empty()) << "no error was raised";
  for (const char* p : parts)
    EXPECT_NE(message.find(p), std::string::npos) << message << " lacks " << p;
}

TEST(ReferenceErrors, MissingParameterIsNamed) {
  Fixture f;
  f.d.params.erase("Wa");
  expect_mentions(shape_error(f.m, f.d.params, f.d.inputs), {"'Wa'", "missing"});
}

TEST(ReferenceErrors, WrongParameterShapeNamesBothShapes) {
  Fixture f;
  f.d.params["Wo"] = random_normal_tensor(f.rng, {7, 6});
  expect_mentions(shape_error(f.m, f.d.params, f.d.inputs), {"'Wo'", "[7,6]", "[7,7]"});
  f = Fixture();
  f.d.params["tau"] = random_normal_tensor(f.rng, {7, 1});
  expect_mentions(shape_error(f.m, f.d.params, f.d.inputs), {"'tau'", "[7,1]", "[7]"});
}

TEST(ReferenceErrors, WrongInputShapesNameBothShapes) {
  Fixture f;
  TensorMap in = f.d.inputs;
  in["actions"] = random_normal_tensor(f.rng, {3, 5, 2});  // K = 2 instead of 3
  expect_mentions(shape_error(f.m, f.d.params, in), {"'actions'", "[3,5,2]", "[3,5,3]"});
  in = f.d.inputs;
  in["r0"] = random_normal_tensor(f.rng, {3, 8});
  expect_mentions(shape_error(f.m, f.d.params, in), {"'r0'", "[3,8]", "[3,7]"});
  in = f.d.inputs;
  in["actions"] = random_normal_tensor(f.rng, {2, 5, 3});  // B disagrees with r0
  expect_mentions(shape_error(f.m, f.d.params, in), {"'actions'", "[2,5,3]", "[3,5,3]"});
  in = f.d.inputs;
  in["stim"] = random_normal_tensor(f.rng, {3, 4, 4});  // T disagrees with the gate
  expect_mentions(shape_error(f.m, f.d.params, in), {"'stim'", "[3,4,4]", "[3,5,4]"});
  in = f.d.inputs;
  in["actions"] = random_normal_tensor(f.rng, {3, 3});  // no T at all
  in["stim"] = random_normal_tensor(f.rng, {3, 4});
  expect_mentions(shape_error(f.m, f.d.params, in), {"'actions'", "[3,3]", "[3,T,3]"});
  in = f.d.inputs;
  in.erase("stim");
  expect_mentions(shape_error(f.m, f.d.params, in), {"'stim'", "missing"});
}

TEST(ReferenceErrors, StepsMustAgreeWithTheInputs) {
  Fixture f;
  RunOptions opt;
  opt.steps = 4;
  expect_mentions(shape_error(f.m, f.d.params, f.d.inputs, opt), {"steps", "4", "5"});
  opt.steps = 5;
  EXPECT_EQ(shape_error(f.m, f.d.params, f.d.inputs, opt), "");
}

TEST(ReferenceErrors, BackwardNeedsAForwardAndTheRightShape) {
  Fixture f;
  reference::ReferenceExecutor ex(f.m);
  EXPECT_THROW(ex.backward(random_normal_tensor(f.rng, {3, 5, 7})), std::logic_error);
  ex.forward(f.d.params, f.d.inputs);
  try {
    ex.backward(random_normal_tensor(f.rng, {3, 4, 7}));
    FAIL() << "a wrong cotangent shape was accepted";
  } catch (const ShapeError& e) {
    expect_mentions(e.what(), {"'dr'", "[3,4,7]", "[3,5,7]"});
  }
}

TEST(ReferenceErrors, AFailedForwardKeepsThePreviousRun) {
  Fixture f;
  reference::ReferenceExecutor ex(f.m);
  ex.forward(f.d.params, f.d.inputs);
  const Tensor dr = random_normal_tensor(f.rng, {3, 5, 7});
  const TensorMap before = ex.backward(dr);
  TensorMap bad = f.d.inputs;
  bad["r0"] = random_normal_tensor(f.rng, {2, 7});
  EXPECT_THROW(ex.forward(f.d.params, bad), ShapeError);
  const TensorMap after = ex.backward(dr);
  for (const auto& [name, g] : before)
    for (int64_t e = 0; e < g.numel(); ++e)
      ASSERT_EQ(after.at(name).at_f64(e), g.at_f64(e)) << name;
}

// A cell with no gate and no input: T comes from RunOptions::steps, and is required.
TEST(ReferenceContract, StepsOptionDrivesACellWithoutInputs) {
  ModelSpec spec;
  spec.name = "autonomous";
  spec.neurons = 5;
  spec.leak.alpha = 0.2;
  RecurrentTerm w;
  w.name = "W";
  w.learn = true;
  spec.recurrent.push_back(w);
  const ir::Module m = compile_module(spec);
  Rng rng(seed_for("autonomous"));
  const CellData d = random_cell_data(m, spec.activation.kind, 2, 0, rng);
  reference::ReferenceExecutor ex(m);
  EXPECT_THROW(ex.forward(d.params, d.inputs), std::runtime_error);
  RunOptions opt;
  opt.steps = 4;
  const Tensor r = ex.forward(d.params, d.inputs, opt);
  EXPECT_EQ(r.shape(), (std::vector<int64_t>{2, 4, 5}));
  const TensorMap g = ex.backward(random_normal_tensor(rng, {2, 4, 5}));
  EXPECT_EQ(g.size(), 2u);  // W and r0
  EXPECT_EQ(g.at("W").shape(), (std::vector<int64_t>{5, 5}));
}

TEST(ReferenceContract, FactoryAndIdentity) {
  Fixture f;
  ExecutorConfig cfg;
  cfg.backend = "reference";
  const std::unique_ptr<CellExecutor> ex = make_executor(f.m, cfg);
  EXPECT_EQ(ex->backend(), "reference");
  EXPECT_EQ(ex->dtype(), DType::F64);
  EXPECT_EQ(ex->device(), "host (float64 interpreter)");
  const Tensor r = ex->forward(f.d.params, f.d.inputs);
  EXPECT_EQ(r.shape(), (std::vector<int64_t>{3, 5, 7}));
  EXPECT_EQ(r.dtype(), DType::F64);
  const TensorMap g = ex->backward(random_normal_tensor(f.rng, {3, 5, 7}));
  for (const char* name : {"Wo", "Wa", "Win", "bias", "tau", "r0", "actions", "stim"})
    EXPECT_TRUE(g.count(name)) << name;
  EXPECT_FALSE(g.count("Wf"));  // not learned
}

// tau is a buffer: it gets a gradient only when the spec learns it.
TEST(ReferenceContract, FixedTauHasNoGradient) {
  Fixture f;
  ModelSpec spec = make_spec(f.c);
  spec.leak.learn_tau = false;
  reference::ReferenceExecutor ex(compile_module(spec));
  ex.forward(f.d.params, f.d.inputs);
  const TensorMap g = ex.backward(random_normal_tensor(f.rng, {3, 5, 7}));
  EXPECT_FALSE(g.count("tau"));
  EXPECT_TRUE(g.count("Wo"));
}

}  // namespace
}  // namespace rnnjit::reftest
