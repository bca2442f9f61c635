// Helpers shared by the subcommands: loading a spec, reporting errors with the right exit code.
#pragma once

#include <cxxopts.hpp>
#include <functional>
#include <optional>
#include <string>

#include "compiler/spec.hpp"
#include "ir/module.hpp"
#include "runtime/core/errors.hpp"

namespace rnnjit::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

// Thrown for a wrong or missing flag; printed as "rnnjit CMD: <message>" with exit code 2.
using rnnjit::UsageError;

// Runs `body`, turning exceptions into one line on stderr and an exit code: SpecError, ShapeError,
// UsageError and cxxopts errors -> 2; everything else -> 1. No library's own exception text
// reaches the user: out of memory and the standard library's conversion errors get a sentence.
int guarded(const std::string& command, const std::function<int()>& body);

// Parses argv with `options`; prints help and returns true in *help_shown when --help was given.
cxxopts::ParseResult parse_or_help(cxxopts::Options& options, int argc, char** argv,
                                   bool* help_shown);

// The first positional argument (the spec path), or a UsageError.
std::string positional_spec(const cxxopts::ParseResult& r, const std::string& command);

std::string required(const cxxopts::ParseResult& r, const std::string& flag);

// An integer flag declared as a string, so that `--batch 1e8` reads as 100000000: a whole number
// written in decimal or scientific notation, at least `min`; UsageError naming the flag otherwise.
std::optional<int64_t> integer_flag(const cxxopts::ParseResult& r, const std::string& flag,
                                    int64_t min);

// The command line as typed (arguments with spaces quoted), for summaries.
std::string command_line(int argc, char** argv);

// The value of --backend, checked: reference, cpu, cuda or auto, else a UsageError (exit code 2)
// saying "unknown backend '<name>'" and the accepted names.
std::string backend_option(const cxxopts::ParseResult& r);

}  // namespace rnnjit::cli
