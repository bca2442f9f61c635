// "Did you mean ...?" for the spec parser: the closest known word to a misspelt key or value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnjit {

// Optimal-string-alignment distance: insertions, deletions, substitutions and transpositions of
// two adjacent characters each cost 1 (so "nuerons" is one edit from "neurons"). Case-sensitive.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo: at most 1 edit
// for candidates of up to 4 characters, 2 up to 8, 3 beyond, and fewer edits than `word` has
// characters. A case-insensitive exact match always qualifies. Ties go to the earlier candidate.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string_view>& candidates);

// "; did you mean 'x'?" when closest_match finds one, else "; expected one of: a, b, c".
std::string suggestion_suffix(std::string_view word,
                              const std::vector<std::string_view>& candidates);

}  // namespace rnnjit
