// rnnjit train: reads the command line once (cli/train_request.hpp) and hands it to the trainer
// of the model's family.
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/train_request.hpp"
#include "cli/train_ring.hpp"
#include "cli/train_vwm.hpp"

namespace rnnjit::cli {

int cmd_train(int argc, char** argv) {
  return guarded("train", [&] {
    cxxopts::Options options = train_options();
    bool help = false;
    auto r = parse_or_help(options, argc, argv, &help);
    if (help) return kExitOk;
    const TrainRequest q = read_train_request(r, command_line(argc, argv));
    return q.family == Family::Vwm ? train_vwm_command(q) : train_ring_command(q);
  });
}

}  // namespace rnnjit::cli
