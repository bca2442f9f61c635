// rnnjit train: reads the command line once (cli/train_request.hpp) and hands it to the trainer
// of the model's family.
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/train_request.hpp"
#include "cli/train_ring.hpp"
#include "cli/train_vwm.hpp"
#include "runtime/train/distributed.hpp"

namespace rnnjit::cli {

int cmd_train(int argc, char** argv) {
  return guarded("train", [&] {
    cxxopts::Options options = train_options();
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;
    // Under mpirun / srun: MPI starts before anything else (and a build without MPI says so).
    if (train::launched_ranks() > 1) train::communicator();
    const TrainRequest q = read_train_request(r, command_line(argc, argv));
    return q.family == Family::Vwm ? train_vwm_command(q) : train_ring_command(q);
  });
}

}  // namespace rnnjit::cli
