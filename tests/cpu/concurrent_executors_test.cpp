// Distinct executors may run at once on different threads (runtime/core/executor.hpp): two CPU
// executors, and two reference executors, each driven by its own thread at the same time, give
// bit for bit what they give one after the other. The CPU executors are also built on their
// threads at the same moment, so that two compiles of the JIT meet (the disk cache is off, so
// both really compile), one of them of a cell the other thread compiles too.
#include <gtest/gtest.h>

#include <barrier>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "compiler/cpu/cpu_codegen.hpp"
#include "runtime/cpu/cpu_executor.hpp"
#include "runtime/reference/reference_executor.hpp"
#include "tests/cpu/cpu_run_util.hpp"

namespace rnnjit {
namespace {

using MakeExecutor = std::function<std::unique_ptr<CellExecutor>(const ir::Module&)>;

// One thread's work: a module, data, and how many forward + backward rounds it runs.
struct Job {
  ir::Module m;
  cputest::RunData data;
};

constexpr int kRounds = 6;

// Builds an executor, then kRounds forward + backward passes; the inputs change each round (r0
// scaled), so a round that read another executor's buffers could not agree with the sequential
// run. With `together`, the threads meet before building and again before running, so that the
// compiles meet and then the runs (a compile takes far longer than the runs).
std::vector<cputest::RunResults> drive(const MakeExecutor& make, const Job& job,
                                       std::barrier<>* together) {
  if (together) together->arrive_and_wait();
  std::unique_ptr<CellExecutor> exec;
  std::exception_ptr error;  // rethrown after the second meeting, which the others wait for
  try {
    exec = make(job.m);
  } catch (...) {
    error = std::current_exception();
  }
  if (together) together->arrive_and_wait();
  if (error) std::rethrow_exception(error);
  std::vector<cputest::RunResults> out;
  cputest::RunData d = job.data;
  for (int round = 0; round < kRounds; ++round) {
    for (double& x : d.cell.inputs.at("r0").span<double>()) x *= 0.9;
    out.push_back(cputest::run_once(*exec, d));
  }
  return out;
}

void expect_concurrent_equals_sequential(const MakeExecutor& make, const std::vector<Job>& jobs) {
  std::vector<std::vector<cputest::RunResults>> sequential;
  for (const Job& job : jobs) sequential.push_back(drive(make, job, nullptr));
  cpu::forget_cpu_cells_in_memory();  // the threads compile again, at the same time

  std::vector<std::vector<cputest::RunResults>> concurrent(jobs.size());
  std::barrier<> together(static_cast<std::ptrdiff_t>(jobs.size()));
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(jobs.size());
  for (size_t j = 0; j < jobs.size(); ++j)
    threads.emplace_back([&, j] {
      try {
        concurrent[j] = drive(make, jobs[j], &together);
      } catch (...) {
        errors[j] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (size_t j = 0; j < jobs.size(); ++j) {
    SCOPED_TRACE("thread " + std::to_string(j) + ", seed " + std::to_string(jobs[j].data.seed));
    ASSERT_FALSE(errors[j]) << "the thread threw";
    ASSERT_EQ(concurrent[j].size(), static_cast<size_t>(kRounds));
    for (int round = 0; round < kRounds; ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      cputest::expect_same_bits(concurrent[j][static_cast<size_t>(round)],
                                sequential[j][static_cast<size_t>(round)]);
    }
  }
}

// Three threads: two different cells, and the first cell again with other data.
std::vector<Job> jobs() {
  std::vector<Job> out;
  const ir::Module a = cputest::cell_module(33, 3, ir::Activation::Gelu);
  const ir::Module b = cputest::cell_module(20, 2, ir::Activation::Tanh, /*input=*/false);
  out.push_back({a, cputest::random_run_data(a, ir::Activation::Gelu, 6, 60)});
  out.push_back({b, cputest::random_run_data(b, ir::Activation::Tanh, 5, 60)});
  out.push_back({a, cputest::random_run_data(a, ir::Activation::Gelu, 3, 60)});
  return out;
}

class ConcurrentCpuExecutors : public ::testing::TestWithParam<std::string> {
 protected:
  ConcurrentCpuExecutors() {
    if (const char* old = std::getenv("RNNJIT_CACHE_DIR")) old_ = old;
    ::setenv("RNNJIT_CACHE_DIR", "off", 1);
  }
  ~ConcurrentCpuExecutors() override {
    if (old_.empty())
      ::unsetenv("RNNJIT_CACHE_DIR");
    else
      ::setenv("RNNJIT_CACHE_DIR", old_.c_str(), 1);
  }
  std::string old_;
};

TEST_P(ConcurrentCpuExecutors, MatchOneAfterTheOther) {
  const std::string precision = GetParam();
  expect_concurrent_equals_sequential(
      [&](const ir::Module& m) {
        ExecutorConfig cfg;
        cfg.backend = "cpu";
        cfg.precision = precision;
        return make_cpu_executor(m, cfg);
      },
      jobs());
}
INSTANTIATE_TEST_SUITE_P(CpuBackend, ConcurrentCpuExecutors, ::testing::Values("fp32", "fp64"),
                         [](const auto& info) { return info.param; });

TEST(ConcurrentReferenceExecutors, MatchOneAfterTheOther) {
  expect_concurrent_equals_sequential(
      [](const ir::Module& m) { return make_reference_executor(m); }, jobs());
}

}  // namespace
}  // namespace rnnjit
