#include "tests/train/train_test_util.hpp"

#include <atomic>
#include <cmath>
#include <filesystem>
#include <random>

#include <unistd.h>

namespace rnnjit::train::testing {

ModelSpec ring_spec(int64_t n, int64_t k) {
  ModelSpec s;
  s.name = "ring";
  s.path = "<test ring spec>";
  s.neurons = n;
  s.activation.kind = ir::Activation::Gelu;
  s.leak.alpha = 0.15;
  s.gates.push_back(GateSpec{"actions", k, {}});
  RecurrentTerm u;
  u.kind = TermKind::Uniform;
  u.value = -0.1;
  RecurrentTerm wo;
  wo.kind = TermKind::Dense;
  wo.name = "Wo";
  wo.scale = 0.1;
  wo.learn = true;
  RecurrentTerm wa;
  wa.kind = TermKind::Gated;
  wa.name = "Wa";
  wa.gated_by = "actions";
  wa.learn = true;
  s.recurrent = {u, wo, wa};
  return s;
}

std::string temp_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("rnnjit-train-" + tag + "-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter++) + "-" + std::to_string(rd() % 100000));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

double rel_error(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-300);
}

std::vector<double> finite_difference(std::vector<double>& x, const std::function<double()>& f,
                                      double h) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double fp = f();
    x[i] = x0 - h;
    const double fm = f();
    x[i] = x0;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

std::vector<double> values(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.at_f64(i);
  return v;
}

}  // namespace rnnjit::train::testing
