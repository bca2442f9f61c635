// Data-parallel training across processes (MPI ranks): the global batch is split across the ranks,
// each runs forward and backward on the trials it owns, and the gradients and loss terms are summed
// so that every rank takes the same optimiser step. Rank 0 alone writes the run folder.
//
// The sum is deterministic: every rank gathers every rank's values and adds them in rank order, so
// two runs with the same number of ranks give the same bits, and a run on P ranks differs from one
// on 1 rank only by the reassociation of those sums. A failure on any rank stops every rank with
// that rank's message (agree()), never a hang.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rnnjit::train {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string transport() const = 0;  // "single process" | "MPI (Open MPI ...)"
  // Replaces `values` (the same length on every rank) by their sum over the ranks, added in rank
  // order: every rank receives the same bits.
  virtual void sum(std::vector<double>& values) = 0;
  // Every rank reports whether its part failed ("" when it did not). When any did, every rank
  // throws std::runtime_error with the lowest failing rank's message, prefixed by its rank.
  virtual void agree(const std::string& local_error) = 0;
  virtual void barrier() = 0;
  // Ends every rank at once (a failure outside the collective steps): MPI_Abort; exit() alone.
  [[noreturn]] virtual void abort(int code) = 0;
};

// The communicator of this process: MPI when launched by mpirun/srun with more than one rank (and
// built with MPI), else a single process. A launch with several ranks in a build without MPI is a
// std::runtime_error saying so. The first call initialises MPI; it is finalised at exit.
Communicator& communicator();

// The process count the launcher announced (Open MPI, MPICH/PMI, Slurm), 1 without one.
int launched_ranks();

// The trials [begin, end) of `rank` among `ranks` in a batch of `batch`: batch / ranks each, the
// remainder one more for the first ranks.
std::pair<int64_t, int64_t> trial_range(int64_t batch, int rank, int ranks);

// A failure injected for the tests of the failure path: the rank given by RNNJIT_TEST_FAIL_RANK
// throws at the (1-based) step RNNJIT_TEST_FAIL_STEP. Does nothing when they are unset.
void maybe_inject_failure(int rank, int64_t step);

}  // namespace rnnjit::train
