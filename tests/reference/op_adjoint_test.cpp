// Every op in isolation: adjoint_op (ops.hpp) against central differences of
// L = sum(C .* forward_op(...)) for every operand, over N in {1,7,64} x K in {1,3} x B in {1,3}.
// Tensors of up to 128 entries are checked entry by entry; bigger ones on a sample of 128 entries
// plus a random direction.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "compiler/activation_table.hpp"
#include "tests/reference/fd_check.hpp"

namespace rnnjit::reftest {
namespace {

using ir::OpKind;

// One op with its operand tensors; `slots` names the tensor of each operand in order.
struct OpCase {
  ir::Op op;
  TensorMap tensors;
  std::vector<std::string> slots;
};

struct Shape {
  int64_t n, k, b;
};

// The op cases the tests build, by name. Each draws fresh random operands of the given shape.
const std::vector<std::string>& case_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v{"dale_mask",    "alpha_from_tau", "stack_bank",  "matvec",
                               "gated_matvec", "bank_matvec",    "row_sum",     "input_matvec",
                               "add_bias",     "add_repeated",   "leak_scalar", "leak_per_neuron"};
    for (ir::Activation a : ir::all_activations()) v.push_back("act_" + std::string(ir::name(a)));
    return v;
  }();
  return names;
}

Tensor rand_t(Rng& rng, std::vector<int64_t> shape, double lo, double hi) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return Tensor::f64(std::move(shape), uniform(rng, static_cast<size_t>(count), lo, hi));
}

// Pre-activations for phi: spread over where phi bends, at least 1e-3 from a kink (the
// finite-difference step there is at most 1e-4 * |x|, well inside).
Tensor act_input(Rng& rng, ir::Activation a, std::vector<int64_t> shape) {
  const act::Domain d = act_domain(a);
  Tensor t = rand_t(rng, std::move(shape), d.lo, d.hi);
  if (const std::optional<double> kink = act_kink(a)) {
    auto x = t.span<double>();
    for (double& e : x)
      if (std::abs(e - *kink) < 1e-2) e = *kink + (e < *kink ? -1e-2 : 1e-2);
    // Both sides of the kink in every draw, however small: a live entry first, a dead one next.
    x[0] = *kink + 1.5;
    if (x.size() > 1) x[1] = *kink - 1.5;
  }
  return t;
}

OpCase make_case(const std::string& name, const Shape& s, Rng& rng) {
  const int64_t n = s.n, k = s.k, b = s.b;
  const double sd = 1.0 / std::sqrt(static_cast<double>(n));
  OpCase c;
  ir::Op& op = c.op;
  op.result = 0;
  auto add = [&](const std::string& tensor, Tensor t) {
    if (!c.tensors.count(tensor)) c.tensors[tensor] = std::move(t);
    c.slots.push_back(tensor);
  };
  if (name == "dale_mask") {
    op.kind = OpKind::DaleMask;
    op.attrs.excitatory = (n + 1) / 2;
    add("W", rand_t(rng, {n, n}, 0.0, 1.0));
  } else if (name == "alpha_from_tau") {
    op.kind = OpKind::AlphaFromTau;
    op.attrs.dt = 10.0;
    add("tau", rand_t(rng, {n}, 50.0, 300.0));
  } else if (name == "stack_bank") {
    op.kind = OpKind::StackBank;
    add("A", random_normal_tensor(rng, {n, n}, sd));
    add("Wa", random_normal_tensor(rng, {k, n, n}, sd));
    add("C", random_normal_tensor(rng, {n, n}, sd));
  } else if (name == "matvec") {
    op.kind = OpKind::MatVec;
    op.attrs.scale = 0.7;
    add("W", random_normal_tensor(rng, {n, n}, sd));
    add("z", rand_t(rng, {b, n}, 0.0, 1.0));
  } else if (name == "gated_matvec") {
    op.kind = OpKind::GatedMatVec;
    add("W", random_normal_tensor(rng, {k, n, n}, sd));
    add("g", rand_t(rng, {b, k}, -1.0, 1.0));
    add("z", rand_t(rng, {b, n}, 0.0, 1.0));
  } else if (name == "bank_matvec") {
    // Bank of M = 2 + K + 1 matrices: a constant slot, K slots on gate g1 (coef 1.3), one on
    // channel 1 of a second gate g2 (coef -0.4), a last constant slot.
    op.kind = OpKind::BankMatVec;
    const int64_t m = k + 3;
    add("bank", random_normal_tensor(rng, {m, n, n}, sd));
    add("z", rand_t(rng, {b, n}, 0.0, 1.0));
    add("g1", rand_t(rng, {b, k}, -1.0, 1.0));
    add("g2", rand_t(rng, {b, 2}, -1.0, 1.0));
    op.attrs.slots.push_back({0.5, -1, 0});
    for (int64_t ch = 0; ch < k; ++ch) op.attrs.slots.push_back({1.3, 2, ch});
    op.attrs.slots.push_back({-0.4, 3, 1});
    op.attrs.slots.push_back({-0.2, -1, 0});
  } else if (name == "row_sum") {
    op.kind = OpKind::RowSum;
    op.attrs.value = -0.3;
    add("z", rand_t(rng, {b, n}, 0.0, 1.0));
  } else if (name == "input_matvec") {
    op.kind = OpKind::InputMatVec;
    op.attrs.scale = 0.9;
    add("Win", random_normal_tensor(rng, {n, k + 1}, sd));
    add("u", rand_t(rng, {b, k + 1}, 0.0, 1.0));
  } else if (name == "add_bias") {
    op.kind = OpKind::AddBias;
    add("s", random_normal_tensor(rng, {b, n}));
    add("bias", random_normal_tensor(rng, {n}));
  } else if (name == "add_repeated") {
    op.kind = OpKind::Add;  // a + b + a: the repeated operand must receive dy twice
    add("a", random_normal_tensor(rng, {b, n}));
    add("b", random_normal_tensor(rng, {b, n}));
    add("a", {});
  } else if (name == "leak_scalar") {
    op.kind = OpKind::Leak;
    op.attrs.alpha = 0.15;
    add("r", rand_t(rng, {b, n}, 0.0, 1.0));
    add("phi", rand_t(rng, {b, n}, 0.0, 1.0));
  } else if (name == "leak_per_neuron") {
    op.kind = OpKind::Leak;
    add("r", rand_t(rng, {b, n}, 0.0, 1.0));
    add("phi", rand_t(rng, {b, n}, 0.0, 1.0));
    add("alpha", rand_t(rng, {n}, 0.01, 0.99));
  } else if (name.rfind("act_", 0) == 0) {
    op.kind = OpKind::Act;
    op.attrs.activation = *ir::parse_activation(name.substr(4));
    op.attrs.rate = 60.0;
    add("s", act_input(rng, op.attrs.activation, {b, n}));
  } else {
    throw std::logic_error("unknown op case " + name);
  }
  c.op.operands.assign(c.slots.size(), 0);  // ids are not used outside a module
  return c;
}

class OpAdjoint
    : public ::testing::TestWithParam<std::tuple<std::string, int64_t, int64_t, int64_t>> {};

TEST_P(OpAdjoint, MatchesCentralDifferences) {
  const auto& [name, n, k, b] = GetParam();
  const std::string label =
      name + "_N" + std::to_string(n) + "_K" + std::to_string(k) + "_B" + std::to_string(b);
  Rng rng(seed_for(label));
  const OpCase c = make_case(name, {n, k, b}, rng);
  FdOptions fd;
  fd.max_entries = 128;
  const std::vector<GradCheck> checks =
      check_op_gradients(c.op, c.tensors, c.slots, {b, n}, fd, rng);
  ASSERT_EQ(checks.size(), c.tensors.size());
  for (const GradCheck& r : checks) {
    EXPECT_LE(r.worst(), 1e-7) << label << ": d/d" << r.name << " (" << r.entries
                               << " entries, error " << r.entry_error << ", along a direction "
                               << r.direction_error << ")";
    EXPECT_GT(r.grad_norm, 0.0) << label << ": d/d" << r.name << " is all zero";
  }
}

std::string op_case_name(
    const ::testing::TestParamInfo<std::tuple<std::string, int64_t, int64_t, int64_t>>& info) {
  return std::get<0>(info.param) + "_N" + std::to_string(std::get<1>(info.param)) + "_K" +
         std::to_string(std::get<2>(info.param)) + "_B" + std::to_string(std::get<3>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllOpsAllShapes, OpAdjoint,
                         ::testing::Combine(::testing::ValuesIn(case_names()),
                                            ::testing::Values<int64_t>(1, 7, 64),
                                            ::testing::Values<int64_t>(1, 3),
                                            ::testing::Values<int64_t>(1, 3)),
                         op_case_name);

// ConstFill has no operand: its value is the whole story.
TEST(OpForward, ConstFillFillsAnNByNMatrix) {
  ir::Op op{OpKind::ConstFill, {}, 0, {}};
  op.attrs.value = -0.25;
  reference::Buffer out;
  reference::forward_op(op, {}, out, {3, 5});
  ASSERT_EQ(out.size(), 25u);
  for (double x : out) EXPECT_EQ(x, -0.25);
}

// The orientation conventions, on numbers small enough to do by hand.
TEST(OpForward, MatVecIsRowTimesColumnAndDaleSignsColumns) {
  using reference::Buffer;
  const Buffer w{1, 2, 3, 4}, z{10, 100};  // W = [[1,2],[3,4]], one trial
  ir::Op mv{OpKind::MatVec, {0, 1}, 2, {}};
  mv.attrs.scale = 0.5;
  Buffer y;
  const Buffer* in[] = {&w, &z};
  reference::forward_op(mv, in, y, {1, 2});
  EXPECT_EQ(y, (Buffer{0.5 * 210, 0.5 * 430}));  // s_i = scale sum_j W[i][j] z_j

  ir::Op dale{OpKind::DaleMask, {0}, 1, {}};
  dale.attrs.excitatory = 1;  // neuron 0 excitatory, neuron 1 inhibitory: column 1 flips
  Buffer w_eff;
  const Buffer* din[] = {&w};
  reference::forward_op(dale, din, w_eff, {1, 2});
  EXPECT_EQ(w_eff, (Buffer{1, -2, 3, -4}));
}

// The Noise op now draws spike noise (tests/reference/noise_op_test.cpp checks it in depth); with
// no noise kind it is the identity.
TEST(OpForward, NoiseWithoutKindIsTheIdentity) {
  ir::Op op{OpKind::Noise, {0}, 1, {}};
  const reference::Buffer r{0.5, 2.0};
  const reference::Buffer* in[] = {&r};
  reference::Buffer out;
  reference::forward_op(op, in, out, {1, 2});
  EXPECT_EQ(out, r);
}

}  // namespace
}  // namespace rnnjit::reftest
