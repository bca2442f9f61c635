#include "compiler/spec_parser_suggest.hpp"

#include <algorithm>
#include <cctype>

namespace rnnjit {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows of the dynamic-programming table: the transposition rule looks two back.
  std::vector<size_t> two_back(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], two_back[j - 2] + 1);
    }
    std::swap(two_back, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

size_t allowed_edits(std::string_view candidate) {
  if (candidate.size() <= 4) return 1;
  if (candidate.size() <= 8) return 2;
  return 3;
}

}  // namespace

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string_view>& candidates) {
  for (auto c : candidates)
    if (equal_ignoring_case(word, c)) return std::string(c);
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (auto c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d > allowed_edits(c) || d >= word.size()) continue;
    if (!best || d < best_distance) {
      best = std::string(c);
      best_distance = d;
    }
  }
  return best;
}

std::string suggestion_suffix(std::string_view word,
                              const std::vector<std::string_view>& candidates) {
  if (auto m = closest_match(word, candidates)) return "; did you mean '" + *m + "'?";
  std::string s = "; expected one of: ";
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i) s += ", ";
    s += candidates[i];
  }
  return s;
}

}  // namespace rnnjit
