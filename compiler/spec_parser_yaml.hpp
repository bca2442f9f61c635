// Typed, located access to a yaml-cpp document for the spec parser. Every accessor either returns
// a value of the asked-for type or throws SpecError at the offending node, with a message that
// names the field by its path ("neurons", "leak.tau.min", "recurrent[1].scale") and shows what
// was found instead. Only const access is used, so reading never inserts keys into the document.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "compiler/spec.hpp"

namespace rnnjit::spec_yaml {

// 1-based location of a node; line 0 when the node has no position (yaml-cpp marks are 0-based,
// -1 when unknown).
SourceLoc loc_of(const std::string& file, const YAML::Mark& mark);

// How a value reads in a "got ..." message: 'abc', 'abc' (a quoted string), a map, a list, an
// empty value.
std::string describe(const YAML::Node& node);

class MapView;

// One value in the document together with its name and where to point when it is wrong.
class Field {
 public:
  Field(const std::string& file, std::string path, YAML::Node value, SourceLoc key_loc);

  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  // The value's position, or the key's when the value is empty (yaml-cpp places an empty value
  // at the start of the next line, which would point at the wrong field).
  SourceLoc loc() const;
  const SourceLoc& key_loc() const { return key_loc_; }
  bool is_map() const { return node_.IsMap(); }
  bool is_list() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  // The raw text of a scalar (as written, without quotes); "" otherwise.
  std::string text() const { return node_.IsScalar() ? node_.Scalar() : std::string(); }

  [[noreturn]] void fail(const std::string& message) const;
  // "field 'PATH' must be WHAT, got DESCRIPTION"
  [[noreturn]] void expected(std::string_view what) const;

  // Plain (unquoted) integer scalars only; `what` describes the accepted range for the message.
  int64_t as_int(std::string_view what = "an integer",
                 const std::function<bool(int64_t)>& ok = {}) const;
  // Plain finite number scalars (1, -0.5, 1e-3).
  double as_number(std::string_view what = "a number",
                   const std::function<bool(double)>& ok = {}) const;
  bool as_bool() const;  // true / false (any case)
  std::string as_string(std::string_view what = "a string") const;
  // [A-Za-z_][A-Za-z0-9_]*: names become tensor names in safetensors files and IR values.
  std::string as_identifier() const;
  MapView as_map(std::string_view what = "a map") const;
  std::vector<Field> as_list(std::string_view what = "a list") const;

 private:
  std::string file_;
  std::string path_;
  YAML::Node node_;
  SourceLoc key_loc_;
};

// A YAML map whose keys are checked: plain scalars, no duplicates, none outside an allowed set.
class MapView {
 public:
  // `path` is the map's own field path ("" for the document root).
  MapView(const std::string& file, std::string path, const YAML::Node& node, SourceLoc loc);

  const std::string& path() const { return path_; }
  const SourceLoc& loc() const { return loc_; }
  std::vector<Field> fields() const;  // in document order
  bool has(std::string_view key) const;
  Field get(std::string_view key) const;  // precondition: has(key)
  // Throws "missing field 'KEY'" (with " in 'PATH'" for nested maps) at the map.
  Field require(std::string_view key) const;
  // Throws "unknown field 'k'[ in 'PATH']; did you mean ...?" at the first key not in `allowed`.
  void check_keys(const std::vector<std::string_view>& allowed) const;
  // The path of a key of this map: "leak" + "dt" -> "leak.dt".
  std::string child_path(std::string_view key) const;

 private:
  struct Entry {
    std::string key;
    SourceLoc key_loc;
    YAML::Node value;
  };
  const Entry* find(std::string_view key) const;

  std::string file_;
  std::string path_;
  SourceLoc loc_;
  std::vector<Entry> entries_;
};

}  // namespace rnnjit::spec_yaml
