#include "cli/common.hpp"

#include "runtime/executor.hpp"

#include <fmt/core.h>

#include <iostream>

#include "runtime/tensor.hpp"

namespace rnnjit::cli {

int guarded(const std::string& command, const std::function<int()>& body) {
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
  } catch (const std::exception& e) {
    fmt::print(stderr, "rnnjit {}: error: {}\n", command, e.what());
    return kExitFailure;
  }
}

cxxopts::ParseResult parse_or_help(cxxopts::Options& options, int argc, char** argv,
                                   bool* help_shown) {
  options.add_options("")("h,help", "Show this help");
  auto r = options.parse(argc, argv);
  *help_shown = r.count("help") > 0;
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
