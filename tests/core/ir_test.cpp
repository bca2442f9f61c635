// The IR: lowering from a spec, the passes' exact output, the printer, and the verifier's errors.
#include <gtest/gtest.h>

#include "compiler/lower.hpp"

using namespace rnnjit;
using ir::OpKind;

namespace {

ModelSpec ring_spec(int64_t n, int64_t k) {
  ModelSpec s;
  s.name = "ring";
  s.neurons = n;
  s.activation.kind = ir::Activation::Gelu;
  s.leak.alpha = 0.15;
  s.gates.push_back({"actions", k, {}});
  RecurrentTerm u;
  u.kind = TermKind::Uniform;
  u.value = -0.1;
  RecurrentTerm wo;
  wo.kind = TermKind::Dense;
  wo.name = "Wo";
  wo.scale = 0.1;
  wo.learn = true;
  RecurrentTerm wa;
  wa.kind = TermKind::Gated;
  wa.name = "Wa";
  wa.gated_by = "actions";
  wa.learn = true;
  s.recurrent = {u, wo, wa};
  return s;
}

int count(const std::vector<ir::Op>& ops, OpKind k) {
  int c = 0;
  for (auto& op : ops) c += op.kind == k;
  return c;
}

TEST(Lowering, RingBeforePasses) {
  ir::Module m = lower(ring_spec(16, 3));
  ir::verify(m);
  EXPECT_EQ(count(m.prologue, OpKind::ConstFill), 1);
  EXPECT_EQ(count(m.step, OpKind::MatVec), 2);  // uniform (as a constant matrix) and Wo
  EXPECT_EQ(count(m.step, OpKind::GatedMatVec), 1);
  EXPECT_EQ(count(m.step, OpKind::Add), 1);
  EXPECT_EQ(m.producer(m.state_out)->kind, OpKind::Leak);
  EXPECT_TRUE(m.find("Wo", ir::Role::Param)->learn);
  EXPECT_EQ(ir::to_string(m.find("Wa", ir::Role::Param)->shape), "[K.actions=3,N=16,N=16]");
}

TEST(Passes, FoldUniformAndMergeBank) {
  ir::Module m = compile_module(ring_spec(16, 3));
  EXPECT_EQ(count(m.prologue, OpKind::ConstFill), 0);  // folded away and removed as dead
  EXPECT_EQ(count(m.step, OpKind::MatVec), 0);
  EXPECT_EQ(count(m.step, OpKind::GatedMatVec), 0);
  ASSERT_EQ(count(m.step, OpKind::RowSum), 1);
  ASSERT_EQ(count(m.step, OpKind::BankMatVec), 1);
  ASSERT_EQ(count(m.prologue, OpKind::StackBank), 1);
  for (auto& op : m.step) {
    if (op.kind == OpKind::RowSum) EXPECT_DOUBLE_EQ(op.attrs.value, -0.1);
    if (op.kind == OpKind::BankMatVec) {
      // Bank [Wo; Wa_0; Wa_1; Wa_2] with coefficients [0.1, g_0, g_1, g_2].
      ASSERT_EQ(op.attrs.slots.size(), 4u);
      EXPECT_EQ(op.attrs.slots[0], (ir::BankSlot{0.1, -1, 0}));
      for (int k = 0; k < 3; ++k) EXPECT_EQ(op.attrs.slots[1 + k], (ir::BankSlot{1.0, 2, k}));
      EXPECT_EQ(m.value(op.operands[2]).name, "actions");
      EXPECT_EQ(ir::to_string(m.value(op.operands[0]).shape), "[M=4,N=16,N=16]");
    }
  }
}

TEST(Passes, SingleDenseTermNeedsNoAdd) {
  ModelSpec s = ring_spec(5, 1);
  s.recurrent.erase(s.recurrent.begin());  // no uniform
  s.recurrent.pop_back();                  // no gated bank
  ir::Module m = compile_module(s);
  EXPECT_EQ(count(m.step, OpKind::Add), 0);
  EXPECT_EQ(count(m.step, OpKind::BankMatVec), 1);
}

TEST(Printer, ShowsParamsShapesAndAttributes) {
  std::string text = ir::print(compile_module(ring_spec(256, 2)));
  EXPECT_NE(text.find("cell @ring {N=256}"), std::string::npos) << text;
  EXPECT_NE(text.find("param %"), std::string::npos) << text;
  EXPECT_NE(text.find("Wo:[N=256,N=256] learn"), std::string::npos) << text;
  EXPECT_NE(text.find("rowsum"), std::string::npos) << text;
  EXPECT_NE(text.find("{value=-0.1}"), std::string::npos) << text;
  EXPECT_NE(text.find("act"), std::string::npos) << text;
  EXPECT_NE(text.find("{fn=gelu}"), std::string::npos) << text;
  EXPECT_NE(text.find("{alpha=0.15}"), std::string::npos) << text;
}

TEST(Lowering, VwmCellHasDaleTauInputAndNoise) {
  ModelSpec s;
  s.name = "vwm";
  s.neurons = 8;
  s.activation = {ir::Activation::Saturating, 60};
  s.leak.per_neuron = true;
  s.leak.dt = 10;
  s.leak.tau_min = 50;
  s.leak.tau_max = 300;
  s.inputs.push_back({"stimulus", 30, {}});
  RecurrentTerm w;
  w.name = "W";
  w.learn = true;
  w.dale = true;
  s.recurrent = {w};
  InputTerm b;
  b.name = "B";
  b.from = "stimulus";
  b.nonnegative = true;
  s.input_terms = {b};
  s.noise = {ir::Noise::Gamma, 0.05, {}};
  ir::Module m = compile_module(s);
  EXPECT_EQ(count(m.prologue, OpKind::DaleMask), 1);
  EXPECT_EQ(count(m.prologue, OpKind::AlphaFromTau), 1);
  EXPECT_EQ(count(m.step, OpKind::Noise), 1);
  EXPECT_EQ(count(m.step, OpKind::InputMatVec), 1);
  EXPECT_TRUE(m.find("W", ir::Role::Param)->nonnegative);  // Dale's law keeps W >= 0
  for (auto& op : m.prologue)
    if (op.kind == OpKind::DaleMask) EXPECT_EQ(op.attrs.excitatory, 4);
  EXPECT_NE(m.find("tau", ir::Role::Buffer), nullptr);
}

TEST(Verifier, RejectsWrongShapesNamingBoth) {
  ir::Module m = compile_module(ring_spec(16, 3));
  for (auto& v : m.values)
    if (v.name == "actions") v.shape = {ir::dim_b(), ir::dim_k("actions", 2)};  // the bank reads channel 2
  try {
    ir::verify(m);
    FAIL() << "verifier accepted a bank slot outside its gate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bank_matvec"), std::string::npos) << e.what();
  }
  ir::Module m2 = lower(ring_spec(16, 3));
  for (auto& v : m2.values)
    if (v.name == "Wo") v.shape = {ir::dim_n(16), ir::dim_n(15)};
  try {
    ir::verify(m2);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("[N=16,N=15]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[N=16,N=16]"), std::string::npos) << e.what();
  }
}

TEST(Verifier, RejectsUseBeforeDefinitionAndMisplacedOps) {
  ir::Module m = lower(ring_spec(4, 1));
  std::swap(m.step.front(), m.step.back());  // leak first: reads phi before it exists
  EXPECT_THROW(ir::verify(m), std::runtime_error);
  ir::Module m2 = lower(ring_spec(4, 1));
  m2.prologue.push_back(m2.step.front());  // a step op in the prologue
  m2.step.erase(m2.step.begin());
  EXPECT_THROW(ir::verify(m2), std::runtime_error);
}

}  // namespace
