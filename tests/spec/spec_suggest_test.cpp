// The "did you mean" helper behind the spec parser's messages.
#include <gtest/gtest.h>

#include "compiler/spec_parser_suggest.hpp"

namespace rnnjit {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("", "abcd"), 4u);
  EXPECT_EQ(edit_distance("neurons", "neurons"), 0u);
  EXPECT_EQ(edit_distance("nuerons", "neurons"), 1u);   // adjacent swap
  EXPECT_EQ(edit_distance("neuron", "neurons"), 1u);    // insertion
  EXPECT_EQ(edit_distance("neurrons", "neurons"), 1u);  // deletion
  EXPECT_EQ(edit_distance("naurons", "neurons"), 1u);   // substitution
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("ca", "abc"), 3u);  // optimal string alignment, not full Damerau
  EXPECT_EQ(edit_distance("Alpha", "alpha"), 1u);
}

TEST(ClosestMatch, SuggestsPlausibleTyposOnly) {
  const std::vector<std::string_view> keys{"version", "name", "neurons", "activation",
                                           "alpha",   "leak", "gates",   "recurrent"};
  EXPECT_EQ(closest_match("nuerons", keys), "neurons");
  EXPECT_EQ(closest_match("activaton", keys), "activation");
  EXPECT_EQ(closest_match("reccurent", keys), "recurrent");
  EXPECT_EQ(closest_match("gate", keys), "gates");
  EXPECT_EQ(closest_match("NAME", keys), "name");  // case only
  EXPECT_EQ(closest_match("lek", keys), "leak");
  EXPECT_EQ(closest_match("xyz", keys), std::nullopt);
  EXPECT_EQ(closest_match("temperature", keys), std::nullopt);
  EXPECT_EQ(closest_match("a", keys), std::nullopt);  // one letter is never a typo of anything
  EXPECT_EQ(closest_match("anything", {}), std::nullopt);
}

TEST(ClosestMatch, PrefersTheNearestThenTheEarliest) {
  EXPECT_EQ(closest_match("gelu", {"relu", "gelu_tanh", "gelu"}), "gelu");
  EXPECT_EQ(closest_match("geku", {"relu", "gelu"}), "gelu");
  EXPECT_EQ(closest_match("xelu", {"relu", "gelu"}), "relu");  // tie: the first listed
}

TEST(SuggestionSuffix, DidYouMeanOrTheFullList) {
  EXPECT_EQ(suggestion_suffix("tahn", {"relu", "tanh"}), "; did you mean 'tanh'?");
  EXPECT_EQ(suggestion_suffix("sigmoid", {"relu", "tanh"}), "; expected one of: relu, tanh");
}

}  // namespace
}  // namespace rnnjit
