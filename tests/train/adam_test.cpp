#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "runtime/train/adam.hpp"

namespace rnnjit::train {
namespace {

// A plain re-statement of Adam with joint clipping, element by element, to compare against.
struct Manual {
  double m = 0, v = 0;
};

TEST(Adam, MatchesTheUpdateRuleWithGlobalClippingAndProjection) {
  std::mt19937_64 g(3);
  std::normal_distribution<double> nd(0, 1);
  TensorMap params{{"a", Tensor(DType::F64, {3})}, {"b", Tensor(DType::F64, {2, 2})}};
  for (auto& [n, t] : params)
    for (auto& x : t.span<double>()) x = nd(g);
  TensorMap expect = params;
  std::map<std::string, std::vector<Manual>> state;
  AdamConfig cfg{.lr = 0.01, .clip_norm = 1.0};
  Adam adam(cfg);
  for (int step = 1; step <= 4; ++step) {
    TensorMap grads{{"a", Tensor(DType::F64, {3})}, {"b", Tensor(DType::F32, {2, 2})}};
    for (auto& x : grads["a"].span<double>()) x = 3 * nd(g);
    for (auto& x : grads["b"].span<float>()) x = static_cast<float>(3 * nd(g));
    double norm2 = 0;
    for (auto& [n, t] : grads)
      for (int64_t i = 0; i < t.numel(); ++i) norm2 += t.at_f64(i) * t.at_f64(i);
    const double norm = std::sqrt(norm2);
    const double scale = std::min(1.0, 1.0 / (norm + 1e-6));
    for (auto& [n, t] : grads) {
      auto& st = state[n];
      st.resize(static_cast<size_t>(t.numel()));
      for (int64_t i = 0; i < t.numel(); ++i) {
        const double gi = t.at_f64(i) * scale;
        auto& s = st[static_cast<size_t>(i)];
        s.m = 0.9 * s.m + 0.1 * gi;
        s.v = 0.999 * s.v + 0.001 * gi * gi;
        const double mh = s.m / (1 - std::pow(0.9, step)), vh = s.v / (1 - std::pow(0.999, step));
        double& w = expect[n].data<double>()[i];
        w -= 0.01 * mh / (std::sqrt(vh) + 1e-8);
        if (n == "b") w = std::max(w, 0.0);
      }
    }
    const double got_norm = adam.step(params, grads, {"b"});
    EXPECT_NEAR(got_norm, norm, 1e-12 * norm);
    for (auto& [n, t] : params)
      for (int64_t i = 0; i < t.numel(); ++i)
        EXPECT_NEAR(t.at_f64(i), expect[n].at_f64(i), 1e-12) << n << i;
  }
  EXPECT_EQ(adam.steps(), 4);
  for (double x : params["b"].span<double>()) EXPECT_GE(x, 0.0);
}

TEST(Adam, StateRoundTripsThroughSaveAndLoad) {
  TensorMap p1{{"w", Tensor::f64({2}, {0.5, -0.25})}};
  TensorMap p2 = p1;
  Adam a1, a2;
  TensorMap g{{"w", Tensor::f64({2}, {0.3, -0.7})}};
  a1.step(p1, g);
  TensorMap saved;
  a1.save_state(saved);
  a2.load_state(saved, a1.steps(), p1, {"w"}, "test");
  p2 = p1;
  TensorMap g2{{"w", Tensor::f64({2}, {-0.1, 0.2})}};
  a1.step(p1, g2);
  a2.step(p2, g2);
  EXPECT_EQ(p1["w"].at_f64(0), p2["w"].at_f64(0));
  EXPECT_EQ(p1["w"].at_f64(1), p2["w"].at_f64(1));
}

TEST(Adam, RejectsAGradientOfTheWrongShapeOrAnUnknownName) {
  TensorMap p{{"w", Tensor(DType::F64, {2})}};
  Adam a;
  EXPECT_THROW(a.step(p, {{"w", Tensor(DType::F64, {3})}}), ShapeError);
  EXPECT_THROW(a.step(p, {{"x", Tensor(DType::F64, {2})}}), std::runtime_error);
}

}  // namespace
}  // namespace rnnjit::train
