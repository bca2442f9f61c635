// The host twin of the VWM loss kernels (templates/vwm_loss.cuh): the same float32 arithmetic,
// through the same shared math (math/vwm_loss_math.hpp), phase by phase as the kernels run,
// and the float64 assembly of a LossResult from the per-trial outputs of either.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "runtime/vwm/vwm_loss_device.hpp"
#include "math/vwm_loss_math.hpp"

namespace rnnjit::vwm {

namespace {

using namespace vwm_math;

// A block_sum of templates/common.cuh in the kernels' order: thread l accumulates the terms
// l, l + threads, ... in turn, each warp adds its lanes by an xor butterfly, and the warps' sums
// are added in warp order. Mirroring it keeps the twin within a few ulp of the kernels.
class BlockOrderSum {
 public:
  void add(int64_t j, float v) { lane_[j % kVwmLossThreads] += v; }
  void fma(int64_t j, float a, float b) {
    float& l = lane_[j % kVwmLossThreads];
    l = std::fmaf(a, b, l);
  }
  float total() const {
    float sum = 0.f;
    for (int w = 0; w < kVwmLossThreads / 32; ++w) {
      std::array<float, 32> v;
      for (int l = 0; l < 32; ++l) v[l] = lane_[w * 32 + l];
      for (int o = 16; o > 0; o >>= 1) {
        std::array<float, 32> next;
        for (int l = 0; l < 32; ++l) next[l] = v[l] + v[l ^ o];
        v = next;
      }
      sum += v[0];
    }
    return sum;
  }

 private:
  std::array<float, kVwmLossThreads> lane_{};
};

}  // namespace

void check_vwm_loss_shape(const char* who, int64_t B, int64_t T, int64_t N, int64_t M,
                          int64_t decode_start) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(std::string(who) + ": " + what);
  };
  if (B < 1 || T < 1 || N < 1 || M < 1)
    fail("needs B, T, N, M >= 1, got B = " + std::to_string(B) + ", T = " + std::to_string(T) +
         ", N = " + std::to_string(N) + ", M = " + std::to_string(M));
  if (M > kVwmLossMaxItems)
    fail("M = " + std::to_string(M) + " items exceed the kernels' limit of " +
         std::to_string(kVwmLossMaxItems) + " (2M outputs are held in registers)");
  if (decode_start < 0 || decode_start >= T)
    fail("decode window starts at step " + std::to_string(decode_start) + " but r has " +
         std::to_string(T) + " steps");
  constexpr int64_t kInt = std::numeric_limits<int>::max();
  if (N > kInt / (2 * M) || T > kInt / N || B > kInt / (T - decode_start))
    fail("B = " + std::to_string(B) + ", T = " + std::to_string(T) + ", N = " + std::to_string(N) +
         " exceed the kernels' int indices (B (T - decode_start), T N and 2 M N must fit an int)");
}

float vwm_reg_scale(const LossOptions& opt, int64_t B, int64_t T, int64_t N) {
  return static_cast<float>(opt.lambda_reg / static_cast<double>(B * T * N));
}

int vwm_error_def_code(ErrorDef def) {
  switch (def) {
    case ErrorDef::L2:
      return kVwmL2;
    case ErrorDef::SqrtL2:
      return kVwmSqrtL2;
    case ErrorDef::Rad:
      return kVwmRad;
    case ErrorDef::Exp:
      return kVwmExp;
  }
  throw std::invalid_argument("vwm loss: unknown error_def");
}

void vwm_loss_twin(const LossOptions& opt, int64_t B, int64_t T, int64_t N, int64_t M,
                   const float* r, const float* F, const float* theta, const float* presence,
                   float* dr, float* dF, float* trial_out, float* decoded) {
  check_vwm_loss_shape("vwm_loss_twin", B, T, N, M, opt.decode_start);
  const int64_t t0 = opt.decode_start, K = T - t0, O = 2 * M, P = B * K;
  const int def = vwm_error_def_code(opt.error_def);
  const float factor = static_cast<float>(opt.noise.factor);
  const float dt = static_cast<float>(opt.noise.dt);
  std::vector<float> z(P * N), slope(P * N), y(P * O), gy(P * O);

  // rnnjit_vwm_readout: the draws of each (trial, decode step) and y = F z'.
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t t = t0 + k, row = b * K + k;
      std::array<BlockOrderSum, kVwmMaxOut> acc;
      for (int64_t i = 0; i < N; ++i) {
        float& zv = z[row * N + i];
        noise::spike_noise<float>(opt.noise.kind, r[(b * T + t) * N + i], factor, dt,
                                  opt.noise.seed, noise::kStreamReadout, static_cast<unsigned>(t),
                                  static_cast<unsigned>(b), static_cast<unsigned>(i), &zv,
                                  &slope[row * N + i]);
        for (int64_t o = 0; o < O; ++o) acc[o].fma(i, F[o * N + i], zv);
      }
      for (int64_t o = 0; o < O; ++o) y[row * O + o] = acc[o].total();
    }

  // rnnjit_vwm_trial: activity, window means, the items in order, gy.
  const float lambda_err = static_cast<float>(opt.lambda_err);
  for (int64_t b = 0; b < B; ++b) {
    BlockOrderSum act;
    for (int64_t j = 0; j < T * N; ++j) act.add(j, std::fabs(r[b * T * N + j]));
    const float* yb = &y[b * K * O];
    std::array<float, kVwmMaxOut> ybar{}, nbar{}, gbar{};
    for (int m = 0; m < M; ++m)
      vwm_item_means(yb, static_cast<int>(K), static_cast<int>(O), m, &ybar[2 * m], &nbar[2 * m]);
    const VwmTrial tr =
        vwm_trial_items(def, static_cast<int>(M), static_cast<int>(B), lambda_err, theta + b * M,
                        presence + b * M, ybar.data(), nbar.data(), gbar.data(), decoded + b * M);
    float* out = trial_out + 4 * b;
    out[0] = tr.error;
    out[1] = act.total() / static_cast<float>(T * N);
    out[2] = tr.eval;
    out[3] = tr.present;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t m = 0; m < M; ++m)
        vwm_step_cotangent(def, yb + k * O + 2 * m, &gbar[2 * m], static_cast<int>(K),
                           &gy[(b * K + k) * O + 2 * m]);
  }

  // rnnjit_vwm_dr: every step's activity term, plus the readout's on the decode steps.
  const float reg_scale = vwm_reg_scale(opt, B, T, N);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      const bool window = t >= t0;
      const int64_t row = b * K + (t - t0), at = (b * T + t) * N;
      for (int64_t i = 0; i < N; ++i) {
        float dz = 0.f, sl = 0.f;
        if (window) {
          for (int64_t o = 0; o < O; ++o) dz = std::fmaf(gy[row * O + o], F[o * N + i], dz);
          sl = slope[row * N + i];
        }
        dr[at + i] = vwm_dr_value(r[at + i], reg_scale, window, dz, sl);
      }
    }

  // rnnjit_vwm_df_partial + rnnjit_vwm_df_reduce: slab sums of gy z'^T, then the slabs in order.
  const VwmSlabs slabs = vwm_df_slabs(static_cast<int>(P));
  std::vector<float> part(static_cast<size_t>(slabs.count) * O * N);
  for (int64_t s = 0; s < slabs.count; ++s) {
    const int64_t p0 = s * slabs.chunk, p1 = std::min<int64_t>(p0 + slabs.chunk, P);
    for (int64_t o = 0; o < O; ++o)
      for (int64_t i = 0; i < N; ++i) {
        float acc = 0.f;
        for (int64_t p = p0; p < p1; ++p) acc = std::fmaf(gy[p * O + o], z[p * N + i], acc);
        part[(s * O + o) * N + i] = acc;
      }
  }
  for (int64_t j = 0; j < O * N; ++j) {
    float sum = 0.f;
    for (int64_t s = 0; s < slabs.count; ++s) sum += part[s * O * N + j];
    dF[j] = sum;
  }
}

LossResult loss_result_from_parts(const LossOptions& opt, int64_t B, int64_t M,
                                  const std::vector<float>& trial_out,
                                  const std::vector<float>& decoded,
                                  const std::vector<double>& theta,
                                  const std::vector<double>& presence) {
  const size_t bm = static_cast<size_t>(B * M);
  if (B < 1 || M < 1 || trial_out.size() != static_cast<size_t>(4 * B) || decoded.size() != bm ||
      theta.size() != bm || presence.size() != bm)
    throw std::invalid_argument(
        "loss_result_from_parts: needs trial_out [B][4] and decoded, theta, presence [B][M] for "
        "B = " +
        std::to_string(B) + ", M = " + std::to_string(M));
  LossResult res;
  res.decoded.assign(bm, 0.0);
  res.angular_error.assign(bm, 0.0);
  res.trial_error.assign(static_cast<size_t>(B), 0.0);
  res.trial_activity.assign(static_cast<size_t>(B), 0.0);
  for (size_t j = 0; j < bm; ++j) {
    res.decoded[j] = decoded[j];
    if (presence[j] != 0) res.angular_error[j] = wrap_angle(theta[j] - res.decoded[j]);
  }
  std::vector<double> trial_loss(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    res.trial_error[b] = trial_out[4 * b + 2];
    res.trial_activity[b] = trial_out[4 * b + 1];
    trial_loss[b] = trial_out[4 * b + 0];
  }
  finish_loss_result(res, opt, trial_loss);
  return res;
}

}  // namespace rnnjit::vwm
