// Helpers shared by the subcommands: loading a spec, reporting errors with the right exit code.
#pragma once

#include <cxxopts.hpp>
#include <functional>
#include <string>

#include "compiler/spec.hpp"
#include "ir/module.hpp"

namespace rnnjit::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

// Thrown for a wrong or missing flag; printed as "rnnjit CMD: <message>" with exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `body`, turning exceptions into messages on stderr and exit codes: SpecError, ShapeError,
// UsageError and cxxopts errors -> 2; everything else -> 1.
int guarded(const std::string& command, const std::function<int()>& body);

// Parses argv with `options`; prints help and returns true in *help_shown when --help was given.
cxxopts::ParseResult parse_or_help(cxxopts::Options& options, int argc, char** argv,
                                   bool* help_shown);

// The first positional argument (the spec path), or a UsageError.
std::string positional_spec(const cxxopts::ParseResult& r, const std::string& command);

std::string required(const cxxopts::ParseResult& r, const std::string& flag);

// The value of --backend, checked: reference, cpu, cuda or auto, else a UsageError (exit code 2)
// saying "unknown backend '<name>'" and the accepted names.
std::string backend_option(const cxxopts::ParseResult& r);

}  // namespace rnnjit::cli
