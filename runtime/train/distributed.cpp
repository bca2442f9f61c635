#include "runtime/train/distributed.hpp"

#include <cstdlib>
#include <stdexcept>

#ifdef RNNJIT_HAVE_MPI
#include <mpi.h>
#endif

namespace rnnjit::train {

namespace {

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string transport() const override { return "single process"; }
  void sum(std::vector<double>&) override {}
  void agree(const std::string& local_error) override {
    if (!local_error.empty()) throw std::runtime_error(local_error);
  }
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }
};

#ifdef RNNJIT_HAVE_MPI
class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      std::atexit([] {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (!finalised) MPI_Finalize();
      });
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string v(version, static_cast<size_t>(len));
    library_ = v.substr(0, v.find_first_of(",\n"));
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string transport() const override { return "MPI (" + library_ + ")"; }

  void sum(std::vector<double>& values) override {
    const int n = static_cast<int>(values.size());
    std::vector<double> all(static_cast<size_t>(n) * static_cast<size_t>(size_));
    MPI_Allgather(values.data(), n, MPI_DOUBLE, all.data(), n, MPI_DOUBLE, MPI_COMM_WORLD);
    for (int i = 0; i < n; ++i) {
      double s = 0;
      for (int r = 0; r < size_; ++r) s += all[static_cast<size_t>(r) * n + i];
      values[static_cast<size_t>(i)] = s;
    }
  }

  void agree(const std::string& local_error) override {
    int failed = local_error.empty() ? size_ : rank_;  // the lowest failing rank wins
    int first = 0;
    MPI_Allreduce(&failed, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == size_) return;
    std::string message = rank_ == first ? local_error : std::string();
    int length = static_cast<int>(message.size());
    MPI_Bcast(&length, 1, MPI_INT, first, MPI_COMM_WORLD);
    message.resize(static_cast<size_t>(length));
    MPI_Bcast(message.data(), length, MPI_CHAR, first, MPI_COMM_WORLD);
    throw std::runtime_error("rank " + std::to_string(first) + ": " + message);
  }

  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }
  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

 private:
  int rank_ = 0, size_ = 1;
  std::string library_;
};
#endif

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : 0;
}

}  // namespace

int launched_ranks() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"})
    if (const int n = env_int(var); n > 0) return n;
  return 1;
}

Communicator& communicator() {
  static std::unique_ptr<Communicator> c = []() -> std::unique_ptr<Communicator> {
    const int ranks = launched_ranks();
#ifdef RNNJIT_HAVE_MPI
    if (ranks > 1) return std::make_unique<MpiCommunicator>();
#else
    if (ranks > 1)
      throw std::runtime_error("launched on " + std::to_string(ranks) +
                               " ranks, but this rnnjit was built without MPI (install "
                               "libopenmpi-dev and rebuild); run it as one process");
#endif
    return std::make_unique<SingleProcess>();
  }();
  return *c;
}

std::pair<int64_t, int64_t> trial_range(int64_t batch, int rank, int ranks) {
  const int64_t base = batch / ranks, extra = batch % ranks, r = rank;
  const int64_t begin = r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

void maybe_inject_failure(int rank, int64_t step) {
  const char* r = std::getenv("RNNJIT_TEST_FAIL_RANK");
  const char* s = std::getenv("RNNJIT_TEST_FAIL_STEP");
  if (!r || !s || std::atoi(r) != rank || std::atoll(s) != step) return;
  throw std::runtime_error("injected failure at step " + std::to_string(step) +
                           " (RNNJIT_TEST_FAIL_RANK / RNNJIT_TEST_FAIL_STEP)");
}

}  // namespace rnnjit::train
