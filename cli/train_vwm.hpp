// `rnnjit train SPEC` for visual-working-memory specs (spike noise, an input term; issue 6) and
// `rnnjit train --vwm-config config.yaml` for a vwm_rnn config read unchanged. argv[0] is
// "rnnjit train"; returns the exit code (0 ok, 2 bad input, 1 failure).
#pragma once

namespace rnnjit::cli {

int run_train_vwm(int argc, char** argv);

}  // namespace rnnjit::cli
