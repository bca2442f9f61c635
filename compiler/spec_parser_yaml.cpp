#include "compiler/spec_parser_yaml.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

#include "compiler/spec_parser_suggest.hpp"

namespace rnnjit::spec_yaml {

SourceLoc loc_of(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return SourceLoc{file, 0, 0};
  return SourceLoc{file, mark.line + 1, mark.column + 1};
}

namespace {

// yaml-cpp tags plain scalars "?" and quoted ones "!": a quoted "256" is a string, not a number.
bool is_quoted(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() == "!";
}

bool is_plain_scalar(const YAML::Node& n) {
  return n.IsScalar() && !is_quoted(n);
}

std::string quote(std::string_view s) {
  std::string q(1, '\'');  // built up rather than "'" + s: GCC 12 warns falsely on the latter
  q += s;
  q += '\'';
  return q;
}

}  // namespace

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return is_quoted(node) ? quote(node.Scalar()) + " (a quoted string)" : quote(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "an empty value";
  }
  return "an empty value";
}

// ---- Field ----

Field::Field(const std::string& file, std::string path, YAML::Node value, SourceLoc key_loc)
    : file_(file), path_(std::move(path)), node_(std::move(value)), key_loc_(std::move(key_loc)) {}

SourceLoc Field::loc() const {
  if (!node_.IsDefined() || node_.IsNull()) return key_loc_;
  SourceLoc l = loc_of(file_, node_.Mark());
  return l.line > 0 ? l : key_loc_;
}

void Field::fail(const std::string& message) const {
  throw SpecError(loc(), message);
}

void Field::expected(std::string_view what) const {
  fail("field " + quote(path_) + " must be " + std::string(what) + ", got " + describe(node_));
}

int64_t Field::as_int(std::string_view what, const std::function<bool(int64_t)>& ok) const {
  if (!is_plain_scalar(node_)) expected(what);
  const std::string& s = node_.Scalar();
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') ++first;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || end != last || first == last) expected(what);
  if (ok && !ok(v)) expected(what);
  return v;
}

double Field::as_number(std::string_view what, const std::function<bool(double)>& ok) const {
  if (!is_plain_scalar(node_)) expected(what);
  const std::string& s = node_.Scalar();
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') ++first;
  double v = 0;
  auto [end, ec] = std::from_chars(first, last, v);
  // from_chars also reads "inf" and "nan"; a spec has no use for them.
  if (ec != std::errc() || end != last || first == last || !std::isfinite(v)) expected(what);
  if (ok && !ok(v)) expected(what);
  return v;
}

bool Field::as_bool() const {
  if (is_plain_scalar(node_)) {
    std::string s = node_.Scalar();
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "true") return true;
    if (s == "false") return false;
  }
  expected("true or false");
}

std::string Field::as_string(std::string_view what) const {
  if (!node_.IsScalar()) expected(what);
  return node_.Scalar();
}

std::string Field::as_identifier() const {
  constexpr std::string_view what =
      "a name made of letters, digits and '_' that does not start with a digit";
  if (!node_.IsScalar()) expected(what);
  const std::string& s = node_.Scalar();
  bool ok = !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0]));
  for (char c : s) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok) expected(what);
  return s;
}

MapView Field::as_map(std::string_view what) const {
  if (!node_.IsMap()) expected(what);
  return MapView(file_, path_, node_, loc());
}

std::vector<Field> Field::as_list(std::string_view what) const {
  if (!node_.IsSequence()) expected(what);
  std::vector<Field> items;
  size_t i = 0;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const YAML::Node item = *it;
    SourceLoc at = loc_of(file_, item.Mark());
    if (at.line <= 0) at = loc();
    items.emplace_back(file_, path_ + "[" + std::to_string(i++) + "]", item, at);
  }
  return items;
}

// ---- MapView ----

MapView::MapView(const std::string& file, std::string path, const YAML::Node& node, SourceLoc loc)
    : file_(file), path_(std::move(path)), loc_(std::move(loc)) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    SourceLoc key_loc = loc_of(file_, key.Mark());
    if (key_loc.line <= 0) key_loc = loc_;
    if (!is_plain_scalar(key))
      throw SpecError(key_loc, "field names must be plain words, got " + describe(key) +
                                   (path_.empty() ? "" : " in " + quote(path_)));
    if (const Entry* first = find(key.Scalar()))
      throw SpecError(key_loc, "duplicate field " + quote(child_path(key.Scalar())) +
                                   " (first given at line " + std::to_string(first->key_loc.line) +
                                   ")");
    entries_.push_back(Entry{key.Scalar(), key_loc, it->second});
  }
}

const MapView::Entry* MapView::find(std::string_view key) const {
  for (const Entry& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

std::string MapView::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::vector<Field> MapView::fields() const {
  std::vector<Field> out;
  for (const Entry& e : entries_) out.emplace_back(file_, child_path(e.key), e.value, e.key_loc);
  return out;
}

bool MapView::has(std::string_view key) const {
  return find(key) != nullptr;
}

Field MapView::get(std::string_view key) const {
  const Entry* e = find(key);
  if (!e) throw SpecError(loc_, "internal: field " + quote(child_path(key)) + " read but absent");
  return Field(file_, child_path(key), e->value, e->key_loc);
}

Field MapView::require(std::string_view key) const {
  if (!has(key))
    throw SpecError(loc_,
                    "missing field " + quote(key) + (path_.empty() ? "" : " in " + quote(path_)));
  return get(key);
}

void MapView::check_keys(const std::vector<std::string_view>& allowed) const {
  for (const Entry& e : entries_) {
    bool known = false;
    for (auto a : allowed) known = known || a == e.key;
    if (known) continue;
    throw SpecError(e.key_loc, "unknown field " + quote(e.key) +
                                   (path_.empty() ? "" : " in " + quote(path_)) +
                                   suggestion_suffix(e.key, allowed));
  }
}

}  // namespace rnnjit::spec_yaml
