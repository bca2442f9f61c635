// Every file in tests/spec/bad/ is a spec with one mistake. Its first line says what the parser
// must report:  # expect: LINE:COLUMN: error: MESSAGE
// and the test checks that SpecError::what() is exactly "<path>:" followed by that text, so the
// location is checked as well as the wording. "{activations}" stands for the list of activations.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "compiler/spec.hpp"

namespace rnnjit {
namespace {

namespace fs = std::filesystem;

const std::string kBadDir = std::string(RNNJIT_SOURCE_DIR) + "/tests/spec/bad";

std::vector<std::string> bad_spec_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kBadDir))
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The expected text; "{activations}" in it stands for every activation name, comma-separated in
// the order of ir/activations.def (so a new activation needs no edit here).
std::string expected_message(const std::string& path) {
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  const std::string prefix = "# expect: ";
  if (first.rfind(prefix, 0) != 0) return "";
  std::string text = first.substr(prefix.size());
  std::string names;
  for (ir::Activation a : ir::all_activations())
    names += (names.empty() ? "" : ", ") + std::string(ir::name(a));
  const std::string key = "{activations}";
  if (const size_t at = text.find(key); at != std::string::npos)
    text.replace(at, key.size(), names);
  return text;
}

class BadSpec : public testing::TestWithParam<std::string> {};

TEST_P(BadSpec, FailsWithTheExpectedMessageAndLocation) {
  const std::string path = kBadDir + "/" + GetParam() + ".yaml";
  const std::string expected = expected_message(path);
  ASSERT_FALSE(expected.empty()) << path << " has no '# expect: ' first line";
  try {
    parse_spec_file(path);
    FAIL() << path << " was accepted; expected: " << expected;
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":" + expected);
    EXPECT_EQ(e.loc().file, path);
    EXPECT_GT(e.loc().line, 0) << "no line for " << path;
  }
}

INSTANTIATE_TEST_SUITE_P(Files, BadSpec, testing::ValuesIn(bad_spec_names()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;  // file stems are identifiers
                         });

TEST(BadSpecFiles, EnoughOfThem) {
  EXPECT_GE(bad_spec_names().size(), 18u);
}

}  // namespace
}  // namespace rnnjit
