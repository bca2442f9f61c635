// The shipped examples parse into the fields they say and lower to verified IR.
#include <gtest/gtest.h>

#include <string>

#include "compiler/lower.hpp"
#include "compiler/spec.hpp"
#include "ir/module.hpp"

namespace rnnjit {
namespace {

std::string example(const std::string& name) {
  return std::string(RNNJIT_SOURCE_DIR) + "/examples/" + name;
}

TEST(SpecExamples, RingParsesIntoItsFields) {
  const std::string path = example("ring.yaml");
  const ModelSpec s = parse_spec_file(path);
  EXPECT_EQ(s.path, path);
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.name, "ring");
  EXPECT_EQ(s.neurons, 256);
  EXPECT_EQ(s.activation.kind, ir::Activation::Gelu);
  EXPECT_FALSE(s.leak.per_neuron);
  EXPECT_DOUBLE_EQ(s.leak.alpha, 0.15);
  EXPECT_EQ(s.leak.loc.line, 5);

  ASSERT_EQ(s.gates.size(), 1u);
  EXPECT_EQ(s.gates[0].name, "actions");
  EXPECT_EQ(s.gates[0].size, 2);
  EXPECT_EQ(s.gates[0].loc.str(), path + ":7:3");
  EXPECT_TRUE(s.inputs.empty());

  ASSERT_EQ(s.recurrent.size(), 3u);
  const RecurrentTerm& j0 = s.recurrent[0];
  EXPECT_EQ(j0.kind, TermKind::Uniform);
  EXPECT_DOUBLE_EQ(j0.value, -0.1);
  EXPECT_EQ(j0.loc.line, 9);

  const RecurrentTerm& wo = s.recurrent[1];
  EXPECT_EQ(wo.kind, TermKind::Dense);
  EXPECT_EQ(wo.name, "Wo");
  EXPECT_DOUBLE_EQ(wo.scale, 0.1);
  EXPECT_TRUE(wo.learn);
  EXPECT_FALSE(wo.dale);
  EXPECT_FALSE(wo.nonnegative);
  EXPECT_EQ(wo.init, "normal");
  EXPECT_LT(wo.init_scale, 0);
  EXPECT_EQ(wo.loc.line, 10);
  EXPECT_EQ(wo.loc.column, 5);

  const RecurrentTerm& wa = s.recurrent[2];
  EXPECT_EQ(wa.kind, TermKind::Gated);
  EXPECT_EQ(wa.name, "Wa");
  EXPECT_EQ(wa.gated_by, "actions");
  EXPECT_TRUE(wa.learn);

  EXPECT_TRUE(s.input_terms.empty());
  EXPECT_FALSE(s.bias.enabled);
  EXPECT_EQ(s.noise.kind, ir::Noise::None);
  EXPECT_EQ(s.precision, "fp32");
  // The ring example carries its training recipe; the parser keeps it unparsed for the trainer.
  ASSERT_TRUE(s.train.IsMap());
  EXPECT_TRUE(s.train["steps"].IsDefined());
}

TEST(SpecExamples, RingLowersToFoldedMergedIr) {
  const ModelSpec s = parse_spec_file(example("ring.yaml"));
  const ir::Module m = compile_module(s);
  const std::string text = ir::print(m);
  EXPECT_NE(text.find("bank_matvec"), std::string::npos) << text;
  EXPECT_NE(text.find("rowsum"), std::string::npos) << text;
  EXPECT_NE(text.find("act"), std::string::npos) << text;
  EXPECT_NE(text.find("leak"), std::string::npos) << text;
  // The uniform term is folded: no N x N constant matrix is left.
  EXPECT_EQ(text.find("constfill"), std::string::npos) << text;
  ASSERT_NE(m.find("Wo", ir::Role::Param), nullptr);
  ASSERT_NE(m.find("Wa", ir::Role::Param), nullptr);
  EXPECT_TRUE(m.find("Wa", ir::Role::Param)->learn);
  ASSERT_NE(m.find("actions", ir::Role::GateIn), nullptr);
}

TEST(SpecExamples, VwmParsesIntoItsFields) {
  const ModelSpec s = parse_spec_file(example("vwm.yaml"));
  EXPECT_EQ(s.name, "vwm");
  EXPECT_EQ(s.neurons, 256);
  EXPECT_EQ(s.activation.kind, ir::Activation::Saturating);
  EXPECT_DOUBLE_EQ(s.activation.rate, 60);
  EXPECT_TRUE(s.leak.per_neuron);
  EXPECT_DOUBLE_EQ(s.leak.dt, 10);
  EXPECT_DOUBLE_EQ(s.leak.tau_min, 50);
  EXPECT_DOUBLE_EQ(s.leak.tau_max, 300);
  EXPECT_FALSE(s.leak.learn_tau);
  EXPECT_TRUE(s.gates.empty());
  ASSERT_EQ(s.inputs.size(), 1u);
  EXPECT_EQ(s.inputs[0].name, "stimulus");
  EXPECT_EQ(s.inputs[0].size, 30);

  ASSERT_EQ(s.recurrent.size(), 1u);
  const RecurrentTerm& w = s.recurrent[0];
  EXPECT_EQ(w.kind, TermKind::Dense);
  EXPECT_EQ(w.name, "W");
  EXPECT_TRUE(w.learn);
  EXPECT_TRUE(w.dale);
  EXPECT_DOUBLE_EQ(w.excitatory, 0.5);
  EXPECT_TRUE(w.nonnegative);  // implied by Dale's law

  ASSERT_EQ(s.input_terms.size(), 1u);
  const InputTerm& b = s.input_terms[0];
  EXPECT_EQ(b.name, "B");
  EXPECT_EQ(b.from, "stimulus");
  EXPECT_TRUE(b.learn);
  EXPECT_TRUE(b.nonnegative);
  EXPECT_DOUBLE_EQ(b.scale, 1.0);

  EXPECT_EQ(s.noise.kind, ir::Noise::Gamma);
  EXPECT_DOUBLE_EQ(s.noise.factor, 0.05);
  ASSERT_TRUE(s.train.IsMap());
  EXPECT_EQ(s.train["num_trials"].as<int>(), 512);
  EXPECT_EQ(s.train["error_def"].as<std::string>(), "rad");
  EXPECT_DOUBLE_EQ(s.train["eta"].as<double>(), 1e-4);
  EXPECT_EQ(s.train["item_num"].size(), 10u);
}

TEST(SpecExamples, VwmLowersWithDaleNoiseTauAndInput) {
  const ir::Module m = compile_module(parse_spec_file(example("vwm.yaml")));
  const std::string text = ir::print(m);
  for (const char* op : {"dale", "alpha_from_tau", "noise", "input_matvec", "act", "leak"})
    EXPECT_NE(text.find(op), std::string::npos) << op << " missing from\n" << text;
  EXPECT_NE(m.find("tau", ir::Role::Buffer), nullptr);
  const ir::Value* w = m.find("W", ir::Role::Param);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->nonnegative);
  const ir::Value* b = m.find("B", ir::Role::Param);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->nonnegative);
}

}  // namespace
}  // namespace rnnjit
