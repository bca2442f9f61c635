// rnnjit bench: the JIT kernels against the eager references and the float64 interpreter, over a
// sweep of shapes (bench/README.md). For each point: JIT time, eager time, speedup, relative error,
// GFLOP/s, fraction of the measured fp32 peak, JIT compile time; as JSON and markdown tables.
#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "bench/references/bench_problem.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/params.hpp"
#ifdef RNNJIT_HAVE_BENCH_REFS
#include "bench/references/eager_cpu.hpp"
#ifdef RNNJIT_HAVE_EAGER_GPU
#include "bench/references/eager_gpu.hpp"
#include "bench/references/eager_ops.hpp"
#endif
#include "bench/references/peak.hpp"
#endif
#ifdef RNNJIT_HAVE_CUDA
#include "runtime/cuda/cuda_executor.hpp"
#endif

namespace rnnjit::cli {

namespace {

using Clock = std::chrono::steady_clock;

using Point = bench::SweepPoint;

struct Settings {
  std::string backend;
  int repeats = 20, warmup = 3, ref_repeats = 5;
  int64_t accuracy_batch = 4, accuracy_steps = 64;
  uint64_t seed = 1;
  bool run_reference = true;
};

std::vector<int64_t> parse_list(const std::string& text, const std::string& what) {
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    try {
      size_t used = 0;
      const long long v = std::stoll(item, &used);
      if (used != item.size() || v < 1) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--sweep {}: '{}' is not a positive integer", what, item));
    }
    pos = comma + 1;
  }
  return out;
}

// The seed's README tables (B=256, K=3, T=20 unless swept), or the cartesian product of --sweep.
std::vector<Point> make_points(const std::vector<std::string>& sweeps, const ModelSpec& spec) {
  const int64_t spec_gates = spec.gates.empty() ? 0 : spec.gates.front().size;
  if (sweeps.empty()) return bench::seed_table_points(!spec.gates.empty());
  std::map<std::string, std::vector<int64_t>> lists{
      {"neurons", {spec.neurons}}, {"batch", {256}}, {"steps", {20}}, {"gates", {spec_gates}}};
  // cxxopts splits a vector option at commas ("neurons=32,48" -> "neurons=32", "48"): an item
  // without '=' continues the list of the key before it.
  std::vector<std::string> joined;
  for (const std::string& s : sweeps) {
    if (s.find('=') == std::string::npos && !joined.empty())
      joined.back() += "," + s;
    else
      joined.push_back(s);
  }
  for (const std::string& s : joined) {
    const size_t eq = s.find('=');
    const std::string key = s.substr(0, eq);
    if (eq == std::string::npos || !lists.count(key))
      throw UsageError(
          fmt::format("--sweep '{}': expected neurons=, batch=, steps= or gates= and a list", s));
    if (key == "gates" && spec.gates.empty())
      throw UsageError(
          fmt::format("--sweep gates: spec {} has no gate input to resize", spec.path));
    lists[key] = parse_list(s.substr(eq + 1), key);
  }
  std::vector<Point> p;
  for (int64_t n : lists["neurons"])
    for (int64_t b : lists["batch"])
      for (int64_t t : lists["steps"])
        for (int64_t k : lists["gates"]) p.push_back({"sweep", n, b, t, k});
  return p;
}

// The first `b` trials and `t` steps of every run input (for the accuracy check on big points).
TensorMap sub_inputs(const TensorMap& in, int64_t b, int64_t t) {
  TensorMap out;
  for (auto& [name, x] : in) {
    if (x.rank() == 2) {
      out[name] = Tensor(x.dtype(), {b, x.dim(1)});
      std::copy_n(x.data<float>(), b * x.dim(1), out[name].data<float>());
    } else {
      const int64_t steps = x.dim(1), c = x.dim(2);
      Tensor y(x.dtype(), {b, t, c});
      for (int64_t i = 0; i < b; ++i)
        std::copy_n(x.data<float>() + i * steps * c, t * c, y.data<float>() + i * t * c);
      out[name] = std::move(y);
    }
  }
  return out;
}

// ||a - ref|| / ||ref||.
double relative_l2(const Tensor& a, const Tensor& ref) {
  if (a.numel() != ref.numel())
    throw std::runtime_error(
        fmt::format("accuracy check: shapes {} and {} differ", a.shape_str(), ref.shape_str()));
  double num = 0, den = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = a.at_f64(i) - ref.at_f64(i);
    num += d * d;
    den += ref.at_f64(i) * ref.at_f64(i);
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median wall time (ms) of `run` over `reps` runs after `warmup` runs. The executors return host
// tensors, so each call ends synchronised with the device.
template <class F>
double time_ms(F&& run, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) run();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return median(ms);
}

TensorMap to_f32(const TensorMap& in) {
  TensorMap out;
  for (auto& [k, v] : in) out[k] = v.to(DType::F32);
  return out;
}

struct Measured {
  double jit_ms = 0, compile_s = 0;
  std::optional<double> ref_ms, error;  // null when no reference ran (--no-reference, none built)
};

Measured measure(const ModelSpec& base, const Point& pt, const std::string& mode, const Settings& s,
                 std::string* device) {
  const ModelSpec spec = bench::spec_at(base, pt);
  const ir::Module module = compile_module(spec);
  const TensorMap params64 = init_params(spec, module, s.seed);
  const TensorMap params = to_f32(params64);
  std::mt19937_64 rng(s.seed +
                      7919 * static_cast<uint64_t>(pt.neurons + pt.batch + pt.steps + pt.gates));
  const TensorMap inputs = bench::make_bench_inputs(spec, pt.batch, pt.steps, rng);
  const Tensor dr = bench::bench_cotangent(pt.batch, pt.steps, pt.neurons, rng);
  const bool train = mode == "train";

  ExecutorConfig cfg;
  cfg.backend = s.backend;
  cfg.precision = "fp32";
  auto jit = make_executor(module, cfg);
  *device = jit->device();
  auto run_jit = [&] {
    Tensor r = jit->forward(params, inputs);
    if (train) jit->backward(dr);
  };
  Measured out;
  bool timed = false;
#ifdef RNNJIT_HAVE_CUDA
  if (s.backend == "cuda") {  // kernel time with CUDA events, transfers excluded
    run_jit();
    const auto kt = cuda::time_kernels(*jit, s.warmup, s.repeats);
    out.jit_ms = train ? kt.step_ms : kt.forward_ms;
    timed = true;
  }
#endif
  if (!timed) out.jit_ms = time_ms(run_jit, s.warmup, s.repeats);
  out.compile_s = jit->compile_seconds();

#ifdef RNNJIT_HAVE_BENCH_REFS
  if (s.run_reference && s.backend == "cpu") {
    try {
      auto eager = bench::make_eager_cpu_reference(module, 1);
      auto run_eager = [&] {
        Tensor r = eager->forward(params, inputs);
        if (train) eager->backward(dr);
      };
      out.ref_ms = time_ms(run_eager, 1, s.ref_repeats);
    } catch (const std::runtime_error& e) {
      fmt::print(stderr, "rnnjit bench: no eager reference for this point: {}\n", e.what());
    }
  }
#endif

#ifdef RNNJIT_HAVE_EAGER_GPU
  if (s.run_reference && s.backend == "cuda") {
    try {  // device time of the eager op sequence, transfers excluded like the JIT's
      auto eager = bench::make_eager_gpu_reference(module);
      eager->forward(params, inputs);
      if (train) eager->backward(dr);
      out.ref_ms = eager->time_device_ms(train, 1, s.ref_repeats);
    } catch (const std::runtime_error& e) {
      fmt::print(stderr, "rnnjit bench: no eager GPU reference for this point: {}\n", e.what());
    }
  }
#endif

  // Accuracy against the float64 interpreter on a sub-problem (first trials, first steps).
  const int64_t ab = std::min(pt.batch, s.accuracy_batch),
                at = std::min(pt.steps, s.accuracy_steps);
  const TensorMap sub = sub_inputs(inputs, ab, at);
  ExecutorConfig ref_cfg;
  ref_cfg.backend = "reference";
  ref_cfg.precision = "fp64";
  auto ref = make_executor(module, ref_cfg);
  Tensor r_ref;
  try {
    r_ref = ref->forward(params64, sub);
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "rnnjit bench: no accuracy check for this point: {}\n", e.what());
    return out;
  }
  const Tensor r_jit = jit->forward(params, sub);
  double error = relative_l2(r_jit, r_ref);
  if (train) {
    const Tensor dr_sub = sub_inputs({{"c", dr}}, ab, at).at("c");
    const TensorMap g_ref = ref->backward(dr_sub), g_jit = jit->backward(dr_sub);
    for (auto& [name, g] : g_ref) {
      auto it = g_jit.find(name);
      if (it == g_jit.end())
        throw std::runtime_error(fmt::format("{} returned no gradient '{}'", s.backend, name));
      error = std::max(error, relative_l2(it->second, g));
    }
  }
  out.error = error;
  return out;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buf;
}

std::string fmt_opt(const nlohmann::json& v, const char* f) {
  return v.is_null() ? std::string("-") : fmt::format(fmt::runtime(f), v.get<double>());
}

std::string markdown(const nlohmann::json& doc) {
  std::string md = fmt::format(
      "rnnjit bench: `{}` on {} ({}), {}. fp32 peak measured in the same run: {:.1f} GFLOP/s.\n",
      doc["spec"].get<std::string>(), doc["device"].get<std::string>(),
      doc["backend"].get<std::string>(), doc["date"].get<std::string>(),
      doc["peak_gflops"].get<double>());
  std::string current;
  for (const auto& p : doc["points"]) {
    const std::string key = p["table"].get<std::string>() + " / " + p["mode"].get<std::string>();
    if (key != current) {
      current = key;
      md += fmt::format(
          "\n### {} sweep, {}\n\n| B | N | K | T | JIT (ms) | {} (ms) | speedup | GFLOP/s | % of "
          "peak | rel. error | "
          "JIT compile (s) |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
          p["table"] == "sweep" ? std::string("custom") : p["table"].get<std::string>(),
          p["mode"].get<std::string>(), doc["reference"].get<std::string>());
    }
    md +=
        fmt::format("| {} | {} | {} | {} | {:.3f} | {} | {} | {:.2f} | {:.1f} | {} | {:.3f} |\n",
                    p["batch"].get<int64_t>(), p["neurons"].get<int64_t>(),
                    p["gates"].get<int64_t>(), p["steps"].get<int64_t>(), p["jit_ms"].get<double>(),
                    fmt_opt(p["ref_ms"], "{:.3f}"), fmt_opt(p["speedup"], "{:.2f}x"),
                    p["gflops"].get<double>(), 100.0 * p["fraction_of_peak"].get<double>(),
                    fmt_opt(p["error"], "{:.2e}"), p["compile_s"].get<double>());
  }
  return md;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  if (!f) throw std::runtime_error(fmt::format("cannot write {}", path));
  f << text;
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  return guarded("bench", [&] {
    cxxopts::Options options(
        "rnnjit bench",
        "Time the JIT kernels against the eager reference over a sweep of shapes, with the "
        "error against the float64 interpreter, GFLOP/s and the fraction of the measured fp32 "
        "peak. Without --sweep: the seed's README tables (B=256, K=3, T=20; N, T, B, K swept).");
    options.add_options()("spec", "model spec (YAML)", cxxopts::value<std::string>())(
        "backend", "cpu | cuda | auto", cxxopts::value<std::string>()->default_value("auto"))(
        "sweep", "KEY=v1,v2,... with KEY neurons | batch | steps | gates (repeatable)",
        cxxopts::value<std::vector<std::string>>())(
        "mode", "forward | train | both", cxxopts::value<std::string>()->default_value("both"))(
        "json", "write the results as JSON here", cxxopts::value<std::string>())(
        "markdown", "write the tables as markdown here", cxxopts::value<std::string>())(
        "repeats", "timed runs of the JIT kernel (median)",
        cxxopts::value<int>()->default_value("20"))("warmup", "untimed runs before timing",
                                                    cxxopts::value<int>()->default_value("3"))(
        "ref-repeats", "timed runs of the eager reference (median)",
        cxxopts::value<int>()->default_value("5"))(
        "no-reference", "skip the eager reference (JIT and accuracy only)")(
        "accuracy-batch", "trials of the float64 accuracy check",
        cxxopts::value<int64_t>()->default_value("4"))(
        "accuracy-steps", "at most this many steps in the accuracy check",
        cxxopts::value<int64_t>()->default_value("64"))(
        "seed", "random seed", cxxopts::value<uint64_t>()->default_value("1"));
    options.parse_positional({"spec"});
    options.positional_help("SPEC");
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;

    const std::string spec_path = positional_spec(r, "bench");
    const ModelSpec spec = parse_spec_file(spec_path);
    Settings s;
    s.backend = r["backend"].as<std::string>();
    if (s.backend == "auto") s.backend = cuda_device_available() ? "cuda" : "cpu";
    if (s.backend != "cpu" && s.backend != "cuda")
      throw UsageError(fmt::format("--backend {}: expected cpu, cuda or auto", s.backend));
    s.repeats = r["repeats"].as<int>();
    s.warmup = r["warmup"].as<int>();
    s.ref_repeats = r["ref-repeats"].as<int>();
    s.accuracy_batch = r["accuracy-batch"].as<int64_t>();
    s.accuracy_steps = r["accuracy-steps"].as<int64_t>();
    s.seed = r["seed"].as<uint64_t>();
    s.run_reference = !r.count("no-reference");
    if (s.repeats < 1 || s.warmup < 0 || s.ref_repeats < 1 || s.accuracy_batch < 1 ||
        s.accuracy_steps < 1)
      throw UsageError(
          "--repeats, --ref-repeats, --accuracy-batch and --accuracy-steps must be >= 1, --warmup "
          ">= 0");
    const std::string mode = r["mode"].as<std::string>();
    if (mode != "forward" && mode != "train" && mode != "both")
      throw UsageError(fmt::format("--mode {}: expected forward, train or both", mode));
    const std::vector<std::string> modes = mode == "both"
                                               ? std::vector<std::string>{"forward", "train"}
                                               : std::vector<std::string>{mode};
    const std::vector<std::string> sweeps =
        r.count("sweep") ? r["sweep"].as<std::vector<std::string>>() : std::vector<std::string>{};
    const std::vector<Point> points = make_points(sweeps, spec);

    nlohmann::json doc;
    doc["tool"] = "rnnjit bench";
    doc["spec"] = spec_path;
    doc["backend"] = s.backend;
    doc["date"] = utc_now();
    doc["repeats"] = s.repeats;
    doc["warmup"] = s.warmup;
    doc["ref_repeats"] = s.ref_repeats;
    doc["flops_note"] = "forward 2*B*T*N^2*M (M = bank size from the IR); train 3x forward";
    std::optional<double> peak;
#ifdef RNNJIT_HAVE_BENCH_REFS
    if (s.backend == "cpu") {
      doc["threads"] = bench::cpu_backend_threads();
      peak = bench::measure_cpu_sgemm_gflops(bench::cpu_backend_threads());
      doc["reference"] = "eager-cpu";
      doc["reference_threads"] = 1;  // Eigen without OpenMP (bench/references/CMakeLists.txt)
      doc["peak_method"] =
          "one Eigen SGEMM 512^3 per JIT thread, concurrently, best of 6 each, summed";
    }
#endif
    if (!doc.contains("reference")) doc["reference"] = "none";
    if (!s.run_reference) doc["reference"] = "none (--no-reference)";
    if (s.backend == "cuda") {
#ifdef RNNJIT_HAVE_EAGER_GPU
      // The peak is context, not the point: without cuBLAS the JIT figures still count.
      try {
        peak = bench::measure_cuda_sgemm_gflops(4096);
      } catch (const std::exception& e) {
        fmt::print(stderr, "rnnjit bench: no cuBLAS SGEMM peak ({})\n", e.what());
        doc["peak_error"] = e.what();
      }
      if (s.run_reference) doc["reference"] = "eager-gpu";
      doc["reference_timing"] =
          "CUDA events around the eager op sequence (cuBLAS SGEMM + one kernel per op) on "
          "device-resident data";
      doc["peak_method"] = "one cuBLAS SGEMM 4096^3, median of 10 (CUDA events)";
#else
      doc["reference"] = "none (built without the GPU eager reference)";
#endif
      doc["timing"] = "CUDA events via cuda::time_kernels";
    } else {
      doc["timing"] = "host steady clock around synchronous forward()/backward() calls";
    }
    doc["peak_gflops"] = peak ? nlohmann::json(*peak) : nlohmann::json(0.0);
    if (peak) fmt::print("fp32 peak (measured): {:.1f} GFLOP/s\n", *peak);

    nlohmann::json pts = nlohmann::json::array();
    std::string device = s.backend;
    for (const std::string& m : modes)
      for (const Point& pt : points) {
        const int64_t bank = bench::bank_size(compile_module(bench::spec_at(spec, pt)));
        const double fwd_flops = bench::forward_flops(pt, bank);
        const double flops = m == "train" ? 3.0 * fwd_flops : fwd_flops;
        const Measured res = measure(spec, pt, m, s, &device);
        nlohmann::json p;
        p["table"] = pt.table;
        p["mode"] = m;
        p["neurons"] = pt.neurons;
        p["batch"] = pt.batch;
        p["steps"] = pt.steps;
        p["gates"] = pt.gates;
        p["bank"] = bank;
        p["flops"] = flops;
        p["jit_ms"] = res.jit_ms;
        p["ref_ms"] = res.ref_ms ? nlohmann::json(*res.ref_ms) : nlohmann::json();
        p["speedup"] = res.ref_ms ? nlohmann::json(*res.ref_ms / res.jit_ms) : nlohmann::json();
        p["error"] = res.error ? nlohmann::json(*res.error) : nlohmann::json();
        p["gflops"] = flops / (res.jit_ms * 1e-3) * 1e-9;
        p["fraction_of_peak"] = peak ? p["gflops"].get<double>() / *peak : 0.0;
        p["compile_s"] = res.compile_s;
        fmt::print(
            "{:<8} {:<7} B={:<5} N={:<5} K={:<5} T={:<5} jit {:9.3f} ms  ref {}  speedup {}  "
            "{:8.2f} GFLOP/s  err {}  compile {:.3f} s\n",
            pt.table, m, pt.batch, pt.neurons, pt.gates, pt.steps, res.jit_ms,
            fmt_opt(p["ref_ms"], "{:9.3f} ms"), fmt_opt(p["speedup"], "{:.2f}x"),
            p["gflops"].get<double>(), fmt_opt(p["error"], "{:.2e}"), res.compile_s);
        std::fflush(stdout);
        pts.push_back(std::move(p));
      }
    doc["device"] = device;
    doc["points"] = std::move(pts);
    if (r.count("json")) write_text(r["json"].as<std::string>(), doc.dump(2) + "\n");
    if (r.count("markdown")) write_text(r["markdown"].as<std::string>(), markdown(doc));
    return kExitOk;
  });
}

}  // namespace rnnjit::cli
