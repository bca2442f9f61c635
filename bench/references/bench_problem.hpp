// What `rnnjit bench` (cli/cmd_bench.cpp) and the Google Benchmark suite of the seed's tables
// (bench/tables/) both measure: the sweep points of the seed's README tables, the random run
// inputs, and the work counted per point. Header-only, so the CLI has it with or without the bench
// targets.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "compiler/spec.hpp"
#include "ir/module.hpp"
#include "runtime/core/tensor.hpp"

namespace rnnjit::bench {

struct SweepPoint {
  std::string table;  // which sweep it belongs to: neurons, steps, batch, gates, or sweep
  int64_t neurons, batch, steps, gates;
};

// The seed's tables: B=256, K=3, T=20 with N swept; N=256 with T, B or K swept. A cell without
// gates skips the gate sweep (and its points have gates = 0).
inline std::vector<SweepPoint> seed_table_points(bool cell_has_gates) {
  std::vector<SweepPoint> p;
  for (int64_t n : {128, 256, 384, 512, 640, 768, 896, 1024})
    p.push_back({"neurons", n, 256, 20, 3});
  for (int64_t t : {4, 8, 16, 20, 32, 128, 256, 512, 1024, 2048})
    p.push_back({"steps", 256, 256, t, 3});
  for (int64_t b : {32, 128, 256, 512, 1024, 2048}) p.push_back({"batch", 256, b, 20, 3});
  for (int64_t k : {2, 3, 4, 8, 32, 128, 256, 512, 1024}) p.push_back({"gates", 256, 256, 20, k});
  if (!cell_has_gates) {
    std::erase_if(p, [](const SweepPoint& x) { return x.table == "gates"; });
    for (auto& x : p) x.gates = 0;
  }
  return p;
}

// The spec at a sweep point: N and the size of the first gate input replaced.
inline ModelSpec spec_at(const ModelSpec& base, const SweepPoint& pt) {
  ModelSpec spec = base;
  spec.neurons = pt.neurons;
  if (!spec.gates.empty()) spec.gates.front().size = pt.gates;
  return spec;
}

// Random run inputs: r0 uniform (0,1); gates uniform (0, 1/K) so the gated sum stays O(1) whatever
// K is (uniform (0,1) would grow the rates by ~sqrt(K) per step and overflow at large K); inputs
// standard normal.
inline TensorMap make_bench_inputs(const ModelSpec& spec, int64_t b, int64_t t,
                                   std::mt19937_64& rng) {
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  TensorMap in;
  Tensor r0(DType::F32, {b, spec.neurons});
  for (float& v : r0.span<float>()) v = unit(rng);
  in["r0"] = std::move(r0);
  for (auto& g : spec.gates) {
    Tensor x(DType::F32, {b, t, g.size});
    for (float& v : x.span<float>()) v = unit(rng) / static_cast<float>(g.size);
    in[g.name] = std::move(x);
  }
  for (auto& u : spec.inputs) {
    Tensor x(DType::F32, {b, t, u.size});
    for (float& v : x.span<float>()) v = normal(rng);
    in[u.name] = std::move(x);
  }
  return in;
}

inline Tensor bench_cotangent(int64_t b, int64_t t, int64_t n, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Tensor c(DType::F32, {b, t, n});
  for (float& v : c.span<float>()) v = normal(rng);
  return c;
}

// M, the number of N x N matrices one step applies (the merged bank's slots, dense and gated
// terms): forward work 2 B T N^2 M flops, a training step counted as 3x that.
inline int64_t bank_size(const ir::Module& m) {
  int64_t count = 0;
  for (auto& op : m.step) {
    if (op.kind == ir::OpKind::BankMatVec) count += static_cast<int64_t>(op.attrs.slots.size());
    if (op.kind == ir::OpKind::MatVec) count += 1;
    if (op.kind == ir::OpKind::GatedMatVec) count += m.value(op.operands[0]).shape[0].size;
  }
  return count;
}
inline double forward_flops(const SweepPoint& pt, int64_t bank) {
  return 2.0 * static_cast<double>(pt.batch) * static_cast<double>(pt.steps) *
         static_cast<double>(pt.neurons) * static_cast<double>(pt.neurons) *
         static_cast<double>(bank);
}

}  // namespace rnnjit::bench
