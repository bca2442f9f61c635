#include "compiler/spec_canonical.hpp"

#include <fmt/core.h>

namespace rnnjit {

namespace {

using nlohmann::json;

std::string term_kind(TermKind k) {
  switch (k) {
    case TermKind::Uniform:
      return "uniform";
    case TermKind::Dense:
      return "dense";
    case TermKind::Gated:
      return "gated";
  }
  return "?";
}

json leak_json(const LeakSpec& l) {
  if (!l.per_neuron) return {{"alpha", l.alpha}};
  return {{"dt", l.dt}, {"tau_min", l.tau_min}, {"tau_max", l.tau_max}, {"learn_tau", l.learn_tau}};
}

json recurrent_json(const RecurrentTerm& t) {
  if (t.kind == TermKind::Uniform) return {{"kind", "uniform"}, {"value", t.value}};
  json j = {{"kind", term_kind(t.kind)},
            {"name", t.name},
            {"scale", t.scale},
            {"learn", t.learn},
            {"dale", t.dale},
            {"nonnegative", t.nonnegative},
            {"init", t.init},
            {"init_scale", t.init_scale}};
  if (t.dale) j["excitatory"] = t.excitatory;
  if (t.kind == TermKind::Gated) j["gated_by"] = t.gated_by;
  return j;
}

json input_term_json(const InputTerm& t) {
  return {{"name", t.name},
          {"from", t.from},
          {"scale", t.scale},
          {"learn", t.learn},
          {"nonnegative", t.nonnegative},
          {"init", t.init},
          {"init_scale", t.init_scale}};
}

std::string shown(const json& j) {
  std::string s = j.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

}  // namespace

json canonical_spec(const ModelSpec& s) {
  json j = json::object();
  j["neurons"] = s.neurons;
  j["activation"] = {{"kind", std::string(ir::name(s.activation.kind))}};
  if (s.activation.kind == ir::Activation::Saturating) j["activation"]["rate"] = s.activation.rate;
  j["leak"] = leak_json(s.leak);
  j["gates"] = json::array();
  for (const GateSpec& g : s.gates) j["gates"].push_back({{"name", g.name}, {"size", g.size}});
  j["inputs"] = json::array();
  for (const InputSpec& i : s.inputs) j["inputs"].push_back({{"name", i.name}, {"size", i.size}});
  j["recurrent"] = json::array();
  for (const RecurrentTerm& t : s.recurrent) j["recurrent"].push_back(recurrent_json(t));
  j["input_terms"] = json::array();
  for (const InputTerm& t : s.input_terms) j["input_terms"].push_back(input_term_json(t));
  j["bias"] = {{"enabled", s.bias.enabled}, {"learn", s.bias.learn}};
  j["noise"] = {{"kind", std::string(ir::name(s.noise.kind))}, {"factor", s.noise.factor}};
  j["precision"] = s.precision;
  return j;
}

std::string spec_hash(const json& canonical) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, 64 bits
  for (unsigned char c : canonical.dump()) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return fmt::format("fnv1a64:{:016x}", h);
}

std::optional<std::string> first_difference(const json& run, const json& now,
                                            const std::string& path) {
  const std::string where = path.empty() ? "the model" : path;
  if (run.type() != now.type() || (!run.is_object() && !run.is_array())) {
    if (run == now) return std::nullopt;
    return where + ": the run has " + shown(run) + ", the spec has " + shown(now);
  }
  if (run.is_array()) {
    for (size_t i = 0; i < std::min(run.size(), now.size()); ++i)
      if (auto d = first_difference(run[i], now[i], fmt::format("{}[{}]", path, i))) return d;
    if (run.size() != now.size())
      return fmt::format("{}: the run has {} entries, the spec has {}", where, run.size(),
                         now.size());
    return std::nullopt;
  }
  for (auto& [key, value] : run.items()) {
    const std::string sub = path.empty() ? key : path + "." + key;
    if (!now.contains(key)) return sub + ": the run has " + shown(value) + ", the spec has none";
    if (auto d = first_difference(value, now.at(key), sub)) return d;
  }
  for (auto& [key, value] : now.items())
    if (!run.contains(key))
      return (path.empty() ? key : path + "." + key) + ": the run has none, the spec has " +
             shown(value);
  return std::nullopt;
}

}  // namespace rnnjit
