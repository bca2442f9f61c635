#include <gtest/gtest.h>

#include <random>

#include "runtime/ring/gain_net.hpp"
#include "tests/train/train_test_util.hpp"

namespace rnnjit::train::ring {
namespace {

TEST(GainNet, BackwardMatchesFiniteDifferences) {
  const int64_t K = 2, H = 3, B = 3, T = 5;
  TensorMap p = init_gain_nets(K, H, 21);
  std::mt19937_64 g(4);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> nd(0, 1);
  // Base gates >= 0 with some zeros (as relu of the velocity gives), random upstream gradient.
  std::vector<double> base(static_cast<size_t>(B * T * K));
  for (auto& a : base) a = u(g) < 0.25 ? 0.0 : u(g) * 0.4;
  Tensor dg(DType::F64, {B, T, K});
  for (auto& x : dg.span<double>()) x = nd(g);
  auto loss = [&] {
    const std::vector<double> gates = apply_gain_nets(p, K, base);
    double l = 0;
    for (size_t i = 0; i < gates.size(); ++i) l += gates[i] * dg.data<double>()[i];
    return l;
  };
  const TensorMap grads = gain_nets_backward(p, K, base, dg);
  ASSERT_EQ(grads.size(), 8u);
  std::vector<double> analytic, numeric;
  for (auto& [name, t] : p) {
    std::vector<double> x = testing::values(t);
    auto f = [&] {
      std::copy(x.begin(), x.end(), t.data<double>());
      return loss();
    };
    const auto fd = testing::finite_difference(x, f, 1e-6);
    std::copy(x.begin(), x.end(), t.data<double>());
    const auto an = testing::values(grads.at(name));
    EXPECT_LT(testing::rel_error(an, fd), 1e-7) << name;
    analytic.insert(analytic.end(), an.begin(), an.end());
    numeric.insert(numeric.end(), fd.begin(), fd.end());
  }
  EXPECT_LT(testing::rel_error(analytic, numeric), 1e-8);
}

TEST(GainNet, GateIsGainTimesInputAndZeroAtZero) {
  TensorMap p = init_gain_nets(2, 3, 1);
  const std::vector<double> g = apply_gain_nets(p, 2, {0.0, 0.2, 0.3, 0.0});
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[3], 0.0);
  EXPECT_NEAR(g[1], gain_value(p, 1, 0.2) * 0.2, 1e-15);
  EXPECT_NEAR(g[2], gain_value(p, 0, 0.3) * 0.3, 1e-15);
  EXPECT_GT(gain_value(p, 0, 0.3), 0.0) << "softplus output is positive";
}

}  // namespace
}  // namespace rnnjit::train::ring
