// The fused-cell plan (compiler/cell_plan): what it reads off a compiled module, and that a module
// outside the fused step is refused naming the backend, the op and the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "compiler/cell_plan.hpp"
#include "compiler/lower.hpp"
#include "compiler/spec.hpp"

namespace rnnjit {
namespace {

// Two gates, declared in the other order than the terms use them, one of them unused; a Dale
// term, a uniform term, two input terms, a bias, per-neuron tau and spike noise.
const char* kSpec = R"(version: 1
name: planned
neurons: 6
activation: {name: saturating, rate: 45}
leak: {dt: 5, tau: {min: 20, max: 80}}
gates: {unused: 2, heading: 3, actions: 2}
inputs: {stim: 4, cue: 1}
recurrent:
  - uniform: -0.25
  - {name: W, dale: true, excitatory: 0.5, learn: true, scale: 0.5}
  - {name: Wa, gated_by: actions, learn: true}
  - {name: Wh, gated_by: heading}
input_terms:
  - {name: B, from: stim, scale: 2}
  - {name: C, from: cue}
bias: true
noise: {kind: gauss, factor: 0.1}
)";

TEST(CellPlan, ReadsTheFusedStep) {
  const ir::Module m = compile_module(parse_spec_string(kSpec));
  const CellPlan p = plan_cell(m, "test");
  EXPECT_EQ(p.name, "planned");
  EXPECT_EQ(p.n, 6);
  // Every gate input in module (declaration) order, packed one after the other.
  ASSERT_EQ(p.gates.size(), 3u);
  EXPECT_EQ(p.gates[0].name, "unused");
  EXPECT_EQ(p.gates[1].name, "heading");
  EXPECT_EQ(p.gates[2].name, "actions");
  EXPECT_EQ(p.gates[1].offset, 2);
  EXPECT_EQ(p.gates[2].offset, 5);
  EXPECT_EQ(p.gate_columns, 7);
  // The bank: W (through its Dale mask, scale 0.5), then Wa's 2 and Wh's 3 channels.
  ASSERT_EQ(p.m(), 6);
  ASSERT_EQ(p.bank_parts.size(), 3u);
  EXPECT_EQ(p.bank_parts[0].param, "W");
  EXPECT_TRUE(p.bank_parts[0].dale);
  EXPECT_EQ(p.bank_parts[0].excitatory, 3);
  EXPECT_EQ(p.bank_parts[1].param, "Wa");
  EXPECT_EQ(p.bank_parts[1].first, 1);
  EXPECT_EQ(p.bank_parts[1].count, 2);
  EXPECT_EQ(p.bank_parts[2].param, "Wh");
  EXPECT_EQ(p.bank_parts[2].first, 3);
  EXPECT_EQ(p.slots[0].coef, 0.5);
  EXPECT_EQ(p.slots[0].gate, -1);
  EXPECT_EQ(p.slots[0].column, -1);
  EXPECT_EQ(p.slots[2].gate, 2);  // actions, channel 1
  EXPECT_EQ(p.slots[2].channel, 1);
  EXPECT_EQ(p.slots[2].column, 6);
  EXPECT_EQ(p.slots[5].gate, 1);  // heading, channel 2
  EXPECT_EQ(p.slots[5].column, 4);
  EXPECT_TRUE(p.has_rowsum);
  EXPECT_EQ(p.rowsum, -0.25);
  ASSERT_EQ(p.inputs.size(), 2u);
  EXPECT_EQ(p.inputs[0].weight, "B");
  EXPECT_EQ(p.inputs[0].input, "stim");
  EXPECT_EQ(p.inputs[0].scale, 2.0);
  EXPECT_EQ(p.inputs[1].input, "cue");
  EXPECT_EQ(p.inputs[1].offset, 4);
  EXPECT_EQ(p.input_columns, 5);
  EXPECT_EQ(p.bias, "bias");
  EXPECT_EQ(p.activation, ir::Activation::Saturating);
  EXPECT_EQ(p.rate, 45.0);
  EXPECT_TRUE(p.alpha_vector);
  EXPECT_EQ(p.tau, "tau");
  EXPECT_EQ(p.dt, 5.0);
  EXPECT_EQ(m.value(p.alpha_value).role, ir::Role::Derived);
  EXPECT_EQ(p.noise, ir::Noise::Gauss);
  EXPECT_EQ(p.noise_factor, 0.1);
  EXPECT_EQ(p.noise_dt, 5.0);
}

// What plan_cell() throws for `m`, or "" when it plans it.
std::string refusal(const ir::Module& m) {
  try {
    plan_cell(m, "test backend");
  } catch (const PlanError& e) {
    return e.what();
  }
  return "";
}

void expect_refused(const ir::Module& m, const std::string& op, const std::string& why) {
  const std::string what = refusal(m);
  EXPECT_EQ(what.rfind("test backend: op %", 0), 0u) << what;
  EXPECT_NE(what.find(" = " + op + " in cell @planned: "), std::string::npos) << what;
  EXPECT_NE(what.find(why + " is not supported yet"), std::string::npos) << what;
}

TEST(CellPlan, RefusesWhatIsNotTheFusedStepNamingTheOp) {
  const ModelSpec spec = parse_spec_string(kSpec);
  ASSERT_EQ(refusal(compile_module(spec)), "");

  // Before merge_bank the terms are separate matrix products.
  expect_refused(lower(spec), "matvec", "an unmerged 'matvec' (run merge_bank first)");

  // A step op that no term of the pre-activation uses.
  ir::Module extra = compile_module(spec);
  ir::Attrs a;
  a.value = 1.0;
  const int v = extra.add_value("stray", extra.value(extra.state_in).shape, ir::Role::Temp);
  extra.step.insert(extra.step.begin() + 1, ir::Op{ir::OpKind::RowSum, {extra.state_in}, v, a});
  expect_refused(extra, "rowsum", "an op outside the fused cell step");

  // The bank reading r_prev although the cell has spike noise.
  ir::Module bypass = compile_module(spec);
  for (ir::Op& op : bypass.step)
    if (op.kind == ir::OpKind::BankMatVec) op.operands[1] = bypass.state_in;
  expect_refused(bypass, "bank_matvec", "a bank applied to something other than the noisy rates");

  // A leak whose phi is not an activation.
  ir::Module leak = compile_module(spec);
  for (ir::Op& op : leak.step)
    if (op.kind == ir::OpKind::Leak) op.operands[1] = leak.state_in;
  expect_refused(leak, "leak", "a leak of something other than act(s)");
}

}  // namespace
}  // namespace rnnjit
