#include "cli/common.hpp"

#include "runtime/train/distributed.hpp"

#include "runtime/backends/backends.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <iostream>

#include "runtime/core/tensor.hpp"

namespace rnnjit::cli {

namespace {

// The body's error, printed as one line and turned into an exit code.
int report_error(const std::string& command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const SpecError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitBadInput;
  } catch (const ShapeError& e) {
    fmt::print(stderr, "rnnjit {}: error: {}\n", command, e.what());
    return kExitBadInput;
  } catch (const UsageError& e) {
    fmt::print(stderr, "rnnjit {}: {}\n(see 'rnnjit {} --help')\n", command, e.what(), command);
    return kExitBadInput;
  } catch (const cxxopts::exceptions::exception& e) {
    fmt::print(stderr, "rnnjit {}: {}\n(see 'rnnjit {} --help')\n", command, e.what(), command);
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr,
               "rnnjit {}: error: out of memory (the job is larger than this machine's memory; "
               "try a smaller batch, network or trial)\n",
               command);
    return kExitFailure;
  } catch (const std::logic_error& e) {
    // The standard library's conversion and container errors say "stoll" or
    // "vector::_M_default_append": a bug in rnnjit's input checks, reported as one.
    fmt::print(stderr,
               "rnnjit {}: internal error: an input was not checked ({}); please report it\n",
               command, e.what());
    return kExitFailure;
  } catch (const std::exception& e) {
    fmt::print(stderr, "rnnjit {}: error: {}\n", command, e.what());
    return kExitFailure;
  }
}

}  // namespace

int guarded(const std::string& command, const std::function<int()>& body) {
  const int code = report_error(command, body);
  // Under mpirun a rank that fails alone would leave the others waiting in a collective: end them
  // all (the failing rank has printed why).
  if (code != kExitOk && train::launched_ranks() > 1) {
    try {
      train::communicator().abort(code);
    } catch (const std::exception&) {  // no MPI in this build: the ranks are independent anyway
    }
  }
  return code;
}

cxxopts::ParseResult parse_or_help(cxxopts::Options& options, int argc, char** argv,
                                   bool* help_shown) {
  options.add_options("")("h,help", "Show this help");
  auto r = options.parse(argc, argv);
  *help_shown = r.count("help") > 0;
  // Arguments beyond the positionals a command takes (a second spec to `compile`, say) would be
  // ignored without a word: refuse them.
  if (!r.unmatched().empty() && !*help_shown)
    throw UsageError("unexpected argument '" + r.unmatched().front() + "'");
  if (*help_shown) std::cout << options.help() << std::endl;
  return r;
}

std::string positional_spec(const cxxopts::ParseResult& r, const std::string& command) {
  if (!r.count("spec"))
    throw UsageError("missing the model spec (e.g. rnnjit " + command + " examples/ring.yaml)");
  return r["spec"].as<std::string>();
}

std::string required(const cxxopts::ParseResult& r, const std::string& flag) {
  if (!r.count(flag)) throw UsageError("missing required option --" + flag);
  return r[flag].as<std::string>();
}

std::string backend_option(const cxxopts::ParseResult& r) {
  const std::string b = r["backend"].as<std::string>();
  if (!is_backend_name(b)) throw UsageError(unknown_backend_message(b));
  return b;
}

}  // namespace rnnjit::cli

namespace rnnjit::cli {

std::optional<int64_t> integer_flag(const cxxopts::ParseResult& r, const std::string& flag,
                                    int64_t min) {
  // count() is 0 for a flag left at its default value, which still has to be read.
  if (!r.count(flag) && !r[flag].has_default()) return std::nullopt;
  const std::string t = r[flag].as<std::string>();
  double x = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
  // 9.2e18 is where int64 ends; a double of that size is no longer exact anyway.
  if (ec != std::errc() || end != t.data() + t.size() || t.empty() || x != std::floor(x) ||
      std::fabs(x) > 9.0e18)
    throw UsageError("--" + flag + " must be a whole number, got '" + t + "'");
  const auto v = static_cast<int64_t>(x);
  if (v < min) throw UsageError("--" + flag + " must be >= " + std::to_string(min) + ", got " + t);
  return v;
}

std::string command_line(int argc, char** argv) {
  std::string out = "rnnjit";
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i == 0) a = a.rfind("rnnjit ", 0) == 0 ? a.substr(7) : a;  // argv[0] is "rnnjit CMD"
    const bool quote = a.empty() || a.find_first_of(" \t'\"$") != std::string::npos;
    out += " " + (quote ? "'" + a + "'" : a);
  }
  return out;
}

}  // namespace rnnjit::cli
