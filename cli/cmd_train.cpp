// rnnjit train: routes to the trainer of the spec's network family. A spec with spike noise, an
// external input or `train: {task: vwm}` (and any --vwm-config) is the visual-working-memory
// network; everything else is a ring attractor driven by its gate input.
#include <string_view>

#include "cli/commands.hpp"
#include "cli/train_ring.hpp"
#include "compiler/spec.hpp"
#if __has_include("cli/train_vwm.hpp")
#include "cli/train_vwm.hpp"
#define RNNJIT_HAVE_VWM_TRAINER 1
#endif

namespace rnnjit::cli {

namespace {

bool is_vwm_spec(const std::string& path) {
  try {
    ModelSpec spec = parse_spec_file(path);
    if (spec.train && spec.train.IsMap() && spec.train["task"] &&
        spec.train["task"].as<std::string>() == "vwm")
      return true;
    return spec.noise.kind != ir::Noise::None || !spec.inputs.empty();
  } catch (const std::exception&) {
    return false;  // the ring trainer parses it again and reports the error with its location
  }
}

}  // namespace

int cmd_train(int argc, char** argv) {
  bool vwm = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--vwm-config" || a.starts_with("--vwm-config=")) vwm = true;
    if (!vwm && !a.starts_with("-") && (a.ends_with(".yaml") || a.ends_with(".yml"))) {
      // The first YAML argument not following a flag is the spec.
      std::string_view prev = argv[i - 1];
      if (i == 1 || !prev.starts_with("--") || prev == "--movie") vwm = is_vwm_spec(std::string(a));
    }
  }
#ifdef RNNJIT_HAVE_VWM_TRAINER
  if (vwm) return run_train_vwm(argc, argv);
#endif
  return run_train_command(argc, argv);
}

}  // namespace rnnjit::cli
