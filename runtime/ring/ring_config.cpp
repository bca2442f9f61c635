#include "runtime/ring/ring_config.hpp"

#include <fmt/core.h>

#include <stdexcept>
#include <string_view>
#include <vector>

#include "compiler/spec_parser_suggest.hpp"

namespace rnnjit::train::ring {

namespace {

SourceLoc loc_of(const ModelSpec& spec, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return {spec.path, 0, 0};
  return {spec.path, m.line + 1, m.column + 1};
}

template <class T>
T scalar(const ModelSpec& spec, const YAML::Node& n, const std::string& field, const char* what) {
  if (!n.IsScalar())
    throw SpecError(loc_of(spec, n), fmt::format("train.{} must be {}", field, what));
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw SpecError(loc_of(spec, n),
                    fmt::format("train.{} must be {}, got '{}'", field, what, n.Scalar()));
  }
}

}  // namespace

std::string name(InitMode m) {
  switch (m) {
    case InitMode::Random:
      return "random";
    case InitMode::Perfect:
      return "perfect";
    case InitMode::DebugPerfect:
      return "debug_perfect";
  }
  return "?";
}

std::string name(GateMode m) {
  return m == GateMode::LeftRight ? "left_right" : "linspace";
}

void validate(const RingTrainConfig& c) {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw std::invalid_argument(msg);
  };
  need(c.steps >= 0, "train.steps must be >= 0");
  need(c.batch >= 1, "train.batch must be >= 1");
  need(c.task.seq_len >= 2, "train.seq_len must be >= 2");
  need(c.lr > 0, "train.lr must be > 0");
  need(c.clip >= 0, "train.clip must be >= 0");
  need(c.gain_hidden >= 0, "train.gain_hidden must be >= 0");
  need(c.bump_weight >= 0, "train.bump_weight must be >= 0");
  need(c.neurons >= 0, "train.neurons must be >= 0 (0: the spec's)");
  need(c.task.max_av > 0, "train.max_av must be > 0");
  need(c.task.start_zero_ratio >= 0 && c.task.start_zero_ratio < 1,
       "train.start_zero_ratio must be in [0, 1)");
  need(!c.task.zero_ratios.empty(), "train.zero_ratios must not be empty");
  for (double z : c.task.zero_ratios) need(z >= 0 && z <= 1, "train.zero_ratios must be in [0, 1]");
  need(c.eval_trials >= 1, "train.eval_trials must be >= 1");
  need(c.eval_every >= 0, "train.eval_every must be >= 0");
  need(c.checkpoint_every >= 0, "train.checkpoint_every must be >= 0");
  need(c.log_every >= 1, "train.log_every must be >= 1");
  need(c.movie_every >= 1, "train.movie_every must be >= 1");
}

RingTrainConfig parse_ring_train_config(const ModelSpec& spec) {
  RingTrainConfig c;
  const YAML::Node& t = spec.train;
  if (!t || t.IsNull()) return c;
  if (!t.IsMap()) throw SpecError(loc_of(spec, t), "train must be a map of training settings");
  static const std::vector<std::string_view> keys = {"steps",       "batch",
                                                     "seq_len",     "lr",
                                                     "clip",        "seed",
                                                     "init",        "gain_hidden",
                                                     "gates",       "angles",
                                                     "bump_weight", "neurons",
                                                     "max_av",      "start_zero_ratio",
                                                     "zero_ratios", "eval_trials",
                                                     "eval_every",  "checkpoint_every",
                                                     "log_every",   "movie_every"};
  for (auto it = t.begin(); it != t.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const YAML::Node& v = it->second;
    auto i64 = [&](const char* what = "an integer") { return scalar<int64_t>(spec, v, key, what); };
    auto f64 = [&] { return scalar<double>(spec, v, key, "a number"); };
    auto choice = [&](std::vector<std::string_view> options) {
      const std::string s = scalar<std::string>(spec, v, key, "a word");
      for (auto o : options)
        if (s == o) return s;
      throw SpecError(loc_of(spec, v), fmt::format("train.{}: unknown value '{}'{}", key, s,
                                                   suggestion_suffix(s, options)));
    };
    if (key == "steps")
      c.steps = i64();
    else if (key == "batch")
      c.batch = i64();
    else if (key == "seq_len")
      c.task.seq_len = i64();
    else if (key == "lr")
      c.lr = f64();
    else if (key == "clip")
      c.clip = f64();
    else if (key == "seed")
      c.seed = static_cast<uint64_t>(scalar<uint64_t>(spec, v, key, "a non-negative integer"));
    else if (key == "init") {
      const std::string s = choice({"random", "perfect", "debug_perfect"});
      c.init = s == "random"    ? InitMode::Random
               : s == "perfect" ? InitMode::Perfect
                                : InitMode::DebugPerfect;
    } else if (key == "gain_hidden")
      c.gain_hidden = i64();
    else if (key == "gates")
      c.gates = choice({"left_right", "linspace"}) == "linspace" ? GateMode::Linspace
                                                                 : GateMode::LeftRight;
    else if (key == "angles")
      c.seed_angles = choice({"linspace", "uniform"}) == "linspace";
    else if (key == "bump_weight")
      c.bump_weight = f64();
    else if (key == "neurons")
      c.neurons = i64();
    else if (key == "max_av")
      c.task.max_av = f64();
    else if (key == "start_zero_ratio")
      c.task.start_zero_ratio = f64();
    else if (key == "zero_ratios") {
      if (!v.IsSequence())
        throw SpecError(loc_of(spec, v), "train.zero_ratios must be a list of numbers");
      c.task.zero_ratios.clear();
      for (const auto& e : v)
        c.task.zero_ratios.push_back(scalar<double>(spec, e, key, "a number"));
    } else if (key == "eval_trials")
      c.eval_trials = i64();
    else if (key == "eval_every")
      c.eval_every = i64();
    else if (key == "checkpoint_every")
      c.checkpoint_every = i64();
    else if (key == "log_every")
      c.log_every = i64();
    else if (key == "movie_every")
      c.movie_every = i64();
    else
      throw SpecError(loc_of(spec, it->first),
                      fmt::format("unknown key 'train.{}'{}", key, suggestion_suffix(key, keys)));
    try {
      validate(c);
    } catch (const std::invalid_argument& e) {
      throw SpecError(loc_of(spec, v), e.what());
    }
  }
  return c;
}

nlohmann::json to_json(const RingTrainConfig& c) {
  return {{"steps", c.steps},
          {"batch", c.batch},
          {"seq_len", c.task.seq_len},
          {"lr", c.lr},
          {"clip", c.clip},
          {"seed", c.seed},
          {"init", name(c.init)},
          {"gain_hidden", c.gain_hidden},
          {"gates", name(c.gates)},
          {"angles", c.seed_angles ? "linspace" : "uniform"},
          {"bump_weight", c.bump_weight},
          {"neurons", c.neurons},
          {"max_av", c.task.max_av},
          {"start_zero_ratio", c.task.start_zero_ratio},
          {"zero_ratios", c.task.zero_ratios},
          {"eval_trials", c.eval_trials},
          {"eval_every", c.eval_every},
          {"checkpoint_every", c.checkpoint_every},
          {"log_every", c.log_every},
          {"movie_every", c.movie_every}};
}

RingTrainConfig config_from_json(const nlohmann::json& j) {
  RingTrainConfig c;
  c.steps = j.at("steps");
  c.batch = j.at("batch");
  c.task.seq_len = j.at("seq_len");
  c.lr = j.at("lr");
  c.clip = j.at("clip");
  c.seed = j.at("seed");
  const std::string init = j.at("init");
  c.init = init == "random"    ? InitMode::Random
           : init == "perfect" ? InitMode::Perfect
                               : InitMode::DebugPerfect;
  c.gain_hidden = j.at("gain_hidden");
  c.gates = j.at("gates") == "linspace" ? GateMode::Linspace : GateMode::LeftRight;
  c.seed_angles = j.at("angles") == "linspace";
  c.bump_weight = j.at("bump_weight");
  c.neurons = j.at("neurons");
  c.task.max_av = j.at("max_av");
  c.task.start_zero_ratio = j.at("start_zero_ratio");
  c.task.zero_ratios = j.at("zero_ratios").get<std::vector<double>>();
  c.eval_trials = j.at("eval_trials");
  c.eval_every = j.at("eval_every");
  c.checkpoint_every = j.at("checkpoint_every");
  c.log_every = j.at("log_every");
  c.movie_every = j.at("movie_every");
  return c;
}

}  // namespace rnnjit::train::ring
