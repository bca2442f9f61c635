// `rnnjit train`, read once for both trainers: one set of flags, one help, and what the command
// line asks for (a spec or a vwm_rnn config, a run folder, fresh or resumed) before the trainer of
// the model's family takes it (cli/train_ring.cpp, cli/train_vwm.cpp).
//
//   rnnjit train SPEC [--out DIR] [--overwrite]     a fresh run (DIR must not hold another run)
//   rnnjit train --resume DIR [--steps N]           continue the run in DIR (its stored spec)
//   rnnjit train SPEC --resume [DIR]                the same, checking that SPEC is the run's model
//   rnnjit train --vwm-config FILE [...]            a vwm_rnn config.yaml instead of a spec
#pragma once

#include <cxxopts.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compiler/spec.hpp"

namespace rnnjit::cli {

enum class Family { Ring, Vwm };

struct TrainRequest {
  const cxxopts::ParseResult* flags = nullptr;
  std::optional<ModelSpec> spec;  // the spec named on the command line, parsed
  std::string vwm_config;         // --vwm-config FILE, or ""
  std::string run_dir;            // the run folder; "" for the trainer's default
  bool resume = false;
  bool overwrite = false;
  Family family = Family::Ring;
  std::string command_line;

  bool has(const std::string& flag) const { return flags->count(flag) > 0; }
  std::optional<int64_t> integer(const std::string& flag, int64_t min) const;
  std::optional<double> number(const std::string& flag) const;
  // --progress (and --quiet): "auto", "bar", "plain" or "none"; UsageError for anything else.
  std::string progress() const;
  // UsageError when any of `flags` was given: "--X does not apply to <why>".
  void refuse(const std::vector<std::string>& names, const std::string& why) const;
};

// The option set of `rnnjit train`: common flags, then the ring's and the VWM network's.
cxxopts::Options train_options();

// Reads the parsed command line: positionals (a spec file, a run folder), --resume, --out, and
// the family (from --vwm-config, the spec, or the checkpoint being resumed). UsageError for a
// contradiction (two specs, two different folders, a folder given without --resume, ...).
TrainRequest read_train_request(const cxxopts::ParseResult& r, std::string command_line);

}  // namespace rnnjit::cli
