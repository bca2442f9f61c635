#include "api/trainer_choice.hpp"

#include <filesystem>

#include "runtime/core/errors.hpp"
#include "runtime/train/checkpoint.hpp"

namespace rnnjit::api {

std::string trainer_of(const ModelSpec& spec) {
  const YAML::Node& t = spec.train;
  if (t && t.IsMap() && t["task"] && t["task"].IsScalar() && t["task"].Scalar() == "vwm")
    return "vwm";
  return spec.noise.kind != ir::Noise::None || !spec.inputs.empty() ? "vwm" : "ring";
}

std::string trainer_of_run(const std::string& dir) {
  if (std::filesystem::exists(std::filesystem::path(dir) / "config.json")) return "vwm";
  if (std::filesystem::exists(std::filesystem::path(dir) / "ensemble.json")) return "ring";
  if (!train::latest_checkpoint(dir))
    throw UsageError(dir + " holds no checkpoint to resume (is it a run folder?)");
  const auto ck = train::newest_readable_checkpoint(dir);
  if (!ck) return "ring";  // the resume itself reports why none reads
  auto model = ck->metadata.find("model");
  if (model != ck->metadata.end()) return model->second == "vwm" ? "vwm" : "ring";
  return ck->metadata.count("ring_config") ? "ring" : "vwm";
}

}  // namespace rnnjit::api
