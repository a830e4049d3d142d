// README.md embeds the config table generated from the schema; this keeps the
// two in step. On a mismatch the fresh table is written next to the build for
// copying between the README's config-table markers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/docs.hpp"

TEST(Readme, ConfigTableMatchesSchema) {
  std::ifstream in(std::string(TRELLIS_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string readme = ss.str();
  const std::string begin = "<!-- config-table:begin -->\n", end = "<!-- config-table:end -->";
  auto b = readme.find(begin);
  auto e = readme.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  std::string embedded = readme.substr(b + begin.size(), e - b - begin.size());
  std::string expected = trellis::config::markdown_table();
  if (embedded != expected) {
    auto path = std::filesystem::temp_directory_path() / "trellis-config-table.md";
    std::ofstream(path) << expected;
    FAIL() << "README.md's config table is stale; the fresh one is in " << path;
  }
}
