// Fixed points of a recurrent map x -> f(x) (issue 6), written against callbacks so any executor
// can supply f (one deterministic step of the cell from state x with zero input and no noise) and
// its vector-Jacobian product v^T df/dx (the cell's backward pass of that one step, read off as the
// gradient with respect to r0).
//
// Each initial state is moved downhill on q(x) = 0.5 |x - f(x)|^2, whose gradient is
//     dq/dx = d - J^T d,   d = x - f(x),   J = df/dx         (one step and one VJP)
// by L-BFGS (memory 8, backtracking Armijo line search, the first step of length lr_init), every
// state in lockstep so each iteration is one batched step and one batched VJP. States whose q ends
// below q_tol are fixed points; those far from the initial states are outliers (distance to the
// initial states' centroid above outlier_distance_scale times the initial states' mean distance to
// it); the rest are merged when closer than dedup_tol (the one with the smaller q is kept). At each
// fixed point the Jacobian is formed from N VJPs (row i = e_i^T J) and its eigenvalues computed;
// the point is stable iff every |lambda| < 1.
//
// Unlike the seed's finder, q and its gradient are exact (no autograd through a noisy step), and
// unconverged states are reported rather than returned as fixed points.
#pragma once

#include <complex>
#include <cstdint>
#include <functional>
#include <vector>

#include "runtime/vwm/vwm_config.hpp"

namespace rnnjit::vwm {

struct FixedPointCallbacks {
  int64_t n = 0;  // state dimension
  // X: [K, n] row-major states; FX: resized to [K, n] = f of each.
  std::function<void(const std::vector<double>& X, int64_t K, std::vector<double>& FX)> step;
  // Out: resized to [K, n], row k = V[k]^T J(X[k]).
  std::function<void(const std::vector<double>& X, const std::vector<double>& V, int64_t K,
                     std::vector<double>& out)>
      vjp;
};

struct FixedPointOptions {
  int max_iters = 5000;     // L-BFGS iterations (fpf_options() takes the seed's fpf_hps)
  double lr_init = 0.01;    // length of the first (steepest-descent) step
  double q_tol = 1e-12;     // converged when q < q_tol
  double dedup_tol = 1e-3;  // Euclidean distance below which two fixed points are one
  double outlier_distance_scale = 10.0;  // <= 0: keep everything
  bool jacobians = true;                 // compute Jacobians and eigenvalues
};

struct FixedPoint {
  std::vector<double> x;  // [n]
  double q = 0;
  int64_t init_index = 0;                         // the initial state it was reached from
  int64_t hits = 1;                               // initial states that converged to it
  std::vector<double> jacobian;                   // [n, n] row-major, J[i][j] = df_i/dx_j
  std::vector<std::complex<double>> eigenvalues;  // sorted by |lambda|, largest first
  double spectral_radius = 0;
  bool stable = false;  // all |lambda| < 1
};

struct FixedPointReport {
  std::vector<FixedPoint> points;
  std::vector<double> final_q;  // [K] q reached from each initial state
  int64_t unconverged = 0, outliers = 0, duplicates = 0;
  int iterations = 0;
};

// The seed's fpf_hps mapped onto the options (max_iters, lr_init, outlier_distance_scale).
inline FixedPointOptions fpf_options(const FpfHps& h) {
  FixedPointOptions o;
  o.max_iters = static_cast<int>(h.max_iters);
  o.lr_init = h.lr_init;
  o.outlier_distance_scale = h.outlier_distance_scale;
  return o;
}

FixedPointReport find_fixed_points(const FixedPointCallbacks& f,
                                   const std::vector<double>& initial_states, int64_t K,
                                   const FixedPointOptions& opt = {});

// The Jacobian of f at x by n VJPs, [n, n] row-major.
std::vector<double> jacobian_by_vjp(const FixedPointCallbacks& f, const std::vector<double>& x);

// Eigenvalues of a real square matrix ([n, n] row-major), largest |lambda| first (Eigen3).
std::vector<std::complex<double>> real_eigenvalues(const std::vector<double>& A, int64_t n);

// The top `k` principal axes of rows X [rows, n]: mean [n], components [k, n] (unit, descending
// variance) and the projections [rows, k] — for the trajectory / fixed-point plot.
struct Pca {
  std::vector<double> mean, components, projected, variance;
};
Pca pca(const std::vector<double>& X, int64_t rows, int64_t n, int64_t k);
// Projects further rows Y [rows, n] on an existing PCA: [rows, k].
std::vector<double> pca_project(const Pca& p, const std::vector<double>& Y, int64_t rows);

}  // namespace rnnjit::vwm
