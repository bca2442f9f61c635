// The canonical form of a spec's model: every field that decides what the network computes, as JSON
// with fixed key names and order, and nothing about where it was written (file, line, comments,
// the `train:` section). Two specs describe the same model exactly when their canonical forms are
// equal, so a run stores it (checkpoints, summary.json) and a resume checks the spec against it.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "compiler/spec.hpp"

namespace rnnjit {

nlohmann::json canonical_spec(const ModelSpec& spec);

// "fnv1a64:<16 hex digits>" of the canonical form's compact dump: a short name for it.
std::string spec_hash(const nlohmann::json& canonical);

// The first place where `run` (what a run was trained with) and `now` differ, as one phrase:
// "activation.kind: the run has \"relu\", the spec has \"gelu\""; nullopt when they are equal.
std::optional<std::string> first_difference(const nlohmann::json& run, const nlohmann::json& now,
                                            const std::string& path = "");

}  // namespace rnnjit
