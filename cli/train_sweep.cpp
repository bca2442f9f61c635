#include "cli/train_sweep.hpp"

#include <charconv>

#include "cli/common.hpp"

namespace rnnjit::cli {

namespace {

using train::ring::RingTrainConfig;

double number(const std::string& key, const std::string& v) {
  double x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty())
    throw UsageError("--sweep " + key + ": '" + v + "' is not a number");
  return x;
}

int64_t whole(const std::string& key, const std::string& v) {
  const double x = number(key, v);
  if (x != static_cast<double>(static_cast<int64_t>(x)) || x < 0)
    throw UsageError("--sweep " + key + ": '" + v + "' is not a whole number >= 0");
  return static_cast<int64_t>(x);
}

// Sets one swept setting of a member.
void apply(RingTrainConfig& c, const std::string& key, const std::string& v) {
  if (key == "seed")
    c.seed = static_cast<uint64_t>(whole(key, v));
  else if (key == "lr")
    c.lr = number(key, v);
  else if (key == "clip")
    c.clip = number(key, v);
  else if (key == "batch")
    c.batch = whole(key, v);
  else if (key == "gain_hidden")
    c.gain_hidden = whole(key, v);
  else if (key == "bump_weight")
    c.bump_weight = number(key, v);
  else if (key == "init")
    c.init = v == "random"          ? train::ring::InitMode::Random
             : v == "perfect"       ? train::ring::InitMode::Perfect
             : v == "debug_perfect" ? train::ring::InitMode::DebugPerfect
                                    : throw UsageError("--sweep init: '" + v + "' is not an init");
  else
    throw UsageError("--sweep: '" + key +
                     "' cannot be swept (seed, lr, clip, batch, gain_hidden, init, bump_weight)");
}

// "0..7" -> 0,1,...,7; "a,b,c" -> a,b,c.
std::vector<std::string> values_of(const std::string& key, const std::string& list) {
  std::vector<std::string> out;
  if (const auto dots = list.find(".."); dots != std::string::npos) {
    const int64_t a = whole(key, list.substr(0, dots)), b = whole(key, list.substr(dots + 2));
    if (b < a || b - a >= 100000)
      throw UsageError("--sweep " + key + "=" + list + ": a range a..b with a <= b");
    for (int64_t x = a; x <= b; ++x) out.push_back(std::to_string(x));
    return out;
  }
  size_t at = 0;
  while (at <= list.size()) {
    const size_t comma = list.find(',', at);
    const std::string v =
        list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (v.empty()) throw UsageError("--sweep " + key + "=" + list + ": an empty value");
    out.push_back(v);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

}  // namespace

bool wants_ensemble(const TrainRequest& q) {
  return q.has("ensemble") || q.has("sweep");
}

RingSweep ring_sweep(const TrainRequest& q, const RingTrainConfig& base) {
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  // cxxopts splits a list flag at commas: "lr=1e-3,3e-3" arrives as "lr=1e-3" and "3e-3". An item
  // without '=' continues the one before it.
  std::vector<std::string> sweeps;
  if (q.has("sweep"))
    for (const std::string& item : (*q.flags)["sweep"].as<std::vector<std::string>>()) {
      if (item.find('=') == std::string::npos && !sweeps.empty())
        sweeps.back() += "," + item;
      else
        sweeps.push_back(item);
    }
  {
    for (const std::string& s : sweeps) {
      const auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError("--sweep takes KEY=VALUES, e.g. lr=1e-3,3e-3 or seed=0..7; got '" + s +
                         "'");
      const std::string key = s.substr(0, eq);
      for (const auto& a : axes)
        if (a.first == key) throw UsageError("--sweep " + key + " is given twice");
      axes.push_back({key, values_of(key, s.substr(eq + 1))});
    }
  }
  if (auto e = q.integer("ensemble", 1)) {
    for (const auto& a : axes)
      if (a.first == "seed")
        throw UsageError("--ensemble sets the seeds; give either it or --sweep seed=...");
    std::vector<std::string> seeds;
    for (int64_t i = 0; i < *e; ++i)
      seeds.push_back(std::to_string(base.seed + static_cast<uint64_t>(i)));
    axes.push_back({"seed", seeds});
  }
  RingSweep out;
  out.members.push_back(base);
  out.labels.push_back({});
  for (const auto& [key, values] : axes) {  // the Cartesian product, first axis slowest
    RingSweep next;
    for (size_t m = 0; m < out.members.size(); ++m)
      for (const std::string& v : values) {
        RingTrainConfig c = out.members[m];
        apply(c, key, v);
        auto labels = out.labels[m];
        labels[key] = v;
        next.members.push_back(c);
        next.labels.push_back(std::move(labels));
      }
    out = std::move(next);
  }
  if (out.members.size() > 4096)
    throw UsageError("the sweep makes " + std::to_string(out.members.size()) +
                     " members; at most 4096 in one ensemble");
  for (const RingTrainConfig& c : out.members) {
    try {
      train::ring::validate(c);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("a swept member: ") + e.what());
    }
  }
  return out;
}

}  // namespace rnnjit::cli
