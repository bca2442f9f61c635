// Every file in tests/spec/bad/ is a spec with one mistake. Its first line says what the parser
// must report:  # expect: LINE:COLUMN: error: MESSAGE
// and the test checks that SpecError::what() is exactly "<path>:" followed by that text, so the
// location is checked as well as the wording.
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

std::string expected_message(const std::string& path) {
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  const std::string prefix = "# expect: ";
  if (first.rfind(prefix, 0) != 0) return "";
  return first.substr(prefix.size());
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
