// Tick positions and labels, and histogram binning: pure numerics, no cairo.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "runtime/plot/painter.hpp"  // format_tick_scientific
#include "runtime/plot/plot.hpp"

namespace rnnjit::plot {

namespace {

// How many multiples of `step` lie in [lo, hi] (with a little slack so that an end exactly on a
// multiple, up to rounding, counts).
long count_multiples(double lo, double hi, double step) {
  double eps = step * 1e-9;
  return static_cast<long>(std::floor((hi + eps) / step) - std::ceil((lo - eps) / step)) + 1;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (lo > hi) std::swap(lo, hi);
  max_ticks = std::max(max_ticks, 2);
  if (hi - lo <= std::abs(hi) * 1e-12 || hi == lo) {
    // A single value: one tick on it (the caller pads the range).
    return {lo};
  }
  // Start one decade below the naive step and walk up the 1-2-2.5-5 ladder until few enough fit.
  // The count only falls as the step grows; if it jumps from too many straight to a single tick,
  // the previous step (a few ticks too many) beats an axis with one number on it.
  double exponent = std::floor(std::log10((hi - lo) / max_ticks)) - 1;
  static const double kMantissas[] = {1, 2, 2.5, 5};
  double previous = 0;
  for (int decade = 0; decade < 6; ++decade) {
    double base = std::pow(10.0, exponent + decade);
    for (double m : kMantissas) {
      double step = m * base;
      long count = count_multiples(lo, hi, step);
      if (count > max_ticks) {
        previous = step;
        continue;
      }
      if (count < 2 && previous > 0) step = previous;
      std::vector<double> ticks;
      double eps = step * 1e-9;
      for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps; k += 1) {
        double v = k * step;
        if (std::abs(v) < step * 1e-9) v = 0;  // no "-0" or "1e-17"
        ticks.push_back(v);
      }
      return ticks;
    }
  }
  return {lo, hi};
}

std::vector<double> log_ticks(double lo, double hi, int max_ticks) {
  if (!(lo > 0) || !(hi > 0) || !std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (lo > hi) std::swap(lo, hi);
  double eps = 1e-9;
  int d0 = static_cast<int>(std::floor(std::log10(lo) + eps));
  int d1 = static_cast<int>(std::floor(std::log10(hi) + eps));
  std::vector<double> ticks;
  auto in_range = [&](double v) { return v >= lo * (1 - eps) && v <= hi * (1 + eps); };
  if (d1 - d0 >= 2) {
    // Whole decades, every `stride`-th one so that at most max_ticks remain; with fewer than three
    // decades inside the range, the 1-2-5 multiples below read better.
    int first = static_cast<int>(std::ceil(std::log10(lo) - eps));
    int n = d1 - first + 1;
    int stride = std::max(1, (n + max_ticks - 1) / std::max(1, max_ticks));
    for (int d = first; d <= d1; d += stride) ticks.push_back(std::pow(10.0, d));
    if (ticks.size() >= 3) return ticks;
  }
  // A narrow range: 1, 2, 5 multiples (or 1, 2, 3, 5; or powers of ten only).
  for (const std::vector<double>& ms :
       {std::vector<double>{1, 2, 5}, std::vector<double>{1, 2, 3, 5}, std::vector<double>{1}}) {
    ticks.clear();
    for (int d = d0; d <= d1; ++d)
      for (double m : ms)
        if (double v = m * std::pow(10.0, d); in_range(v)) ticks.push_back(v);
    if (ticks.size() >= 3 && static_cast<int>(ticks.size()) <= max_ticks) return ticks;
  }
  // Too narrow for 1-2-5 multiples to give enough ticks: fall back to linear ticks.
  return nice_ticks(lo, hi, std::min(max_ticks, 5));
}

namespace detail {

std::string format_tick_scientific(double v, double step) {
  if (v == 0) return "0";
  step = std::abs(step);
  if (!(step > 0) || !std::isfinite(step)) step = std::abs(v);
  // As many mantissa digits as the step needs (one more for a 2.5 step), then tidy the exponent
  // ("2e-05" -> "2e-5").
  int exp_v = static_cast<int>(std::floor(std::log10(std::abs(v))));
  int exp_s = static_cast<int>(std::floor(std::log10(step)));
  bool quarter = std::abs(step / std::pow(10.0, exp_s) - 2.5) < 1e-6;
  int digits = std::clamp(exp_v - exp_s + (quarter ? 1 : 0), 0, 6);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*e", digits, v);
  std::string s(buf);
  auto e = s.find('e');
  std::string mant = s.substr(0, e), ex = s.substr(e + 1);
  bool neg = ex[0] == '-';
  ex = ex.substr(1);
  while (ex.size() > 1 && ex[0] == '0') ex.erase(0, 1);
  return mant + "e" + (neg ? "-" : "") + ex;
}

}  // namespace detail

std::string format_tick(double v, double step) {
  if (v == 0) return "0";
  step = std::abs(step);
  if (!(step > 0) || !std::isfinite(step)) step = std::abs(v);
  double mag = std::max(std::abs(v), step);
  if (mag >= 1e6 || step < 1e-4) return detail::format_tick_scientific(v, step);
  char buf[64];
  // Fixed: the fewest decimals at which the step is exact.
  int decimals = 0;
  while (decimals < 8) {
    double scaled = step * std::pow(10.0, decimals);
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) break;
    ++decimals;
  }
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s(buf);
  if (s == "-0" || s.find_first_not_of("-0.") == std::string::npos) return "0";
  return s;
}

std::vector<double> bin_counts(const std::vector<double>& values, int bins, double lo, double hi) {
  std::vector<double> counts(static_cast<size_t>(std::max(bins, 1)), 0.0);
  if (!(hi > lo)) {
    for (double v : values)
      if (v == lo) counts[0] += 1;
    return counts;
  }
  double width = (hi - lo) / static_cast<double>(counts.size());
  for (double v : values) {
    if (!(v >= lo && v <= hi)) continue;  // also skips NaN
    auto k = static_cast<size_t>((v - lo) / width);
    counts[std::min(k, counts.size() - 1)] += 1;
  }
  return counts;
}

}  // namespace rnnjit::plot
