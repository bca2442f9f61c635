// A VWM run's settings as JSON (<run>/config.json), so that `rnnjit analyze` can rebuild the
// network and the task of a run folder without the YAML it was trained from.
//
// The layout follows the seed's config.yaml sections:
//   {"format": "rnnjit-vwm-config", "version": 1,
//    "model_params": {...}, "training_params": {...}, "model_and_logging_params": {...},
//    "fpf_params": {..., "fpf_hps": {...}}}
// with the VwmConfig field names as keys. Every setting field round-trips exactly (doubles are
// written with round-trip precision); the bookkeeping fields (path, ignored, defaulted, locs) are
// not written. On reading, a missing key keeps its default and a value of the wrong type is a
// SpecError naming the file and the key.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/vwm/vwm_config.hpp"

namespace rnnjit::vwm {

nlohmann::json vwm_config_to_json(const VwmConfig& c);
// `where` names the source in error messages (the file).
VwmConfig vwm_config_from_json(const nlohmann::json& j, const std::string& where = "<json>");

// Writes atomically (temporary file + rename).
void save_vwm_config_json(const std::string& path, const VwmConfig& c);
// Reads a file written by save_vwm_config_json; a missing or malformed file is a SpecError at the
// path. The result's `path` is `path`.
VwmConfig load_vwm_config_json(const std::string& path);

}  // namespace rnnjit::vwm
