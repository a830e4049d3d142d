// Text generated from the schema: --help, the README table and the example file.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/config.hpp"
#include "config/docs.hpp"
#include "test_support.hpp"

namespace trellis::config {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Help, ListsEveryKeyWithTypeAndDefault) {
  std::string help = help_text("trellis");
  EXPECT_EQ(help.rfind("Usage: trellis [options]\n", 0), 0u);
  for (const auto& k : schema()) {
    EXPECT_NE(help.find("\n  " + k.key + " ("), std::string::npos) << k.key;
  }
  EXPECT_NE(help.find("  mqtt.tcp_port (integer: 0..65535; default 1883)\n"
                      "      MQTT over TCP; 0 = off.\n"),
            std::string::npos);
  EXPECT_NE(help.find("  mqtt.allow_anonymous (boolean; default true when mqtt.bind is a loopback "
                      "address, else false)\n"),
            std::string::npos);
}

TEST(Help, ExplainsOptionsAndEnvironment) {
  std::string help = help_text("trellis");
  for (const char* s : {"--config FILE", "--set KEY=VALUE", "--print-config", "--help", "--version",
                        "TRELLIS_MQTT_TCP_PORT", "exit status 2"}) {
    EXPECT_NE(help.find(s), std::string::npos) << s;
  }
}

TEST(MarkdownTable, HeaderAndOneRowPerKey) {
  std::string table = markdown_table();
  std::istringstream lines(table);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "| key | type | default | allowed | description |");
  std::getline(lines, line);
  EXPECT_EQ(line, "|---|---|---|---|---|");
  std::size_t rows = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(rows, schema().size());
    EXPECT_EQ(line.rfind("| `" + schema()[rows].key + "` | ", 0), 0u) << line;
    ++rows;
  }
  EXPECT_EQ(rows, schema().size());
}

TEST(MarkdownTable, RowContents) {
  std::string table = markdown_table();
  EXPECT_NE(
      table.find("| `mqtt.tcp_port` | integer | `1883` | 0..65535 | MQTT over TCP; 0 = off. |\n"),
      std::string::npos)
      << table;
  EXPECT_NE(table.find("| `log.level` | string | `\"info\"` | trace, debug, info, warn, error, off "
                       "| Lowest level written to the log. |\n"),
            std::string::npos)
      << table;
}

TEST(ExampleFile, MatchesTheSchema) {
  std::string path = std::string(TRELLIS_SOURCE_DIR) + "/config/trellis.jsonc";
  std::string generated = example_jsonc();
  if (read(path) != generated) {
    std::string fresh = ::testing::TempDir() + "trellis.jsonc";
    std::ofstream(fresh, std::ios::binary) << generated;
    FAIL() << path << " is out of step with config/schema.cpp; the generated file is " << fresh
           << ": copy it over";
  }
}

TEST(ExampleFile, LoadsToTheDefaults) {
  CommandLine cl;
  cl.config_file = std::string(TRELLIS_SOURCE_DIR) + "/config/trellis.jsonc";
  auto r = load(cl, testing::no_env());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->to_nested_json(), Config::defaults().to_nested_json());
  // The derived default stays derived: the file only mentions it in a comment.
  EXPECT_EQ(r->origin("mqtt.allow_anonymous"), "default");
  for (const auto& k : schema()) {
    if (k.key != "mqtt.allow_anonymous") {
      EXPECT_NE(r->origin(k.key), "default") << k.key;
    }
  }
}

TEST(ExampleFile, MentionsEveryKeyWithItsHelp) {
  std::string text = example_jsonc();
  for (const auto& k : schema()) {
    auto dot = k.key.rfind('.');
    std::string leaf = dot == std::string::npos ? k.key : k.key.substr(dot + 1);
    EXPECT_NE(text.find("\"" + leaf + "\": "), std::string::npos) << k.key;
  }
}

TEST(Version, NamesTheProgramAndVersion) {
  EXPECT_EQ(version_text(), std::string("trellis ") + TRELLIS_VERSION + "\n");
}

}  // namespace
}  // namespace trellis::config
