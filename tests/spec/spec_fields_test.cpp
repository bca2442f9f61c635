// Field-by-field behaviour of the spec parser on small inline specs: defaults, the alternative
// forms of each field, and that the `train:` section is kept as written.
#include <gtest/gtest.h>

#include <string>

#include "compiler/spec.hpp"

namespace rnnjit {
namespace {

const std::string kHead =
    "version: 1\n"
    "name: cell\n"
    "neurons: 8\n";

ModelSpec parse(const std::string& rest) {
  return parse_spec_string(kHead + rest, "t.yaml");
}

// The what() of the SpecError that parsing `text` throws ("" when it parses).
std::string error_of(const std::string& text) {
  try {
    parse_spec_string(text, "t.yaml");
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

TEST(SpecFields, MinimalSpecGetsTheDocumentedDefaults) {
  const ModelSpec s = parse("activation: relu\nalpha: 1\n");
  EXPECT_EQ(s.path, "t.yaml");
  EXPECT_EQ(s.activation.kind, ir::Activation::Relu);
  EXPECT_DOUBLE_EQ(s.leak.alpha, 1.0);
  EXPECT_FALSE(s.leak.per_neuron);
  EXPECT_TRUE(s.gates.empty());
  EXPECT_TRUE(s.inputs.empty());
  EXPECT_TRUE(s.recurrent.empty());
  EXPECT_TRUE(s.input_terms.empty());
  EXPECT_FALSE(s.bias.enabled);
  EXPECT_EQ(s.noise.kind, ir::Noise::None);
  EXPECT_EQ(s.precision, "fp32");
  EXPECT_FALSE(s.train.IsDefined() && !s.train.IsNull());
}

TEST(SpecFields, EveryActivationNameParses) {
  for (ir::Activation a : ir::all_activations()) {
    const ModelSpec s = parse("activation: " + std::string(ir::name(a)) + "\nalpha: 0.5\n");
    EXPECT_EQ(s.activation.kind, a) << ir::name(a);
  }
}

TEST(SpecFields, SaturatingRateDefaultsTo60AndCanBeGiven) {
  EXPECT_DOUBLE_EQ(parse("activation: saturating\nalpha: 0.5\n").activation.rate, 60.0);
  EXPECT_DOUBLE_EQ(parse("activation: {name: saturating}\nalpha: 0.5\n").activation.rate, 60.0);
  const ModelSpec s = parse("activation:\n  name: saturating\n  rate: 42.5\nalpha: 0.5\n");
  EXPECT_EQ(s.activation.kind, ir::Activation::Saturating);
  EXPECT_DOUBLE_EQ(s.activation.rate, 42.5);
  EXPECT_EQ(parse("activation: {name: silu}\nalpha: 0.5\n").activation.kind, ir::Activation::Silu);
}

TEST(SpecFields, NumbersInTheirUsualSpellings) {
  EXPECT_DOUBLE_EQ(parse("activation: relu\nalpha: 1e-1\n").leak.alpha, 0.1);
  EXPECT_DOUBLE_EQ(parse("activation: relu\nalpha: +0.25\n").leak.alpha, 0.25);
  EXPECT_DOUBLE_EQ(parse("activation: relu\nalpha: .5\n").leak.alpha, 0.5);
  EXPECT_NE(error_of(kHead + "activation: relu\nalpha: .nan\n"), "");
  EXPECT_NE(error_of(kHead + "activation: relu\nalpha: inf\n"), "");
  EXPECT_EQ(error_of("version: 1\nname: c\nneurons: 99999999999999999999\nactivation: relu\n"
                     "alpha: 1\n"),
            "t.yaml:3:10: error: field 'neurons' must be a positive integer, got "
            "'99999999999999999999'");
}

TEST(SpecFields, PerNeuronLeak) {
  const ModelSpec s = parse(
      "activation: relu\n"
      "leak:\n"
      "  tau: {min: 20, max: 100}\n"
      "  learn_tau: True\n");
  EXPECT_TRUE(s.leak.per_neuron);
  EXPECT_DOUBLE_EQ(s.leak.dt, 10.0);  // the default step
  EXPECT_DOUBLE_EQ(s.leak.tau_min, 20);
  EXPECT_DOUBLE_EQ(s.leak.tau_max, 100);
  EXPECT_TRUE(s.leak.learn_tau);
  EXPECT_EQ(s.leak.loc.line, 5);
  EXPECT_DOUBLE_EQ(parse("activation: relu\nleak: {dt: 1, tau: {min: 1, max: 2}}\n").leak.dt, 1);
}

TEST(SpecFields, RecurrentTermDefaultsAndOptions) {
  const ModelSpec s = parse(
      "activation: relu\n"
      "alpha: 0.5\n"
      "gates: {left: 1, right: 3}\n"
      "recurrent:\n"
      "  - name: A\n"
      "  - name: D\n"
      "    dale: true\n"
      "    excitatory: 0.75\n"
      "    scale: 2\n"
      "    init: ring_cosine\n"
      "    init_scale: 0.5\n"
      "  - name: P\n"
      "    nonnegative: true\n"
      "    learn: false\n"
      "    init: zeros\n"
      "  - {name: G, gated_by: right, nonnegative: true, init: identity}\n"
      "  - uniform: 3\n");
  ASSERT_EQ(s.gates.size(), 2u);
  EXPECT_EQ(s.gates[0].name, "left");  // document order
  EXPECT_EQ(s.gates[1].size, 3);
  ASSERT_EQ(s.recurrent.size(), 5u);

  const RecurrentTerm& a = s.recurrent[0];
  EXPECT_EQ(a.kind, TermKind::Dense);
  EXPECT_DOUBLE_EQ(a.scale, 1.0);
  EXPECT_FALSE(a.learn);
  EXPECT_FALSE(a.dale);
  EXPECT_FALSE(a.nonnegative);
  EXPECT_DOUBLE_EQ(a.excitatory, 0.5);
  EXPECT_EQ(a.init, "normal");
  EXPECT_LT(a.init_scale, 0);

  const RecurrentTerm& d = s.recurrent[1];
  EXPECT_TRUE(d.dale);
  EXPECT_TRUE(d.nonnegative);
  EXPECT_DOUBLE_EQ(d.excitatory, 0.75);
  EXPECT_DOUBLE_EQ(d.scale, 2.0);
  EXPECT_EQ(d.init, "ring_cosine");
  EXPECT_DOUBLE_EQ(d.init_scale, 0.5);

  EXPECT_TRUE(s.recurrent[2].nonnegative);
  EXPECT_FALSE(s.recurrent[2].learn);
  EXPECT_EQ(s.recurrent[2].init, "zeros");

  const RecurrentTerm& g = s.recurrent[3];
  EXPECT_EQ(g.kind, TermKind::Gated);
  EXPECT_EQ(g.gated_by, "right");
  EXPECT_TRUE(g.nonnegative);
  EXPECT_EQ(g.init, "identity");

  EXPECT_EQ(s.recurrent[4].kind, TermKind::Uniform);
  EXPECT_DOUBLE_EQ(s.recurrent[4].value, 3.0);
  EXPECT_EQ(s.recurrent[4].name, "");
}

TEST(SpecFields, DeclarationsMayComeAfterTheirUses) {
  const ModelSpec s = parse(
      "recurrent:\n"
      "  - {name: Wa, gated_by: actions}\n"
      "input_terms:\n"
      "  - {name: B, from: u}\n"
      "gates: {actions: 2}\n"
      "inputs: {u: 4}\n"
      "alpha: 0.5\n"
      "activation: tanh\n");
  EXPECT_EQ(s.recurrent[0].gated_by, "actions");
  EXPECT_EQ(s.input_terms[0].from, "u");
}

TEST(SpecFields, InputTermDefaults) {
  const ModelSpec s = parse(
      "activation: relu\nalpha: 0.5\ninputs: {u: 3}\n"
      "input_terms:\n"
      "  - {name: B, from: u}\n"
      "  - {name: C, from: u, scale: -2, learn: false, nonnegative: true, init: zeros,"
      " init_scale: 0}\n");
  ASSERT_EQ(s.input_terms.size(), 2u);
  const InputTerm& b = s.input_terms[0];
  EXPECT_DOUBLE_EQ(b.scale, 1.0);
  EXPECT_TRUE(b.learn);
  EXPECT_FALSE(b.nonnegative);
  EXPECT_EQ(b.init, "normal");
  EXPECT_LT(b.init_scale, 0);
  EXPECT_EQ(b.loc.line, 8);
  const InputTerm& c = s.input_terms[1];
  EXPECT_DOUBLE_EQ(c.scale, -2.0);
  EXPECT_FALSE(c.learn);
  EXPECT_TRUE(c.nonnegative);
  EXPECT_EQ(c.init, "zeros");
  EXPECT_DOUBLE_EQ(c.init_scale, 0.0);
}

TEST(SpecFields, BiasForms) {
  const std::string base = "activation: relu\nalpha: 0.5\n";
  EXPECT_FALSE(parse(base + "bias: false\n").bias.enabled);
  const ModelSpec on = parse(base + "bias: true\n");
  EXPECT_TRUE(on.bias.enabled);
  EXPECT_TRUE(on.bias.learn);
  EXPECT_EQ(on.bias.loc.line, 6);
  const ModelSpec fixed = parse(base + "bias: {learn: false}\n");
  EXPECT_TRUE(fixed.bias.enabled);
  EXPECT_FALSE(fixed.bias.learn);
  EXPECT_TRUE(parse(base + "bias: {}\n").bias.learn);
}

TEST(SpecFields, NoiseForms) {
  const std::string base = "activation: relu\nalpha: 0.5\n";
  EXPECT_EQ(parse(base + "noise: none\n").noise.kind, ir::Noise::None);
  EXPECT_EQ(parse(base + "noise: {kind: none}\n").noise.kind, ir::Noise::None);
  const ModelSpec g = parse(base + "noise: {kind: gauss, factor: 0}\n");
  EXPECT_EQ(g.noise.kind, ir::Noise::Gauss);
  EXPECT_DOUBLE_EQ(g.noise.factor, 0.0);
  const ModelSpec p = parse(base + "noise:\n  kind: puregauss\n  factor: 0.2\n");
  EXPECT_EQ(p.noise.kind, ir::Noise::PureGauss);
  EXPECT_DOUBLE_EQ(p.noise.factor, 0.2);
  EXPECT_EQ(p.noise.loc.line, 6);
}

TEST(SpecFields, Precisions) {
  for (const char* p : {"fp32", "tf32", "bf16", "fp64"})
    EXPECT_EQ(parse("activation: relu\nalpha: 0.5\nprecision: " + std::string(p) + "\n").precision,
              p);
}

TEST(SpecFields, TrainSectionIsKeptUnparsedWithItsLines) {
  ModelSpec s;
  {
    // The text and the document go out of scope: the node must stay valid on its own.
    const std::string text = kHead +
                             "activation: relu\n"
                             "alpha: 0.5\n"
                             "train:\n"
                             "  steps: 1000\n"
                             "  lr: 3.0e-3\n"
                             "  whatever_the_trainer_wants: {nested: [1, 2, 3]}\n";
    s = parse_spec_string(text, "t.yaml");
  }
  const ModelSpec copy = s;
  ASSERT_TRUE(copy.train.IsMap());
  EXPECT_EQ(copy.train.size(), 3u);
  EXPECT_EQ(copy.train["steps"].as<int>(), 1000);
  EXPECT_EQ(copy.train["lr"].Scalar(), "3.0e-3");  // as written, unconverted
  EXPECT_EQ(copy.train["whatever_the_trainer_wants"]["nested"][2].as<int>(), 3);
  // yaml-cpp marks are 0-based: "lr" is on line 8 of the file, its value at column 7.
  EXPECT_EQ(copy.train["lr"].Mark().line + 1, 8);
  EXPECT_EQ(copy.train["lr"].Mark().column + 1, 7);
}

TEST(SpecFields, EmptyTrainAndGatesAreAllowed) {
  const ModelSpec s = parse("activation: relu\nalpha: 0.5\ngates:\ntrain:\n");
  EXPECT_TRUE(s.gates.empty());
  EXPECT_TRUE(s.train.IsNull());
}

TEST(SpecFields, ErrorsCarryTheirLocationAndMessage) {
  try {
    parse_spec_string("version: 1\nname: x\nneurons: 0\n");
    FAIL() << "neurons: 0 was accepted";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.loc().file, "<string>");
    EXPECT_EQ(e.loc().line, 3);
    EXPECT_EQ(e.loc().column, 10);
    EXPECT_EQ(e.message(), "field 'neurons' must be a positive integer, got '0'");
    EXPECT_EQ(std::string(e.what()), "<string>:3:10: error: " + e.message());
  }
}

TEST(SpecFields, MissingFileIsASpecError) {
  const std::string path = "/nonexistent/dir/spec.yaml";
  try {
    parse_spec_file(path);
    FAIL() << "a missing file parsed";
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": error: cannot open the spec file");
  }
}

TEST(SpecFields, SyntaxErrorsUseTheSameFormat) {
  EXPECT_EQ(error_of("version: 1\nname: [x\n"),
            "t.yaml:3:1: error: invalid YAML: end of sequence flow not found");
}

}  // namespace
}  // namespace rnnjit
