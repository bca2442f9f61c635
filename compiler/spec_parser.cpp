// The model-spec parser: YAML text -> a validated ModelSpec (the schema is in examples/README.md).
// Parsing reads fields in a fixed order (declarations before the terms that use them), so the
// error reported for a spec with several mistakes does not depend on the order of its keys.
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/spec.hpp"
#include "compiler/spec_parser_suggest.hpp"
#include "compiler/spec_parser_yaml.hpp"

namespace rnnjit {

using spec_yaml::Field;
using spec_yaml::MapView;

namespace {

std::string quote(std::string_view s) {
  std::string q(1, '\'');  // built up rather than "'" + s: GCC 12 warns falsely on the latter
  q += s;
  q += '\'';
  return q;
}

const std::vector<std::string_view> kTopLevelKeys{
    "version", "name",      "neurons",     "activation", "alpha", "leak",      "gates",
    "inputs",  "recurrent", "input_terms", "bias",       "noise", "precision", "train"};
const std::vector<std::string_view> kInitNames{"normal", "zeros", "ring_cosine", "identity"};
const std::vector<std::string_view> kPrecisions{"fp32", "tf32", "bf16", "fp64"};
// Keys of a recurrent term. A dense term (no gated_by) takes all but 'uniform' and 'gated_by'; a
// uniform term takes only 'uniform'; a gated term takes kGatedKeys.
const std::vector<std::string_view> kAnyTermKeys{
    "uniform", "name",       "gated_by",    "scale", "learn",
    "dale",    "excitatory", "nonnegative", "init",  "init_scale"};
const std::vector<std::string_view> kGatedKeys{"name",        "gated_by", "learn",
                                               "nonnegative", "init",     "init_scale"};
const std::vector<std::string_view> kInputTermKeys{"name",        "from", "scale",     "learn",
                                                   "nonnegative", "init", "init_scale"};

// Tensor names the runtime uses besides the spec's own: the files that hold parameters, inputs
// and gradients share one namespace with gates, inputs and terms.
const std::map<std::string, std::string, std::less<>> kReservedNames{
    {"r", "the state output"},
    {"r0", "the initial state input"},
    {"bias", "the bias parameter"},
    {"tau", "the per-neuron time constants"},
};

std::vector<std::string_view> activation_names() {
  std::vector<std::string_view> v;
  for (auto a : ir::all_activations()) v.push_back(ir::name(a));
  return v;
}

std::vector<std::string_view> noise_names() {
  std::vector<std::string_view> v;
  for (auto n : {ir::Noise::None, ir::Noise::Gamma, ir::Noise::Gauss, ir::Noise::PureGauss})
    v.push_back(ir::name(n));
  return v;
}

// One value chosen from a fixed list, with a suggestion when it is misspelt.
std::string one_of(const Field& f, std::string_view what,
                   const std::vector<std::string_view>& choices) {
  const std::string s = f.as_string(std::string(what) + " name");
  for (auto c : choices)
    if (c == s) return s;
  f.fail("unknown " + std::string(what) + " " + quote(s) + " in " + quote(f.path()) +
         suggestion_suffix(s, choices));
}

// Gate, input and term names: unique across all of them, and not one of the reserved names.
class Names {
 public:
  void declare(const Field& f, const std::string& name, std::string_view kind) {
    if (auto r = kReservedNames.find(name); r != kReservedNames.end())
      f.fail("name " + quote(name) + " in " + quote(f.path()) + " is reserved for " + r->second);
    if (auto it = seen_.find(name); it != seen_.end())
      f.fail("duplicate name " + quote(name) + " in " + quote(f.path()) + ": already used by the " +
             it->second.kind + " at line " + std::to_string(it->second.loc.line));
    seen_.emplace(name, Seen{std::string(kind), f.loc()});
  }

 private:
  struct Seen {
    std::string kind;
    SourceLoc loc;
  };
  std::map<std::string, Seen> seen_;
};

class SpecParser {
 public:
  SpecParser(std::string file, ModelSpec& spec) : file_(std::move(file)), spec_(spec) {}

  void parse(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull())
      throw SpecError({file_, 1, 1},
                      "the spec is empty: expected a map with the fields version, name, neurons, "
                      "activation and alpha or leak");
    SourceLoc root_loc = spec_yaml::loc_of(file_, root.Mark());
    if (root_loc.line <= 0) root_loc = {file_, 1, 1};
    if (!root.IsMap())
      throw SpecError(root_loc,
                      "the spec must be a map of fields (version, name, neurons, ...), got " +
                          spec_yaml::describe(root));
    const MapView top(file_, "", root, root_loc);
    top.check_keys(kTopLevelKeys);

    parse_version(top.require("version"));
    const Field name = top.require("name");
    spec_.name = name.as_identifier();
    const Field neurons = top.require("neurons");
    spec_.neurons = neurons.as_int("a positive integer", [](int64_t n) { return n >= 1; });
    check_not_huge(neurons, spec_.neurons);
    parse_activation(top.require("activation"));
    parse_leak(top);
    if (top.has("gates")) parse_gates(top.get("gates"));
    if (top.has("inputs")) parse_inputs(top.get("inputs"));
    if (top.has("recurrent")) parse_recurrent(top.get("recurrent"));
    if (top.has("input_terms")) parse_input_terms(top.get("input_terms"));
    if (top.has("bias")) parse_bias(top.get("bias"));
    if (top.has("noise")) parse_noise(top.get("noise"));
    if (top.has("precision"))
      spec_.precision = one_of(top.get("precision"), "precision", kPrecisions);
    if (top.has("train")) parse_train(top.get("train"));
  }

 private:
  // Sizes beyond this could only be typos, and products such as N * N * K must not overflow.
  static constexpr int64_t kMaxSize = int64_t{1} << 20;
  static void check_not_huge(const Field& f, int64_t n) {
    if (n > kMaxSize)
      f.fail("field " + quote(f.path()) + " is " + f.text() + ", more than the largest size " +
             std::to_string(kMaxSize));
  }

  void parse_version(const Field& f) {
    const int64_t v = f.as_int("an integer (the spec format version, 1)");
    if (v != 1)
      f.fail("unsupported spec version " + f.text() +
             " in field 'version': this rnnjit reads version 1");
    spec_.version = 1;
  }

  void parse_activation(const Field& f) {
    Field name_field = f;
    std::optional<Field> rate_field;
    if (f.is_map()) {
      const MapView m = f.as_map();
      m.check_keys({"name", "rate"});
      name_field = m.require("name");
      if (m.has("rate")) rate_field = m.get("rate");
    } else if (!f.is_scalar()) {
      f.expected("an activation name or a map {name: ..., rate: ...}");
    }
    const std::string name = one_of(name_field, "activation", activation_names());
    spec_.activation.kind = *ir::parse_activation(name);
    if (rate_field) {
      if (spec_.activation.kind != ir::Activation::Saturating)
        rate_field->fail("field " + quote(rate_field->path()) +
                         " applies only to the saturating activation, not " + quote(name));
      spec_.activation.rate = rate_field->as_number("a positive number (the saturation rate, Hz)",
                                                    [](double r) { return r > 0; });
    }
  }

  void parse_leak(const MapView& top) {
    const bool has_alpha = top.has("alpha"), has_leak = top.has("leak");
    if (has_alpha && has_leak) {
      // Point at whichever of the two comes second: that is the one to delete.
      const Field a = top.get("alpha"), l = top.get("leak");
      const Field& later = a.key_loc().line > l.key_loc().line ? a : l;
      throw SpecError(later.key_loc(),
                      "fields 'alpha' and 'leak' are mutually exclusive: give a scalar alpha or a "
                      "per-neuron leak, not both");
    }
    if (!has_alpha && !has_leak)
      throw SpecError(top.loc(),
                      "missing field 'alpha' or 'leak' (the leak rate: a scalar alpha in (0, 1], "
                      "or leak: {dt, tau: {min, max}})");
    LeakSpec& leak = spec_.leak;
    if (has_alpha) {
      const Field a = top.get("alpha");
      leak.per_neuron = false;
      leak.alpha = a.as_number("a number in (0, 1]", [](double x) { return x > 0 && x <= 1; });
      leak.loc = a.key_loc();
      return;
    }
    const Field lf = top.get("leak");
    const MapView m = lf.as_map("a map {dt: ..., tau: {min: ..., max: ...}, learn_tau: ...}");
    m.check_keys({"dt", "tau", "learn_tau"});
    leak.per_neuron = true;
    leak.loc = lf.key_loc();
    if (m.has("dt"))
      leak.dt = m.get("dt").as_number("a positive number (ms)", [](double x) { return x > 0; });
    const MapView tau = m.require("tau").as_map("a map {min: ..., max: ...}");
    tau.check_keys({"min", "max"});
    const Field min = tau.require("min"), max = tau.require("max");
    leak.tau_min = min.as_number("a positive number (ms)", [](double x) { return x > 0; });
    leak.tau_max = max.as_number("a positive number (ms)", [](double x) { return x > 0; });
    if (leak.tau_max <= leak.tau_min)
      max.fail("field " + quote(max.path()) + " (" + max.text() + ") must be greater than " +
               quote(min.path()) + " (" + min.text() + ")");
    // alpha_i = dt / tau_i is a convex weight only when it is at most 1.
    if (leak.tau_min < leak.dt)
      min.fail("field " + quote(min.path()) + " (" + min.text() + ") must be at least 'leak.dt' (" +
               (m.has("dt") ? m.get("dt").text() : std::string("10")) +
               ") so that alpha = dt / tau <= 1");
    if (m.has("learn_tau")) leak.learn_tau = m.get("learn_tau").as_bool();
  }

  // gates: {name: size, ...} and inputs: {name: size, ...}
  template <typename Decl>
  std::vector<Decl> parse_sizes(const Field& f, std::string_view kind) {
    std::vector<Decl> out;
    if (f.node().IsNull()) return out;  // "gates:" with nothing under it
    const MapView m = f.as_map("a map of " + std::string(kind) + " names to sizes");
    for (const Field& entry : m.fields()) {
      Decl d;
      d.name = entry.path().substr(f.path().size() + 1);
      Field key(file_, entry.path(), YAML::Node(d.name), entry.key_loc());
      key.as_identifier();
      names_.declare(key, d.name, kind);
      d.size = entry.as_int("a positive integer (the " + std::string(kind) + " width)",
                            [](int64_t n) { return n >= 1; });
      check_not_huge(entry, d.size);
      d.loc = entry.key_loc();
      out.push_back(std::move(d));
    }
    return out;
  }

  void parse_gates(const Field& f) { spec_.gates = parse_sizes<GateSpec>(f, "gate"); }
  void parse_inputs(const Field& f) { spec_.inputs = parse_sizes<InputSpec>(f, "input"); }

  void parse_init(const MapView& m, std::string& init, double& init_scale) {
    if (m.has("init")) init = one_of(m.get("init"), "initialiser", kInitNames);
    if (m.has("init_scale"))
      init_scale = m.get("init_scale").as_number("a number >= 0", [](double x) { return x >= 0; });
  }

  void parse_recurrent(const Field& f) {
    for (const Field& item : f.as_list("a list of recurrent terms")) {
      const MapView m = item.as_map("a recurrent term: {uniform: c} or a map with 'name'");
      spec_.recurrent.push_back(m.has("uniform") ? parse_uniform_term(m) : parse_matrix_term(m));
    }
  }

  RecurrentTerm parse_uniform_term(const MapView& m) {
    for (const Field& extra : m.fields())
      if (extra.path() != m.child_path("uniform"))
        throw SpecError(extra.key_loc(), "field " + quote(extra.path()) +
                                             " does not apply to a uniform term, which takes "
                                             "only 'uniform: c'");
    RecurrentTerm t;
    t.kind = TermKind::Uniform;
    t.value = m.get("uniform").as_number();
    t.loc = m.loc();
    return t;
  }

  RecurrentTerm parse_matrix_term(const MapView& m) {
    m.check_keys(kAnyTermKeys);
    RecurrentTerm t;
    t.loc = m.loc();
    const Field name = m.require("name");
    t.name = name.as_identifier();
    const bool gated = m.has("gated_by");
    t.kind = gated ? TermKind::Gated : TermKind::Dense;
    names_.declare(name, t.name, gated ? "gated term" : "dense term");

    if (gated) {
      for (const Field& k : m.fields()) {
        const std::string key = k.path().substr(m.path().size() + 1);
        if (key == "dale")
          throw SpecError(k.key_loc(), "field " + quote(k.path()) +
                                           ": Dale's law applies to dense "
                                           "terms only, not to gated term " +
                                           quote(t.name));
        bool allowed = false;
        for (auto a : kGatedKeys) allowed = allowed || a == key;
        if (!allowed)
          throw SpecError(k.key_loc(), "field " + quote(k.path()) +
                                           " does not apply to gated term " + quote(t.name) +
                                           " (gated terms take: name, gated_by, learn, "
                                           "nonnegative, init, init_scale)");
      }
      const Field g = m.get("gated_by");
      t.gated_by = g.as_identifier();
      if (!spec_.find_gate(t.gated_by)) {
        std::vector<std::string_view> declared;
        for (const GateSpec& gs : spec_.gates) declared.push_back(gs.name);
        g.fail("unknown gate " + quote(t.gated_by) + " in " + quote(g.path()) +
               (declared.empty() ? std::string("; no gates are declared (add them under 'gates:')")
                                 : suggestion_suffix(t.gated_by, declared)));
      }
    }

    if (m.has("learn")) t.learn = m.get("learn").as_bool();
    std::optional<bool> nonnegative;
    if (m.has("nonnegative")) nonnegative = m.get("nonnegative").as_bool();
    parse_init(m, t.init, t.init_scale);
    if (!gated) {
      if (m.has("scale")) t.scale = m.get("scale").as_number();
      if (m.has("dale")) t.dale = m.get("dale").as_bool();
      if (m.has("excitatory")) {
        const Field e = m.get("excitatory");
        if (!t.dale)
          throw SpecError(e.key_loc(), "field " + quote(e.path()) + " requires 'dale: true'");
        t.excitatory =
            e.as_number("a fraction in [0, 1]", [](double x) { return x >= 0 && x <= 1; });
      }
      if (t.dale) {
        if (t.scale <= 0) {
          const Field s = m.get("scale");
          s.fail("field " + quote(s.path()) + " must be positive with 'dale: true' (got " +
                 s.text() + "): a negative scale would flip the excitatory and inhibitory signs");
        }
        if (nonnegative == false) {
          const Field n = m.get("nonnegative");
          n.fail("field " + quote(n.path()) +
                 " cannot be false with 'dale: true': Dale's law keeps W >= 0");
        }
        nonnegative = true;  // implied by Dale's law
      }
    }
    t.nonnegative = nonnegative.value_or(false);
    return t;
  }

  void parse_input_terms(const Field& f) {
    for (const Field& item : f.as_list("a list of input terms")) {
      const MapView m = item.as_map("an input term: a map with 'name' and 'from'");
      m.check_keys(kInputTermKeys);
      InputTerm t;
      t.loc = m.loc();
      const Field name = m.require("name");
      t.name = name.as_identifier();
      names_.declare(name, t.name, "input term");
      const Field from = m.require("from");
      t.from = from.as_identifier();
      if (!spec_.find_input(t.from)) {
        std::vector<std::string_view> declared;
        for (const InputSpec& in : spec_.inputs) declared.push_back(in.name);
        from.fail("unknown input " + quote(t.from) + " in " + quote(from.path()) +
                  (declared.empty()
                       ? std::string("; no inputs are declared (add them under 'inputs:')")
                       : suggestion_suffix(t.from, declared)));
      }
      if (m.has("scale")) t.scale = m.get("scale").as_number();
      if (m.has("learn")) t.learn = m.get("learn").as_bool();
      if (m.has("nonnegative")) t.nonnegative = m.get("nonnegative").as_bool();
      parse_init(m, t.init, t.init_scale);
      spec_.input_terms.push_back(std::move(t));
    }
  }

  void parse_bias(const Field& f) {
    BiasSpec& b = spec_.bias;
    b.loc = f.key_loc();
    if (f.is_map()) {
      const MapView m = f.as_map();
      m.check_keys({"learn"});
      b.enabled = true;
      if (m.has("learn")) b.learn = m.get("learn").as_bool();
      return;
    }
    if (!f.is_scalar()) f.expected("true, false or a map {learn: ...}");
    b.enabled = f.as_bool();
  }

  void parse_noise(const Field& f) {
    NoiseSpec& n = spec_.noise;
    n.loc = f.key_loc();
    if (f.is_scalar()) {  // the short form, for "noise: none"
      n.kind = *ir::parse_noise(one_of(f, "noise kind", noise_names()));
      if (n.kind != ir::Noise::None)
        f.fail("noise kind " + quote(f.text()) +
               " needs a factor: write noise: {kind: " + f.text() + ", factor: k}");
      return;
    }
    const MapView m = f.as_map("a noise kind name or a map {kind: ..., factor: ...}");
    m.check_keys({"kind", "factor"});
    n.kind = *ir::parse_noise(one_of(m.require("kind"), "noise kind", noise_names()));
    if (n.kind == ir::Noise::None) {
      if (m.has("factor"))
        n.factor = m.get("factor").as_number("a number >= 0", [](double k) { return k >= 0; });
      return;
    }
    const Field k = m.require("factor");
    n.factor = k.as_number("a number >= 0", [](double x) { return x >= 0; });
    // Gamma noise has rate lam = (dt/1000) / k^2: k = 0 is a division by zero, not "no noise".
    if (n.kind == ir::Noise::Gamma && n.factor == 0)
      k.fail("field " + quote(k.path()) +
             " must be positive for gamma noise (use kind: none to turn noise off)");
  }

  void parse_train(const Field& f) {
    if (!f.node().IsNull() && !f.is_map()) f.expected("a map of training settings");
    spec_.train = f.node();  // validated by the trainers, which can still point at its lines
  }

  std::string file_;
  ModelSpec& spec_;
  Names names_;
};

}  // namespace

ModelSpec parse_spec_string(const std::string& yaml, const std::string& path_for_messages) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml);
  } catch (const YAML::Exception& e) {
    throw SpecError(spec_yaml::loc_of(path_for_messages, e.mark), "invalid YAML: " + e.msg);
  }
  // A stray "---" at the end leaves an empty document, which is harmless; a second document
  // with content would otherwise be ignored without a word.
  for (size_t i = 1; i < documents.size(); ++i)
    if (!documents[i].IsNull())
      throw SpecError(spec_yaml::loc_of(path_for_messages, documents[i].Mark()),
                      "a spec is one YAML document, but another one starts here (after '---')");
  const YAML::Node root = documents.empty() ? YAML::Node() : documents[0];
  ModelSpec spec;
  spec.path = path_for_messages;
  spec.source = yaml;
  SpecParser(path_for_messages, spec).parse(root);
  return spec;
}

ModelSpec parse_spec_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SpecError({path, 0, 0}, "cannot open the spec file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw SpecError({path, 0, 0}, "cannot read the spec file");
  return parse_spec_string(text.str(), path);
}

}  // namespace rnnjit
