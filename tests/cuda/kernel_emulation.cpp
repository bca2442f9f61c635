#include "tests/cuda/kernel_emulation.hpp"

#include <cmath>

#include "compiler/activation_table.hpp"
#include "compiler/noise_kind.hpp"
#include "math/noise_math.hpp"

namespace rnnjit::cuda {

namespace {

// phi and phi' as the generated rnnjit_phi / rnnjit_dphi compute them: the expressions of
// compiler/activation_table.hpp in float.
float phi(const CellPlan& p, float x) {
  return act_emitted<float>(p.activation, x, p.rate).phi.v;
}
float dphi(const CellPlan& p, float x) {
  return act_emitted<float>(p.activation, x, p.rate).dphi.v;
}

// c_m(b,t) as load_coefs in templates/common.cuh.
float coef(const CellPlan& p, const PackedRun& run, int64_t m, int64_t b, int64_t t) {
  const PlanSlot& s = p.slots[static_cast<size_t>(m)];
  float c = static_cast<float>(s.coef);
  if (s.column >= 0)
    c *= run.gates[static_cast<size_t>((b * run.steps + t) * p.gate_columns + s.column)];
  return c;
}

}  // namespace

EmulatedForward emulate_forward(const CellPlan& p, const PackedParams& pp, const PackedRun& run,
                                int tb, uint64_t noise_seed) {
  const int64_t N = p.n, M = p.m(), I = p.input_columns, B = run.batch, T = run.steps;
  EmulatedForward f;
  f.r.assign(static_cast<size_t>(B * T * N), 0.f);
  f.s.assign(f.r.size(), 0.f);
  const bool noisy = p.has_noise();
  if (noisy) {
    f.z.assign(f.r.size(), 0.f);
    f.dz.assign(f.r.size(), 0.f);
  }
  const noise::NoiseKind kind = noise::to_noise_kind(p.noise);
  const float factor = static_cast<float>(p.noise_factor), ndt = static_cast<float>(p.noise_dt);
  const int64_t tiles = (B + tb - 1) / tb;
  for (int64_t tile = 0; tile < tiles; ++tile) {
    const int64_t b0 = tile * tb;
    std::vector<float> z(static_cast<size_t>(N * tb), 0.f);  // z[j*TB + b]
    for (int64_t j = 0; j < N; ++j)
      for (int64_t b = 0; b < tb; ++b)
        if (b0 + b < B)
          z[static_cast<size_t>(j * tb + b)] = run.r0[static_cast<size_t>((b0 + b) * N + j)];
    for (int64_t t = 0; t < T; ++t) {
      // The kernel's in-place draw: z[j*TB + b] = nu(r_{t-1}), saved with dz/dr.
      std::vector<float> rprev = z;
      if (noisy) {
        for (int64_t j = 0; j < N; ++j)
          for (int64_t b = 0; b < tb; ++b) {
            if (b0 + b >= B) continue;
            float& zk = z[static_cast<size_t>(j * tb + b)];
            float zv = 0.f, dz = 0.f;
            noise::spike_noise<float>(kind, zk, factor, ndt, noise_seed, noise::kStreamRecurrent,
                                      static_cast<noise::u32>(t), static_cast<noise::u32>(b0 + b),
                                      static_cast<noise::u32>(j), &zv, &dz);
            zk = zv;
            const size_t o = static_cast<size_t>(((b0 + b) * T + t) * N + j);
            f.z[o] = zv;
            f.dz[o] = dz;
          }
      }
      std::vector<float> acc(static_cast<size_t>(N * tb), 0.f), zsum(static_cast<size_t>(tb), 0.f);
      for (int64_t b = 0; b < tb; ++b)
        for (int64_t j = 0; j < N; ++j)
          zsum[static_cast<size_t>(b)] += z[static_cast<size_t>(j * tb + b)];
      for (int64_t m = 0; m < M; ++m)
        for (int64_t b = 0; b < tb; ++b) {
          if (b0 + b >= B) continue;
          const float c = coef(p, run, m, b0 + b, t);
          for (int64_t i = 0; i < N; ++i) {
            float y = 0.f;
            for (int64_t j = 0; j < N; ++j)
              y = std::fma(pp.bank_t[static_cast<size_t>((m * N + j) * N + i)],
                           z[static_cast<size_t>(j * tb + b)], y);
            acc[static_cast<size_t>(i * tb + b)] =
                std::fma(c, y, acc[static_cast<size_t>(i * tb + b)]);
          }
        }
      for (int64_t i = 0; i < N; ++i)
        for (int64_t b = 0; b < tb; ++b) {
          if (b0 + b >= B) continue;
          float s = acc[static_cast<size_t>(i * tb + b)];
          if (p.rowsum != 0.0) s += static_cast<float>(p.rowsum) * zsum[static_cast<size_t>(b)];
          for (int64_t q = 0; q < I; ++q)
            s = std::fma(pp.w_in[static_cast<size_t>(i * I + q)],
                         run.u[static_cast<size_t>(((b0 + b) * T + t) * I + q)], s);
          s += pp.bias[static_cast<size_t>(i)];
          const float a = pp.alpha[static_cast<size_t>(i)];
          const float rp = rprev[static_cast<size_t>(i * tb + b)];  // r_{t-1}
          const float rn = (1.f - a) * rp + a * phi(p, s);
          const size_t o = static_cast<size_t>(((b0 + b) * T + t) * N + i);
          f.r[o] = rn;
          f.s[o] = s;
        }
      // The kernel overwrites z only after every thread has read it; so does this.
      for (int64_t i = 0; i < N; ++i)
        for (int64_t b = 0; b < tb; ++b)
          if (b0 + b < B)
            z[static_cast<size_t>(i * tb + b)] =
                f.r[static_cast<size_t>(((b0 + b) * T + t) * N + i)];
    }
  }
  return f;
}

DeviceGrads emulate_backward(const CellPlan& p, const PackedParams& pp, const PackedRun& run,
                             const EmulatedForward& fwd, const std::vector<float>& dr, int tb) {
  const int64_t N = p.n, M = p.m(), G = p.gate_columns, I = p.input_columns, B = run.batch,
                T = run.steps;
  const int64_t tiles = (B + tb - 1) / tb;
  DeviceGrads g;
  g.parts = tiles;
  g.dr0.assign(static_cast<size_t>(B * N), 0.f);
  g.dgates.assign(static_cast<size_t>(B * T * G), 0.f);
  g.du.assign(static_cast<size_t>(B * T * I), 0.f);
  g.dbank.assign(static_cast<size_t>(M * N * N), 0.f);
  g.dw_in.assign(static_cast<size_t>(N * I), 0.f);
  g.dalpha_part.assign(static_cast<size_t>(tiles * N), 0.f);
  g.dbias_part.assign(static_cast<size_t>(tiles * N), 0.f);
  std::vector<float> delta(static_cast<size_t>(B * T * N), 0.f);
  auto rprev = [&](int64_t b, int64_t t, int64_t j) {  // r_{t-1}
    return t > 0 ? fwd.r[static_cast<size_t>((b * T + t - 1) * N + j)]
                 : run.r0[static_cast<size_t>(b * N + j)];
  };
  const bool noisy = p.has_noise();
  auto zt = [&](int64_t b, int64_t t, int64_t j) {  // what the bank read: r_{t-1} or its draw
    return noisy ? fwd.z[static_cast<size_t>((b * T + t) * N + j)] : rprev(b, t, j);
  };

  for (int64_t tile = 0; tile < tiles; ++tile) {
    const int64_t b0 = tile * tb;
    std::vector<float> lam(static_cast<size_t>(N * tb), 0.f);
    for (int64_t i = 0; i < N; ++i)
      for (int64_t b = 0; b < tb; ++b)
        if (b0 + b < B)
          lam[static_cast<size_t>(i * tb + b)] =
              dr[static_cast<size_t>(((b0 + b) * T + T - 1) * N + i)];
    for (int64_t t = T - 1; t >= 0; --t) {
      std::vector<float> dl(static_cast<size_t>(N * tb), 0.f), dsum(static_cast<size_t>(tb), 0.f);
      for (int64_t i = 0; i < N; ++i) {
        const float a = pp.alpha[static_cast<size_t>(i)];
        for (int64_t b = 0; b < tb; ++b) {
          if (b0 + b >= B) continue;
          const size_t o = static_cast<size_t>(((b0 + b) * T + t) * N + i);
          const float s = fwd.s[o], l = lam[static_cast<size_t>(i * tb + b)];
          const float d = a * dphi(p, s) * l;
          delta[o] = d;
          dl[static_cast<size_t>(i * tb + b)] = d;
          dsum[static_cast<size_t>(b)] += d;
          g.dalpha_part[static_cast<size_t>(tile * N + i)] += l * (phi(p, s) - rprev(b0 + b, t, i));
          g.dbias_part[static_cast<size_t>(tile * N + i)] += d;
        }
      }
      std::vector<float> zeta(static_cast<size_t>(N * tb), 0.f);
      for (int64_t m = 0; m < M; ++m)
        for (int64_t b = 0; b < tb; ++b) {
          if (b0 + b >= B) continue;
          const float c = coef(p, run, m, b0 + b, t);
          float dg = 0.f;
          for (int64_t j = 0; j < N; ++j) {
            float v = 0.f;
            for (int64_t i = 0; i < N; ++i)
              v = std::fma(pp.bank[static_cast<size_t>((m * N + i) * N + j)],
                           dl[static_cast<size_t>(i * tb + b)], v);
            zeta[static_cast<size_t>(j * tb + b)] =
                std::fma(c, v, zeta[static_cast<size_t>(j * tb + b)]);
            dg = std::fma(zt(b0 + b, t, j), v, dg);
          }
          const PlanSlot& s = p.slots[static_cast<size_t>(m)];
          if (s.column >= 0)
            g.dgates[static_cast<size_t>(((b0 + b) * T + t) * G + s.column)] +=
                static_cast<float>(s.coef) * dg;
        }
      for (int64_t b = 0; b < tb; ++b) {
        if (b0 + b >= B) continue;
        for (int64_t q = 0; q < I; ++q) {
          float s = 0.f;
          for (int64_t i = 0; i < N; ++i)
            s = std::fma(pp.w_in[static_cast<size_t>(i * I + q)],
                         dl[static_cast<size_t>(i * tb + b)], s);
          g.du[static_cast<size_t>(((b0 + b) * T + t) * I + q)] = s;
        }
      }
      for (int64_t j = 0; j < N; ++j) {
        const float a = pp.alpha[static_cast<size_t>(j)];
        for (int64_t b = 0; b < tb; ++b) {
          if (b0 + b >= B) continue;
          float z = zeta[static_cast<size_t>(j * tb + b)];
          if (p.rowsum != 0.0) z += static_cast<float>(p.rowsum) * dsum[static_cast<size_t>(b)];
          if (noisy) z *= fwd.dz[static_cast<size_t>(((b0 + b) * T + t) * N + j)];
          float ln = (1.f - a) * lam[static_cast<size_t>(j * tb + b)] + z;
          if (t > 0) ln += dr[static_cast<size_t>(((b0 + b) * T + t - 1) * N + j)];
          lam[static_cast<size_t>(j * tb + b)] = ln;
        }
      }
    }
    for (int64_t i = 0; i < N; ++i)
      for (int64_t b = 0; b < tb; ++b)
        if (b0 + b < B)
          g.dr0[static_cast<size_t>((b0 + b) * N + i)] = lam[static_cast<size_t>(i * tb + b)];
  }

  // The weight gradients: reductions over the B*T rows (weight_grad.cuh).
  const int64_t rows = B * T;
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t b = row / T, t = row - b * T;
    for (int64_t m = 0; m < M; ++m) {
      const float c = coef(p, run, m, b, t);
      for (int64_t i = 0; i < N; ++i) {
        const float a = delta[static_cast<size_t>(row * N + i)] * c;
        for (int64_t j = 0; j < N; ++j)
          g.dbank[static_cast<size_t>((m * N + i) * N + j)] += a * zt(b, t, j);
      }
    }
    for (int64_t i = 0; i < N; ++i)
      for (int64_t q = 0; q < I; ++q)
        g.dw_in[static_cast<size_t>(i * I + q)] +=
            delta[static_cast<size_t>(row * N + i)] * run.u[static_cast<size_t>(row * I + q)];
  }
  return g;
}

}  // namespace rnnjit::cuda
