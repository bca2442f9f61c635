// How the global batch is shared among ranks: contiguous, in rank order, covering every trial
// once, sizes differing by at most one.
#include <gtest/gtest.h>

#include "runtime/train/distributed.hpp"

namespace rnnjit::train {
namespace {

TEST(TrialRange, CoversTheBatchInRankOrder) {
  for (int64_t batch : {1, 7, 64, 513})
    for (int ranks : {1, 2, 3, 8, 600}) {
      int64_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        const auto [first, last] = trial_range(batch, r, ranks);
        EXPECT_EQ(first, next) << batch << " " << ranks << " " << r;
        const int64_t size = last - first;
        EXPECT_TRUE(size == batch / ranks || size == batch / ranks + 1);
        next = last;
      }
      EXPECT_EQ(next, batch);
    }
}

TEST(TrialRange, OneProcessIsTheSingleCommunicator) {
  Communicator& c = communicator();
  EXPECT_EQ(c.size(), 1);
  EXPECT_EQ(c.rank(), 0);
  std::vector<double> v{1.5, -2.0};
  c.sum(v);
  EXPECT_EQ(v, (std::vector<double>{1.5, -2.0}));
  EXPECT_NO_THROW(c.agree(""));
  EXPECT_THROW(c.agree("broken"), std::runtime_error);
}

}  // namespace
}  // namespace rnnjit::train
