// Parameter initialisation: shapes, determinism, initialisers, and the tau buffer's populations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "compiler/lower.hpp"
#include "runtime/core/params.hpp"

using namespace rnnjit;

namespace {

ModelSpec dale_spec(int64_t n) {
  ModelSpec s;
  s.name = "vwm";
  s.neurons = n;
  s.activation = {ir::Activation::Saturating, 60};
  s.leak.per_neuron = true;
  s.leak.dt = 10;
  s.leak.tau_min = 50;
  s.leak.tau_max = 300;
  s.inputs.push_back({"stimulus", 6, {}});
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
  s.bias.enabled = true;
  return s;
}

TEST(Params, ShapesDeterminismAndConstraints) {
  ModelSpec s = dale_spec(11);
  ir::Module m = compile_module(s);
  TensorMap p = init_params(s, m, 5), q = init_params(s, m, 5), r = init_params(s, m, 6);
  EXPECT_EQ(p.at("W").shape(), (std::vector<int64_t>{11, 11}));
  EXPECT_EQ(p.at("B").shape(), (std::vector<int64_t>{11, 6}));
  EXPECT_EQ(p.at("bias").shape(), (std::vector<int64_t>{11}));
  EXPECT_EQ(p.at("tau").shape(), (std::vector<int64_t>{11}));
  EXPECT_EQ(p.at("W").at_f64(3), q.at("W").at_f64(3));
  EXPECT_NE(p.at("W").at_f64(3), r.at("W").at_f64(3));
  for (auto* name : {"W", "B"})
    for (int64_t i = 0; i < p.at(name).numel(); ++i) EXPECT_GE(p.at(name).at_f64(i), 0.0) << name;
}

TEST(Params, TauIsLogUniformAndSortedWithinEachPopulation) {
  ModelSpec s = dale_spec(400);
  ir::Module m = compile_module(s);
  TensorMap p = init_params(s, m, 9);
  std::span<const double> tau = p.at("tau").span<double>();
  EXPECT_TRUE(std::is_sorted(tau.begin(), tau.begin() + 200));
  EXPECT_TRUE(std::is_sorted(tau.begin() + 200, tau.end()));
  EXPECT_FALSE(std::is_sorted(tau.begin(), tau.end()));  // two populations, each sorted
  double mean_log = 0;
  for (double t : tau) {
    EXPECT_GE(t, 50.0);
    EXPECT_LT(t, 300.0);
    mean_log += std::log(t) / 400.0;
  }
  // log tau is uniform on [log 50, log 300): its mean is the midpoint, sd (log 6)/sqrt(12)/sqrt(400).
  EXPECT_NEAR(mean_log, 0.5 * (std::log(50.0) + std::log(300.0)), 4 * std::log(6.0) / std::sqrt(12.0) / 20.0);
}

TEST(Params, RingCosineAndWrongShapeMessages) {
  ModelSpec s;
  s.name = "ring";
  s.neurons = 8;
  s.leak.alpha = 0.15;
  RecurrentTerm wo;
  wo.name = "Wo";
  wo.init = "ring_cosine";
  s.recurrent = {wo};
  ir::Module m = compile_module(s);
  TensorMap p = init_params(s, m, 1);
  EXPECT_NEAR(p.at("Wo").at_f64(0 * 8 + 2), std::cos(2 * M_PI * -2 / 8.0), 1e-15);
  p["Wo"] = Tensor(DType::F32, {8, 7});
  try {
    check_params(m, p, "test");
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "tensor 'Wo' has shape [8,7] but [8,8] is expected");
  }
  p.erase("Wo");
  EXPECT_THROW(check_params(m, p, "test"), ShapeError);
}

}  // namespace
