#include "runtime/vwm/analysis/fixed_point_finder.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rnnjit::vwm {

namespace {

double dist(const double* a, const double* b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

// q and d = x - f(x) for every state.
void residual(const FixedPointCallbacks& f, const std::vector<double>& X, int64_t K,
              std::vector<double>& FX, std::vector<double>& D, std::vector<double>& q) {
  f.step(X, K, FX);
  const int64_t n = f.n;
  if (static_cast<int64_t>(FX.size()) != K * n)
    throw std::runtime_error("find_fixed_points: step returned " + std::to_string(FX.size()) +
                             " values for " + std::to_string(K) + " states of size " +
                             std::to_string(n));
  D.resize(K * n);
  q.assign(K, 0.0);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t i = 0; i < n; ++i) {
      const double d = X[k * n + i] - FX[k * n + i];
      D[k * n + i] = d;
      q[k] += 0.5 * d * d;
    }
}

// dq/dx = d - J^T d for every state.
void gradient(const FixedPointCallbacks& f, const std::vector<double>& X,
              const std::vector<double>& D, int64_t K, std::vector<double>& G) {
  std::vector<double> jtd;
  f.vjp(X, D, K, jtd);
  G.resize(K * f.n);
  for (int64_t j = 0; j < K * f.n; ++j) G[j] = D[j] - jtd[j];
}

}  // namespace

std::vector<double> jacobian_by_vjp(const FixedPointCallbacks& f, const std::vector<double>& x) {
  const int64_t n = f.n;
  std::vector<double> X(n * n), V(n * n, 0.0), J;
  for (int64_t i = 0; i < n; ++i) {
    std::copy(x.begin(), x.end(), X.begin() + i * n);
    V[i * n + i] = 1;
  }
  f.vjp(X, V, n, J);  // row i = e_i^T J = J's row i
  return J;
}

std::vector<std::complex<double>> real_eigenvalues(const std::vector<double>& A, int64_t n) {
  Eigen::MatrixXd M(n, n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) M(i, j) = A[i * n + j];
  Eigen::EigenSolver<Eigen::MatrixXd> es(M, /*computeEigenvectors=*/false);
  if (es.info() != Eigen::Success) throw std::runtime_error("real_eigenvalues: no convergence");
  std::vector<std::complex<double>> ev(n);
  for (int64_t i = 0; i < n; ++i) ev[i] = es.eigenvalues()(i);
  std::sort(ev.begin(), ev.end(), [](auto a, auto b) { return std::abs(a) > std::abs(b); });
  return ev;
}

FixedPointReport find_fixed_points(const FixedPointCallbacks& f,
                                   const std::vector<double>& initial_states, int64_t K,
                                   const FixedPointOptions& opt) {
  const int64_t n = f.n;
  if (static_cast<int64_t>(initial_states.size()) != K * n)
    throw std::invalid_argument("find_fixed_points: " + std::to_string(initial_states.size()) +
                                " initial values for " + std::to_string(K) + " states of size " +
                                std::to_string(n));
  FixedPointReport rep;
  std::vector<double> X = initial_states, FX, D, q, G;
  residual(f, X, K, FX, D, q);
  gradient(f, X, D, K, G);

  // Per-state L-BFGS (memory kMem) with backtracking Armijo line search, run in lockstep so every
  // iteration is one batched step and one batched VJP over all states.
  constexpr int kMem = 8;
  constexpr double kArmijo = 1e-4;
  struct Lbfgs {
    std::vector<std::vector<double>> s, y;
    std::vector<double> rho;
    std::vector<double> p;  // search direction
    double alpha = 1;
    int failures = 0;  // consecutive line-search collapses
  };
  std::vector<Lbfgs> st(K);
  auto dot = [&](const double* a, const double* b) {
    double v = 0;
    for (int64_t i = 0; i < n; ++i) v += a[i] * b[i];
    return v;
  };
  // p = -H g by the two-loop recursion (H0 = gamma I, gamma = s.y / y.y of the newest pair);
  // steepest descent when there is no memory or the result is not a descent direction.
  auto direction = [&](int64_t k) {
    Lbfgs& L = st[k];
    const double* g = &G[k * n];
    std::vector<double> v(g, g + n);
    const int m = static_cast<int>(L.s.size());
    std::vector<double> a(m);
    for (int j = m - 1; j >= 0; --j) {
      a[j] = L.rho[j] * dot(L.s[j].data(), v.data());
      for (int64_t i = 0; i < n; ++i) v[i] -= a[j] * L.y[j][i];
    }
    double gamma = 1;
    if (m > 0)
      gamma = dot(L.s[m - 1].data(), L.y[m - 1].data()) / dot(L.y[m - 1].data(), L.y[m - 1].data());
    for (auto& x : v) x *= gamma;
    for (int j = 0; j < m; ++j) {
      const double b = L.rho[j] * dot(L.y[j].data(), v.data());
      for (int64_t i = 0; i < n; ++i) v[i] += (a[j] - b) * L.s[j][i];
    }
    L.p.resize(n);
    for (int64_t i = 0; i < n; ++i) L.p[i] = -v[i];
    const double gn = std::sqrt(dot(g, g));
    if (m == 0 || !(dot(L.p.data(), g) < 0)) {
      L.s.clear(), L.y.clear(), L.rho.clear();
      for (int64_t i = 0; i < n; ++i) L.p[i] = -g[i];
      L.alpha = gn > 0 ? std::min(1.0, opt.lr_init / gn) : 1.0;  // first step of length lr_init
    } else {
      L.alpha = 1;
    }
  };
  for (int64_t k = 0; k < K; ++k) direction(k);

  std::vector<char> done(K, 0);
  std::vector<double> Xc(K * n), FXc, Dc, qc, Gc;
  int it = 0;
  for (; it < opt.max_iters; ++it) {
    bool all = true;
    for (int64_t k = 0; k < K; ++k) {
      if (q[k] < opt.q_tol || st[k].failures > 3) done[k] = 1;
      all = all && done[k];
    }
    if (all) break;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t i = 0; i < n; ++i)
        Xc[k * n + i] = X[k * n + i] + (done[k] ? 0.0 : st[k].alpha * st[k].p[i]);
    residual(f, Xc, K, FXc, Dc, qc);
    gradient(f, Xc, Dc, K, Gc);
    for (int64_t k = 0; k < K; ++k) {
      if (done[k]) continue;
      Lbfgs& L = st[k];
      const double slope = dot(&G[k * n], L.p.data());
      if (qc[k] <= q[k] + kArmijo * L.alpha * slope) {
        std::vector<double> sv(n), yv(n);
        for (int64_t i = 0; i < n; ++i) {
          sv[i] = Xc[k * n + i] - X[k * n + i];
          yv[i] = Gc[k * n + i] - G[k * n + i];
        }
        const double sy = dot(sv.data(), yv.data());
        if (sy > 1e-300) {
          L.s.push_back(std::move(sv));
          L.y.push_back(std::move(yv));
          L.rho.push_back(1 / sy);
          if (L.s.size() > kMem) {
            L.s.erase(L.s.begin());
            L.y.erase(L.y.begin());
            L.rho.erase(L.rho.begin());
          }
        }
        std::copy(Xc.begin() + k * n, Xc.begin() + (k + 1) * n, X.begin() + k * n);
        std::copy(Dc.begin() + k * n, Dc.begin() + (k + 1) * n, D.begin() + k * n);
        std::copy(Gc.begin() + k * n, Gc.begin() + (k + 1) * n, G.begin() + k * n);
        q[k] = qc[k];
        L.failures = 0;
        direction(k);
      } else {
        L.alpha *= 0.5;
        if (L.alpha < 1e-12) {  // the line search collapsed: restart from steepest descent
          L.failures++;
          L.s.clear(), L.y.clear(), L.rho.clear();
          direction(k);
          L.alpha *= std::pow(0.1, L.failures);
        }
      }
    }
  }
  rep.iterations = it;
  rep.final_q = q;

  // Outlier scale from the initial states.
  std::vector<double> centroid(n, 0.0);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t i = 0; i < n; ++i) centroid[i] += initial_states[k * n + i] / K;
  double mean_dist = 0;
  for (int64_t k = 0; k < K; ++k) mean_dist += dist(&initial_states[k * n], centroid.data(), n) / K;

  std::vector<int64_t> order;
  for (int64_t k = 0; k < K; ++k) {
    if (!(q[k] < opt.q_tol)) {
      rep.unconverged++;
      continue;
    }
    if (opt.outlier_distance_scale > 0 && mean_dist > 0 &&
        dist(&X[k * n], centroid.data(), n) > opt.outlier_distance_scale * mean_dist) {
      rep.outliers++;
      continue;
    }
    order.push_back(k);
  }
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return q[a] < q[b]; });
  for (int64_t k : order) {
    bool dup = false;
    for (auto& p : rep.points)
      if (dist(p.x.data(), &X[k * n], n) < opt.dedup_tol) {
        p.hits++;
        dup = true;
        break;
      }
    if (dup) {
      rep.duplicates++;
      continue;
    }
    FixedPoint p;
    p.x.assign(X.begin() + k * n, X.begin() + (k + 1) * n);
    p.q = q[k];
    p.init_index = k;
    rep.points.push_back(std::move(p));
  }
  if (opt.jacobians)
    for (auto& p : rep.points) {
      p.jacobian = jacobian_by_vjp(f, p.x);
      p.eigenvalues = real_eigenvalues(p.jacobian, n);
      p.spectral_radius = p.eigenvalues.empty() ? 0 : std::abs(p.eigenvalues.front());
      p.stable = p.spectral_radius < 1;
    }
  return rep;
}

Pca pca(const std::vector<double>& X, int64_t rows, int64_t n, int64_t k) {
  Pca p;
  p.mean.assign(n, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < n; ++i) p.mean[i] += X[r * n + i] / rows;
  Eigen::MatrixXd C = Eigen::MatrixXd::Zero(n, n);
  for (int64_t r = 0; r < rows; ++r) {
    Eigen::VectorXd d(n);
    for (int64_t i = 0; i < n; ++i) d(i) = X[r * n + i] - p.mean[i];
    C += d * d.transpose();
  }
  if (rows > 1) C /= static_cast<double>(rows - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(C);
  k = std::min(k, n);
  p.components.assign(k * n, 0.0);
  p.variance.assign(k, 0.0);
  for (int64_t c = 0; c < k; ++c) {
    const int64_t col = n - 1 - c;  // ascending order from Eigen
    p.variance[c] = es.eigenvalues()(col);
    for (int64_t i = 0; i < n; ++i) p.components[c * n + i] = es.eigenvectors()(i, col);
  }
  p.projected = pca_project(p, X, rows);
  return p;
}

std::vector<double> pca_project(const Pca& p, const std::vector<double>& Y, int64_t rows) {
  const int64_t n = static_cast<int64_t>(p.mean.size());
  const int64_t k = n > 0 ? static_cast<int64_t>(p.components.size()) / n : 0;
  std::vector<double> out(rows * k, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < k; ++c) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += (Y[r * n + i] - p.mean[i]) * p.components[c * n + i];
      out[r * k + c] = s;
    }
  return out;
}

}  // namespace rnnjit::vwm
